"""`make run`'s supervisor: the whole stack comes up and answers; a worker killed again and
again is restarted while the site keeps answering a flood of requests and tasks keep coming;
Ctrl-C leaves nothing behind."""

import os
import signal
import subprocess
import sys
import threading
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


def _children_of(pid: int) -> dict[int, str]:
    out = subprocess.run(
        ["ps", "-e", "-o", "pid=,ppid=,args="], capture_output=True, text=True
    ).stdout
    found = {}
    for line in out.splitlines():
        child, parent, args = line.split(None, 2)
        if int(parent) == pid:
            found[int(child)] = args
    return found


def _worker_pid(runstack: subprocess.Popen) -> int | None:
    for pid, args in _children_of(runstack.pid).items():
        if "celery" in args and " worker " in args and _alive(pid):
            return pid
    return None


def _wait_for(predicate, what: str, process: subprocess.Popen, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"runstack exited while waiting for {what}"
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


class Flood:
    """Threads that keep asking the site for pages, the API and /healthz; every answer that is
    not a 200 (or no answer) is recorded. The API's rate limit answering 429 is an answer."""

    PATHS = ("/", "/healthz", "/api/v1/listings/", "/listings/")

    def __init__(self, base: str, threads: int = 3):
        self.base, self.stop = base, threading.Event()
        self.answered, self.failures = 0, []
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _run(self) -> None:
        session = requests.Session()
        while not self.stop.is_set():
            for path in self.PATHS:
                try:
                    status = session.get(self.base + path, timeout=30).status_code
                except requests.RequestException as exc:
                    status = repr(exc)
                if status == 200 or (status == 429 and path.startswith("/api/")):
                    self.answered += 1
                else:
                    self.failures.append((path, status))

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)


def _wait_mcp(url: str, process: subprocess.Popen) -> None:
    """The MCP server answers a tools/list (plain JSON-RPC over Streamable HTTP)."""
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": "2025-06-18",
    }

    def answers():
        try:
            reply = requests.post(url, json=body, headers=headers, timeout=5)
        except requests.RequestException:
            return False
        return reply.ok and "search_listings" in reply.text

    _wait_for(answers, "the MCP server", process)


def _publish_tasks(env: dict, count: int) -> None:
    """Tasks for the stack's worker, sent through its own broker (a process of its own, as the
    web server sends them)."""
    code = (
        "import django; django.setup(); from accounts.tasks import nonce_purge; "
        f"[nonce_purge.delay() for _ in range({count})]"
    )
    subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, check=True)


def test_runstack_serves_restarts_a_killed_worker_and_ctrl_c_stops_every_process(tmp_path):
    port, anvil_port, mcp_port = free_port(), free_port(), free_port()
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "CHAIN_RPC_URL", "CELERY_BROKER_URL")
        },
        "VAR_DIR": str(tmp_path),  # embedded defaults: SQLite, the SQLite broker, local anvil
        "PORT": str(port),
        "ANVIL_PORT": str(anvil_port),
        "MCP_PORT": str(mcp_port),
        "DJANGO_SETTINGS_MODULE": "marketplace.settings",
    }
    log_path = tmp_path / "runstack.log"
    with log_path.open("w") as log:  # a file, not a pipe: a full pipe would stall the stack
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runstack"],
            cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(f"{base}/healthz", process)
        assert requests.get(f"{base}/", timeout=10).status_code == 200
        started = _descendants(process.pid)
        assert len(started) >= 5  # anvil, worker (+ pool), beat, web server, MCP server
        _wait_mcp(f"http://127.0.0.1:{mcp_port}/mcp", process)
        with Flood(base) as flood:
            for kill in range(1, 4):
                worker = _wait_for(lambda: _worker_pid(process), "a worker", process)
                _publish_tasks(env, 20)
                os.killpg(worker, signal.SIGKILL)  # the worker and its pool, as the OOM killer
                _wait_for(
                    lambda old=worker: (_worker_pid(process) or old) != old, "a new worker", process
                )
                assert log_path.read_text().count("celery worker: restarting") == kill
            # The last worker takes tasks again: one sent now is run.
            mark = len(log_path.read_text())
            _publish_tasks(env, 1)
            _wait_for(
                lambda: (
                    "nonce_purge" in log_path.read_text()[mark:]
                    and "succeeded" in log_path.read_text()[mark:]
                ),
                "a task run by the restarted worker",
                process,
            )
        assert flood.failures == [], flood.failures[:10]
        assert flood.answered > 0
        started |= _descendants(process.pid)
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    output = log_path.read_text()
    assert process.returncode == 0, output[-5000:]
    assert "Marketplace running at" in output
    assert "celery worker exited with -9; restarting in" in output
    assert not [pid for pid in started if _alive(pid)], output[-5000:]
    assert (tmp_path / "anvil-state-31337.json").exists()  # the chain survives a restart
