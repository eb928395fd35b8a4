"""Start and stop a local anvil chain (from the pinned npm package) for `make run` and tests."""

import socket
import subprocess
import time
from pathlib import Path

import requests
from django.conf import settings
from eth_account import Account
from eth_account.signers.local import LocalAccount

ANVIL_BIN = Path(settings.CONTRACTS_DIR) / "node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rpc_ready(url: str) -> bool:
    try:
        reply = requests.post(
            url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, timeout=1
        )
        return reply.ok and "result" in reply.json()
    except (requests.RequestException, ValueError):
        return False


class Anvil:
    """One anvil process on 127.0.0.1. `state_file` keeps the chain across restarts."""

    def __init__(
        self,
        *,
        port: int | None = None,
        chain_id: int = 31337,
        block_time: int | None = None,
        state_file: Path | None = None,
        state_interval: int | None = None,
    ):
        self.port = port or free_port()
        self.chain_id = chain_id
        self.block_time = block_time
        self.state_file = state_file
        # Also save the state every this many seconds, so a killed anvil loses at most that much.
        self.state_interval = state_interval
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        cmd = [str(ANVIL_BIN), "--host", "127.0.0.1", "--port", str(self.port)]
        cmd += ["--chain-id", str(self.chain_id), "--silent"]
        if self.block_time:
            cmd += ["--block-time", str(self.block_time)]
        if self.state_file:
            cmd += ["--state", str(self.state_file)]
            if self.state_interval:
                cmd += ["--state-interval", str(self.state_interval)]
        return cmd

    def start(self, timeout: float = 15.0) -> "Anvil":
        if not ANVIL_BIN.exists():
            raise RuntimeError(f"anvil not found at {ANVIL_BIN}: run `npm install` in contracts/")
        self.process = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"anvil exited with {self.process.returncode}")
            if rpc_ready(self.url):
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("anvil did not answer in time")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # SIGTERM lets anvil write its --state file
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None


# anvil's deterministic dev accounts come from this well-known mnemonic (funded, unlocked there).
ANVIL_MNEMONIC = "test test test test test test test test test test test junk"


def dev_accounts(count: int = 10) -> list[LocalAccount]:
    """anvil's first `count` dev accounts with their keys (for signing typed data locally)."""
    Account.enable_unaudited_hdwallet_features()
    return [
        Account.from_mnemonic(ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}")
        for i in range(count)
    ]
