"""`make run`: bring up the whole product on this machine and stop all of it on Ctrl-C.

Starts anvil (unless CHAIN_RPC_URL is set), migrates, deploys the contracts if the chain lacks
them, then runs a Celery worker, Celery beat and the web server as child processes. Each child
runs in its own process group so a stop reaches its own children (Celery's pool, runserver's
reloader) and nothing is left behind."""

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


class Command(BaseCommand):
    help = "Run anvil, the Celery worker and beat, and the web server until Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--anvil-port", type=int, default=int(os.environ.get("ANVIL_PORT", "8545"))
        )

    def handle(self, *args, host, port, anvil_port, **options):
        children: list[subprocess.Popen] = []
        anvil = None
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            anvil = self._start_chain(anvil_port)
            call_command("migrate", interactive=False, verbosity=0)
            self._deploy_contracts()
            children = self._start_services(host, port)
            self.stdout.write(self.style.SUCCESS(f"\nMarketplace running at http://{host}:{port}/"))
            self.stdout.write("Press Ctrl-C to stop everything.\n")
            self._wait(children)
        except KeyboardInterrupt:
            self.stdout.write("\nStopping…")
        finally:
            # A second Ctrl-C must not cut the cleanup short and strand processes.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            _stop_all(children)
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

    def _start_services(self, host: str, port: int) -> list[subprocess.Popen]:
        python = sys.executable
        commands = [
            # One worker for everything on one machine, the local compute host's queue included.
            [python, "-m", "celery", "-A", "marketplace", "worker", "-l", "info", "-c", "2",
             "-Q", f"celery,compute.{LOCAL_COMPUTE_HOST}"],
            [python, "-m", "celery", "-A", "marketplace", "beat", "-l", "info",
             "-s", str(settings.CELERY_BEAT_SCHEDULE_FILENAME)],
            [python, "manage.py", "runserver", f"{host}:{port}", "--noreload"],
        ]  # fmt: skip
        return [
            subprocess.Popen(
                cmd, cwd=settings.BASE_DIR, start_new_session=True, stdin=subprocess.DEVNULL
            )
            for cmd in commands
        ]

    def _wait(self, children: list[subprocess.Popen]) -> None:
        while True:
            for child in children:
                if child.poll() is not None:
                    raise CommandError(
                        f"{' '.join(child.args[1:4])} exited with {child.returncode}"
                    )
            time.sleep(0.5)


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
