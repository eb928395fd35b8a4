"""The production layout of docs/deploy.md, started on this machine on loopback: PostgreSQL (a
fresh database), Redis (one db number) as the Celery broker, anvil, gunicorn behind nginx
(generated config, X-Accel-Redirect downloads, collected static files), Celery workers for the
default queue, the indexer queue and one `compute.<host>` queue per GPU host, and beat.

    with Stack(name="marketplace_prod_check", redis_db=14) as stack:
        requests.get(stack.url + "/livez")

Every process runs in its own process group with its log under `<workdir>/logs`; `stop()`
(also on an exception) ends them all and drops the database. Used by tools/prod/check.py
(`make prod-check`) and bench/load.py."""

from __future__ import annotations

import getpass
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from string import Template

import requests
from host import ensure_services, file_lock, free_port, http_ok, log, stop_all, wait_until

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
ANVIL_BIN = ROOT / "contracts/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"
PG = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-q"]
STOP_GRACE_SECONDS = 15
REGISTER_HOST = """
from compute.models import ComputeEnvironment
ComputeEnvironment.objects.update_or_create(name={name!r}, defaults=dict(
    cpu_count=1, ram_mb=2048, disk_gb=5, max_duration_seconds=600, max_concurrent_jobs=1))
"""


class Stack:
    """`compute_hosts`: names of the GPU hosts; each gets a worker on `compute.<name>`.
    `template`: copy this database instead of starting empty (bench/load.py's 100k listings).
    `chain`: start anvil and deploy the contracts (off for a read-only load test)."""

    def __init__(
        self,
        *,
        name: str,
        redis_db: int,
        compute_hosts: tuple[str, ...] = ("host-a", "host-b"),
        template: str | None = None,
        chain: bool = True,
        gunicorn_workers: int = 2,
        gunicorn_threads: int = 4,
        extra_env: dict | None = None,
    ):
        self.name, self.redis_db, self.template, self.chain = name, redis_db, template, chain
        self.compute_hosts = compute_hosts
        self.gunicorn_workers, self.gunicorn_threads = gunicorn_workers, gunicorn_threads
        self.work = Path(tempfile.mkdtemp(prefix=f"{name}-"))
        self.work.chmod(0o755)  # the sandbox's unprivileged job uids read staged inputs below
        self.logs = self.work / "logs"
        self.logs.mkdir()
        self.nginx_port, self.gunicorn_port = free_port(), free_port()
        self.anvil_port = free_port()
        self.url = f"http://127.0.0.1:{self.nginx_port}"
        self.gunicorn_url = f"http://127.0.0.1:{self.gunicorn_port}"
        self.rpc_url = f"http://127.0.0.1:{self.anvil_port}"
        self.processes: dict[str, subprocess.Popen] = {}
        self.database_created = False
        self.lock_file = None
        self.env = {**os.environ, **self.settings(), **(extra_env or {})}

    # --- settings -----------------------------------------------------------------------------
    def settings(self) -> dict:
        """The env vars a production host sets (docs/deploy.md), pointed at this machine."""
        return {
            "DJANGO_SETTINGS_MODULE": "marketplace.settings",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SITE_URL": self.url,
            "CSRF_TRUSTED_ORIGINS": self.url,
            # Plain HTTP on loopback; a real site is HTTPS and keeps the secure defaults.
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_HSTS_SECONDS": "0",
            "API_NUM_PROXIES": "1",  # nginx: throttles see the client's address
            "CACHE_URL": f"redis://127.0.0.1:6379/{self.redis_db}",  # throttles across workers
            "VAR_DIR": str(self.work / "var"),
            "STATIC_ROOT": str(self.work / "static"),
            "ARTIFACT_STORAGE": "local",
            "ARTIFACT_ROOT": str(self.work / "artifacts"),
            "DOWNLOADS_ACCEL_REDIRECT": "true",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{self.name}",
            "CONN_MAX_AGE": "60",
            "CELERY_BROKER_URL": f"redis://127.0.0.1:6379/{self.redis_db}",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "INDEXER_QUEUE": "indexer",
            "CHAIN_RPC_URL": self.rpc_url,
            "CHAIN_ID": "31337",
            "CHAIN_DEPLOYMENTS_DIR": str(self.work / "deployments"),
            "CONFIRMATIONS": "1",
            "LISTINGS_REQUIRE_REVIEW": "true",
            "DEMO_DATA": "false",
            "LOG_LEVEL": "INFO",
            # Hosts go online at their worker's first heartbeat: every 2 s here, not 15.
            "COMPUTE_HEARTBEAT_SECONDS": "2",
        }

    # --- life cycle ---------------------------------------------------------------------------
    def __enter__(self) -> Stack:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> Stack:
        started = time.monotonic()
        self.lock_file = file_lock(self.name)
        ensure_services()
        self.create_database()
        subprocess.run(
            ["redis-cli", "-n", str(self.redis_db), "flushdb"], check=True, capture_output=True
        )
        if self.chain:
            self.start_anvil()
        self.manage("migrate", "--noinput", "-v", "0")
        if self.chain:
            self.manage("deploy_contracts")
        self.manage("collectstatic", "--noinput", "-v", "0")
        self.register_hosts()
        self.start_gunicorn()
        self.start_nginx()
        self.start_celery()
        self.wait_ready()
        log(f"stack up in {time.monotonic() - started:.1f} s: {self.url} (logs: {self.logs})")
        return self

    def register_hosts(self) -> None:
        """One ComputeEnvironment per GPU host (an operator does this once per host, in the
        admin; docs/compute.md). It goes online with its worker's first heartbeat."""
        for host in self.compute_hosts:
            self.manage("shell", "-c", REGISTER_HOST.format(name=host))

    def create_database(self) -> None:
        self.psql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        template = f' TEMPLATE "{self.template}"' if self.template else ""
        if self.template:  # CREATE ... TEMPLATE needs nobody connected to the template
            self.psql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{self.template}'"
            )
        self.psql(f'CREATE DATABASE "{self.name}"{template}')
        self.database_created = True

    def psql(self, sql: str) -> None:
        subprocess.run([*PG, "-c", sql, "postgres"], check=True, capture_output=True)

    def manage(self, *args: str, env: dict | None = None) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def spawn(self, name: str, command: list[str], env: dict | None = None) -> None:
        output = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 (closed with the process)
        self.processes[name] = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**self.env, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        output.close()

    def start_anvil(self) -> None:
        if not ANVIL_BIN.exists():
            raise SystemExit(f"anvil not found at {ANVIL_BIN}: run `make setup`")
        # A block a second, like a real chain, so CONFIRMATIONS=1 is waited for, not skipped.
        self.spawn(
            "anvil",
            [
                str(ANVIL_BIN),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.anvil_port),
                "--chain-id",
                "31337",
                "--block-time",
                "1",
            ],
        )
        wait_until(lambda: self._rpc_ready(), 20, "anvil")

    def _rpc_ready(self) -> bool:
        body = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
        try:
            return "result" in requests.post(self.rpc_url, json=body, timeout=1).json()
        except (requests.RequestException, ValueError):
            return False

    def start_gunicorn(self) -> None:
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        env = {
            "GUNICORN_BIND": f"127.0.0.1:{self.gunicorn_port}",
            "GUNICORN_WORKERS": str(self.gunicorn_workers),
            "GUNICORN_THREADS": str(self.gunicorn_threads),
            "GUNICORN_LOG_LEVEL": "warning",
        }
        command = [gunicorn, "-c", str(HERE / "gunicorn.conf.py"), "marketplace.wsgi"]
        self.spawn("gunicorn", command, env)

    def nginx_conf(self) -> str:
        for sub in ("logs", "tmp"):
            (self.work / "nginx" / sub).mkdir(parents=True, exist_ok=True)
        # Running as root, nginx's workers would drop to `nobody`, who cannot read this run's
        # private temporary directory; a real host gives nginx a user that shares a group with
        # the app instead (docs/deploy.md).
        user = f"user {getpass.getuser()};" if os.geteuid() == 0 else ""
        return Template((HERE / "nginx.conf.template").read_text()).safe_substitute(
            user_line=user,
            worker_processes="2",
            prefix=str(self.work / "nginx"),
            upstream=f"127.0.0.1:{self.gunicorn_port}",
            listen=f"127.0.0.1:{self.nginx_port}",
            static_root=self.env["STATIC_ROOT"],
            artifact_root=self.env["ARTIFACT_ROOT"],
            ipfs_gateway="http://127.0.0.1:8080",
        )

    def start_nginx(self) -> None:
        prefix = self.work / "nginx"
        conf = prefix / "nginx.conf"
        prefix.mkdir(exist_ok=True)
        conf.write_text(self.nginx_conf())
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        error_log = str(prefix / "logs" / "error.log")  # before the config is read, too
        test = [nginx, "-t", "-p", str(prefix), "-e", error_log, "-c", str(conf)]
        check = subprocess.run(test, capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"nginx -t failed:\n{check.stderr}")
        command = [nginx, "-p", str(prefix), "-e", error_log, "-c", str(conf), "-g", "daemon off;"]
        self.spawn("nginx", command)

    def celery_workers(self) -> dict[str, list[str]]:
        """Name → command. One process per queue, as on separate hosts; `--pool solo` keeps
        this machine's memory down (production sizes `-c` per host, docs/deploy.md)."""
        celery = [sys.executable, "-m", "celery", "-A", "marketplace"]

        def worker(queue: str, name: str) -> list[str]:
            return celery + [
                "worker",
                "-Q",
                queue,
                "-n",
                f"{name}@%h",
                "-l",
                "info",
                "--pool",
                "solo",
                "--without-gossip",
                "--without-mingle",
            ]

        workers = {"worker-default": worker("celery", "default")}
        if self.chain:
            workers["worker-indexer"] = worker("indexer", "indexer")
            workers["beat"] = celery + [
                "beat",
                "-l",
                "info",
                "-s",
                str(self.work / "celerybeat-schedule"),
            ]
        for host in self.compute_hosts:
            workers[f"worker-{host}"] = worker(f"compute.{host}", host)
        return workers

    def start_celery(self) -> None:
        for name, command in self.celery_workers().items():
            self.spawn(name, command)

    def wait_ready(self, timeout: float = 120) -> None:
        wait_until(lambda: http_ok(self.url + "/livez"), timeout, "nginx → gunicorn")
        workers = [n for n in self.processes if n.startswith("worker-")]
        for name in workers:
            wait_until(lambda n=name: self._worker_ready(n), timeout, f"celery {name}")

    def _worker_ready(self, name: str) -> bool:
        process = self.processes[name]
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited: {self.tail(name)}")
        return " ready." in (self.logs / f"{name}.log").read_text(errors="replace")

    def tail(self, name: str, lines: int = 30) -> str:
        path = self.logs / f"{name}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM every process group (each stops its own children), wait, then SIGKILL what
        is left; drop the database; keep the logs only when asked (PROD_KEEP_LOGS)."""
        stop_all(list(self.processes.values()), STOP_GRACE_SECONDS)
        self.processes.clear()
        if self.database_created:
            self.psql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self.database_created = False
        if self.lock_file:
            self.lock_file.close()  # releases the lock
            self.lock_file = None
        if os.environ.get("PROD_KEEP_LOGS"):
            log(f"logs kept in {self.logs}")
        else:
            shutil.rmtree(self.work, ignore_errors=True)
