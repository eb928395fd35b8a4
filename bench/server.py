"""The real web server for benchmarks: a subprocess on a free loopback port with its own
environment (by default a temporary VAR_DIR with SQLite and the local store), started the way
production runs it (gunicorn) or, for a single-process measurement, with runserver."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


# Production settings except what a loopback benchmark must not measure: plain HTTP (no redirect
# to HTTPS: nginx terminates TLS in production) and no throttles (every client here is
# 127.0.0.1, so per-address limits would cap the figure at the limit, not at the server).
BENCH_SETTINGS = {
    "LOG_LEVEL": "WARNING",
    "SECURE_SSL_REDIRECT": "false",
    "SECURE_HSTS_SECONDS": "0",
    "API_THROTTLE_ANON": "",
    "API_THROTTLE_USER": "",
    "API_THROTTLE_UPLOADS": "",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def local_env(var_dir: Path, **extra: str) -> dict:
    """Settings for a throwaway site under `var_dir`: SQLite, local store, DEBUG off."""
    return {
        "VAR_DIR": str(var_dir),
        "DATABASE_URL": f"sqlite:///{var_dir / 'db.sqlite3'}",
        "ARTIFACT_STORAGE": "local",
        "ARTIFACT_ROOT": str(var_dir / "artifacts"),
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        **extra,
    }


class BenchServer:
    """`kind="gunicorn"` (workers × threads, as in production) or `kind="runserver"` (one
    process, whose pid is the server: what a memory measurement wants)."""

    def __init__(self, env: dict, *, kind: str = "gunicorn", workers: int = 2, threads: int = 1):
        self.env = {**os.environ, **BENCH_SETTINGS, **env}
        self.kind, self.workers, self.threads = kind, workers, threads
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def manage(self, *args: str, **env: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT, env={**self.env, **env}, check=True, capture_output=True, text=True,
        )  # fmt: skip
        return done.stdout

    def command(self) -> list[str]:
        if self.kind == "runserver":
            return [
                sys.executable,
                "manage.py",
                "runserver",
                "--noreload",
                f"127.0.0.1:{self.port}",
            ]
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        return [
            gunicorn, "marketplace.wsgi", "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(self.workers), "--threads", str(self.threads),
        ]  # fmt: skip

    def start(self, *, migrate: bool = True) -> BenchServer:
        if migrate:
            self.manage("migrate", "--noinput")
        self.process = subprocess.Popen(
            self.command(), cwd=ROOT, env=self.env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for _ in range(300):
            try:
                if requests.get(self.url + "/livez", timeout=1).ok:
                    return self
            except requests.RequestException:  # not listening yet, or still booting
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
