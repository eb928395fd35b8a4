"""`make run`: bring up the whole product on this machine and stop all of it on Ctrl-C.

Starts anvil (unless CHAIN_RPC_URL is set), migrates, deploys the contracts if the chain lacks
them, then runs a Celery worker, Celery beat, the web server and the MCP server for agents
(`mcp_serve`, on MCP_PORT) as child processes. Each child runs in its own process group so a
stop reaches its own children (Celery's pool, runserver's reloader) and nothing is left behind.

It supervises them: a child that exits (a crash, an out-of-memory kill) is restarted after a
backoff that doubles up to a minute and starts over once the child has stayed up a while, and
each restart is logged; the others keep running, so one dead worker never takes the site or the
chain down with it. anvil is restarted the same way, from its state file."""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError

from chain.anvil import Anvil, rpc_ready
from marketplace.demo import LOCAL_COMPUTE_HOST

STOP_GRACE_SECONDS = 10
FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 60.0
STABLE_SECONDS = 60.0  # up this long: the next exit is a fresh failure, backoff starts over


class Child:
    """One supervised command: started in its own process group, restarted with backoff."""

    def __init__(self, name: str, cmd: list[str], *, cwd, log):
        self.name, self.cmd, self.cwd, self.log = name, cmd, cwd, log
        self.process: subprocess.Popen | None = None
        self.backoff = FIRST_BACKOFF_SECONDS
        self.started_at = 0.0
        self.restart_at: float | None = None
        self.restarts = 0

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.cmd, cwd=self.cwd, start_new_session=True, stdin=subprocess.DEVNULL
        )
        self.started_at, self.restart_at = time.monotonic(), None

    def check(self) -> None:
        """Notice an exit (schedule a restart) or a due restart (do it)."""
        now = time.monotonic()
        if self.restart_at is not None:
            if now >= self.restart_at:
                self.restarts += 1
                self.log(f"{self.name}: restarting (restart {self.restarts})")
                self.start()
            return
        if self.process is None or self.process.poll() is None:
            return
        code = self.process.returncode
        # Whatever it left (a prefork pool whose parent was killed) goes with it.
        _signal_group(self.process, signal.SIGKILL)
        if now - self.started_at >= STABLE_SECONDS:
            self.backoff = FIRST_BACKOFF_SECONDS
        self.log(f"{self.name} exited with {code}; restarting in {self.backoff:.0f} s")
        self.restart_at = now + self.backoff
        self.backoff = min(self.backoff * 2, MAX_BACKOFF_SECONDS)


