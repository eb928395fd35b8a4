"""`make run`'s supervisor: the whole stack comes up, answers, and Ctrl-C leaves nothing behind."""

import os
import signal
import subprocess
import sys
import time

import pytest
import requests
from django.conf import settings

from chain.anvil import free_port


def _descendants(pid: int) -> set[int]:
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True).stdout
    children: dict[int, list[int]] = {}
    for line in out.splitlines():
        child, parent = map(int, line.split())
        children.setdefault(parent, []).append(child)
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True)
    return not state.stdout.strip().startswith("Z")


def _wait_healthy(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "runstack exited early"
        try:
            if requests.get(url, timeout=1).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    pytest.fail(f"{url} never answered")


def test_runstack_serves_and_ctrl_c_stops_every_process(tmp_path):
    port, anvil_port = free_port(), free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CHAIN_RPC_URL")},
        "VAR_DIR": str(tmp_path),  # embedded defaults: SQLite, filesystem broker, local anvil
        "CELERY_BROKER_URL": "filesystem://",
        "PORT": str(port),
        "ANVIL_PORT": str(anvil_port),
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runstack"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_healthy(f"http://127.0.0.1:{port}/healthz", process)
        assert requests.get(f"http://127.0.0.1:{port}/", timeout=5).status_code == 200
        started = _descendants(process.pid)
        assert len(started) >= 4  # anvil, worker (+ pool), beat, web server
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert "Marketplace running at" in output
    assert not [pid for pid in started if _alive(pid)], output
    assert (tmp_path / "anvil-state-31337.json").exists()  # the chain survives a restart
