"""Process and service helpers for tools/prod/stack.py: ports, waiting, one-at-a-time locks,
process groups, and the machine's PostgreSQL and Redis."""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import IO

import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def log(message: str) -> None:
    print(f"[prod] {message}", flush=True)


def ensure_services() -> None:
    """PostgreSQL and Redis on their usual loopback ports (started here if down: this machine
    has no systemd), as .ci/run does."""
    if subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"]).returncode != 0:
        clusters = sorted(os.listdir("/etc/postgresql"))
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", clusters[-1], "main", "start"],
            check=True,
        )
    if subprocess.run(["redis-cli", "ping"], capture_output=True).returncode != 0:
        subprocess.run(
            [
                "redis-server",
                "--daemonize",
                "yes",
                "--bind",
                "127.0.0.1",
                "--port",
                "6379",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            check=True,
        )
    for probe in (["pg_isready", "-h", "127.0.0.1", "-q"], ["redis-cli", "ping"]):
        wait_until(lambda p=probe: subprocess.run(p, capture_output=True).returncode == 0, 30)
    if not shutil.which("nginx") and not Path("/usr/sbin/nginx").exists():
        raise SystemExit("nginx is not installed: `apt-get install nginx` (make prod-check does)")


def wait_until(ready, timeout: float, what: str = "a service") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} was not ready after {timeout:.0f} s")


def http_ok(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).ok
    except requests.RequestException:  # not listening yet
        return False


def file_lock(name: str, timeout: float = 600) -> IO:
    """One stack of a name at a time on this machine: two runs (two test sessions, say) would
    share the database name and flush each other's Redis db, so the second waits. Closing the
    returned file releases the lock."""
    handle = open(Path(tempfile.gettempdir()) / f"{name}.lock", "w")  # noqa: SIM115
    deadline, told = time.monotonic() + timeout, False
    while time.monotonic() < deadline:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except BlockingIOError:  # held by the other run
            if not told:
                log(f"waiting for another {name} run to finish")
                told = True
            time.sleep(1)
    handle.close()
    raise RuntimeError(f"another {name} run held the lock for {timeout:.0f} s")


def stop_all(processes: list[subprocess.Popen], grace: float = 15) -> None:
    """SIGTERM every process group (each stops its own children), wait, then SIGKILL what is
    left of each group."""
    for process in processes:
        _signal(process, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        _signal(process, signal.SIGKILL)
        process.wait()


def _signal(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:  # already gone
        pass