class Command(BaseCommand):
    help = "Run anvil, the Celery worker and beat, and the web server until Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--anvil-port", type=int, default=int(os.environ.get("ANVIL_PORT", "8545"))
        )
        parser.add_argument("--mcp-port", type=int, default=int(os.environ.get("MCP_PORT", "8001")))

    def handle(self, *args, host, port, anvil_port, mcp_port, **options):
        children: list[Child] = []
        anvil = None
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            anvil = self._start_chain(anvil_port)
            call_command("migrate", interactive=False, verbosity=0)
            self._deploy_contracts()
            children = self._children(host, port, mcp_port)
            for child in children:
                child.start()
            self.stdout.write(self.style.SUCCESS(f"\nMarketplace running at http://{host}:{port}/"))
            self.stdout.write(
                f"MCP server for agents at http://{host}:{mcp_port}/mcp (docs/agents.md)"
            )
            self.stdout.write("Press Ctrl-C to stop everything.\n")
            self._supervise(children, anvil)
        except KeyboardInterrupt:
            self.stdout.write("\nStopping…")
        finally:
            # A second Ctrl-C must not cut the cleanup short and strand processes.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            _stop_all([c.process for c in children if c.process is not None])
            if anvil:
                anvil.stop()
            self.stdout.write("Stopped.")

    def _start_chain(self, port: int) -> Anvil | None:
        if "CHAIN_RPC_URL" in os.environ:
            if not rpc_ready(settings.CHAIN_RPC_URL):
                raise CommandError(f"CHAIN_RPC_URL {settings.CHAIN_RPC_URL} does not answer")
            self.stdout.write(f"Using the chain at {settings.CHAIN_RPC_URL}")
            return None
        url = f"http://127.0.0.1:{port}"
        if rpc_ready(url):
            raise CommandError(
                f"Something already answers on {url} (an earlier run?). Stop it, or set "
                f"CHAIN_RPC_URL={url} to use it, or ANVIL_PORT to pick another port."
            )
        # A block every second keeps confirmations moving; --state keeps the chain across runs.
        anvil = Anvil(
            port=port,
            chain_id=settings.CHAIN_ID,
            block_time=1,
            state_file=settings.VAR_DIR / f"anvil-state-{settings.CHAIN_ID}.json",
            state_interval=10,
        ).start()
        settings.CHAIN_RPC_URL = anvil.url
        os.environ["CHAIN_RPC_URL"] = anvil.url  # the children talk to the same chain
        self.stdout.write(f"anvil (chain {settings.CHAIN_ID}) on {anvil.url}")
        return anvil

    def _deploy_contracts(self) -> None:
        if "deploy_contracts" in get_commands():
            call_command("deploy_contracts")
        if "load_demo_data" in get_commands():
            call_command("load_demo_data")

    def _children(self, host: str, port: int, mcp_port: int) -> list[Child]:
        python = sys.executable
        commands = {
            # One worker for everything on one machine, the local compute host's queue included.
            "celery worker": [python, "-m", "celery", "-A", "marketplace", "worker", "-l", "info",
                              "-c", "2", "-Q", f"celery,compute.{LOCAL_COMPUTE_HOST}"],
            "celery beat": [python, "-m", "celery", "-A", "marketplace", "beat", "-l", "info",
                            "-s", str(settings.CELERY_BEAT_SCHEDULE_FILENAME)],
            "web server": [python, "manage.py", "runserver", f"{host}:{port}", "--noreload"],
            # Agents' tools (agents/server.py); its links point at the web server (SITE_URL).
            "mcp server": [python, "manage.py", "mcp_serve", "--host", host,
                           "--port", str(mcp_port)],
        }  # fmt: skip
        return [
            Child(name, cmd, cwd=settings.BASE_DIR, log=self._log) for name, cmd in commands.items()
        ]

    def _supervise(self, children: list[Child], anvil: Anvil | None) -> None:
        anvil_backoff, anvil_retry_at = FIRST_BACKOFF_SECONDS, 0.0
        while True:
            for child in children:
                child.check()
            if anvil and anvil.process.poll() is not None and time.monotonic() >= anvil_retry_at:
                self._log(f"anvil exited with {anvil.process.returncode}; restarting it")
                try:
                    anvil.start()  # from its state file: the chain as last saved
                    anvil_backoff = FIRST_BACKOFF_SECONDS
                except RuntimeError as exc:
                    self._log(f"anvil did not come back ({exc}); next try in {anvil_backoff:.0f} s")
                    anvil_retry_at = time.monotonic() + anvil_backoff
                    anvil_backoff = min(anvil_backoff * 2, MAX_BACKOFF_SECONDS)
            time.sleep(0.5)

    def _log(self, message: str) -> None:
        self.stderr.write(f"[runstack] {message}")
        self.stderr.flush()


def _interrupt(signum, frame):
    """SIGTERM (from a process manager, or a test) stops us the same way Ctrl-C does."""
    raise KeyboardInterrupt


def _stop_all(children: list[subprocess.Popen]) -> None:
    """SIGTERM each child (it stops its own workers cleanly), wait, then SIGKILL its whole
    process group so nothing it spawned outlives us."""
    for child in children:
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        _signal_group(child, signal.SIGKILL)  # also reaps grandchildren that outlived the parent


def _signal_group(child: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(child.pid, sig)
    except ProcessLookupError:
        pass
