"""A throwaway IPFS node for tests: js-ipfs from tools/ipfs (npm), same RPC API as Kubo.

`jsipfs init --profile test` into a temp repo, every address on 127.0.0.1 port 0 (the OS picks a
free port, so parallel runs never collide), then `jsipfs daemon --offline`; the API port is read
from the daemon's log once it says it is ready."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

TOOLS_DIR = Path(__file__).resolve().parents[2] / "tools" / "ipfs"
JSIPFS = TOOLS_DIR / "node_modules" / ".bin" / "jsipfs"
LOOPBACK_ANY_PORT = "/ip4/127.0.0.1/tcp/0"
API_LINE = re.compile(r"HTTP API listening on /ip4/127\.0\.0\.1/tcp/(\d+)/http")


class IpfsNode:
    def __init__(self, repo: Path):
        self.repo = Path(repo)
        self.log_path = self.repo.parent / f"{self.repo.name}-daemon.log"
        self.url = ""
        self._process: subprocess.Popen | None = None

    @staticmethod
    def installed() -> bool:
        return JSIPFS.exists()

    def _env(self) -> dict:
        polyfill = TOOLS_DIR / "polyfill.cjs"
        return {**os.environ, "IPFS_PATH": str(self.repo), "NODE_OPTIONS": f"--require {polyfill}"}

    def start(self, *, timeout: float = 60) -> IpfsNode:
        subprocess.run(
            [str(JSIPFS), "init", "--profile", "test"],
            env=self._env(),
            check=True,
            capture_output=True,
            timeout=timeout,
        )
        self._bind_to_loopback()
        log = open(self.log_path, "wb")
        self._process = subprocess.Popen(
            [str(JSIPFS), "daemon", "--offline"],
            env=self._env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.url = f"http://127.0.0.1:{self._wait_for_api(timeout)}"
        return self

    def _bind_to_loopback(self) -> None:
        config_path = self.repo / "config"
        config = json.loads(config_path.read_text())
        addresses = config["Addresses"]
        addresses["Swarm"] = [LOOPBACK_ANY_PORT]
        for key in ("API", "Gateway", "RPC"):
            addresses[key] = LOOPBACK_ANY_PORT
        config_path.write_text(json.dumps(config, indent=2))

    def _wait_for_api(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log_path.read_text(errors="replace")
            match = API_LINE.search(text)
            if match and "Daemon is ready" in text:
                return int(match.group(1))
            if self._process.poll() is not None:
                raise RuntimeError(f"jsipfs daemon exited:\n{text[-2000:]}")
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"jsipfs daemon not ready after {timeout} s:\n{text[-2000:]}")

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None
