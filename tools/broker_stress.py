"""Stress `make run`'s embedded Celery broker: several producer processes publish tasks with
payloads of random size and a checksum, several real Celery worker processes (the project's
app, prefork pool as `runstack` starts it) consume them, and the report says what was lost,
received twice or corrupted, and whether a worker died.

    .venv/bin/python tools/broker_stress.py                      # ~1 minute
    .venv/bin/python tools/broker_stress.py --minutes 10         # producers publish for 10 min

The suite runs a short round (marketplace/tests/test_broker_stress.py). Everything lives in a
temporary VAR_DIR, so the developer's var/ and broker are never touched."""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from celery import shared_task

ROOT = Path(__file__).resolve().parents[1]
QUEUE = "broker-stress"
# Lines in a worker's log that mean a worker (or one of its pool processes) died or a message
# could not be read.
DEATH_MARKS = (
    "Unrecoverable error",
    "JSONDecodeError",
    "WorkerLostError",
    "exited with",
    "Traceback",
)


@shared_task(name="broker_stress.record", ignore_result=True)
def record(producer: int, seq: int, payload: str, digest: str) -> None:
    """Runs on a worker: one line per message received, in this process's own file (so lines
    of different processes never interleave)."""
    intact = hashlib.sha256(payload.encode()).hexdigest() == digest
    line = json.dumps({"p": producer, "s": seq, "ok": intact}) + "\n"
    path = Path(os.environ["BROKER_STRESS_OUT"]) / f"received-{os.getpid()}.jsonl"
    with path.open("a") as out:
        out.write(line)


def produce(producer: int, count: int, seconds: float) -> None:
    """Publish `count` messages (or as many as fit in `seconds` when it is set)."""
    import django

    django.setup()
    rng = random.Random(producer)
    deadline = time.monotonic() + seconds if seconds else None
    seq = 0
    while (deadline and time.monotonic() < deadline) or (not deadline and seq < count):
        payload = base64.b64encode(rng.randbytes(rng.randint(1, 24_000))).decode()
        digest = hashlib.sha256(payload.encode()).hexdigest()
        record.apply_async((producer, seq, payload, digest), queue=QUEUE)
        seq += 1
    Path(os.environ["BROKER_STRESS_OUT"], f"sent-{producer}").write_text(str(seq))


def _env(var_dir: Path, out: Path, broker_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("CELERY_BROKER_URL", "DATABASE_URL")}
    env.update(VAR_DIR=str(var_dir), BROKER_STRESS_OUT=str(out), PYTHONPATH=str(ROOT))
    if broker_url:  # e.g. filesystem:// to compare with the transport this one replaced
        env["CELERY_BROKER_URL"] = broker_url
    env["DJANGO_SETTINGS_MODULE"] = "marketplace.settings"
    return env


def _worker(env: dict, log: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "celery", "-A", "marketplace", "worker", "-l", "info", "-c", "2",
           "-Q", QUEUE, "-I", "tools.broker_stress", "-n", f"stress-{log.stem}@%h"]  # fmt: skip
    return subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
        start_new_session=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def _received(out: Path) -> list[dict]:
    lines = []
    for path in out.glob("received-*.jsonl"):
        lines += [json.loads(line) for line in path.read_text().splitlines() if line]
    return lines


def run(
    *,
    producers: int = 4,
    consumers: int = 3,
    messages: int = 400,
    seconds: float = 0,
    timeout: float = 240,
    workdir: Path | None = None,
    broker_url: str = "",
) -> dict:
    """One round; returns the report (see `main`). `messages` is per producer."""
    workdir = Path(workdir or tempfile.mkdtemp(prefix="broker-stress-"))
    out = workdir / "out"
    out.mkdir(parents=True, exist_ok=True)
    env = _env(workdir / "var", out, broker_url)
    workers = [_worker(env, workdir / f"worker-{i}.log") for i in range(consumers)]
    started = time.monotonic()
    try:
        senders = [
            subprocess.Popen(
                [sys.executable, __file__, "produce", str(p), str(messages), str(seconds)],
                cwd=ROOT,
                env=env,
            )  # fmt: skip
            for p in range(producers)
        ]
        for sender in senders:
            sender.wait(timeout=timeout)
        sent = sum(int((out / f"sent-{p}").read_text()) for p in range(producers))
        deadline = time.monotonic() + timeout
        while len(_received(out)) < sent and time.monotonic() < deadline:
            if any(w.poll() is not None for w in workers):
                break
            time.sleep(0.5)
        # With its exit code and the end of its log: a death under load must be diagnosable
        # from the failed test's report (the work directory is a temporary one).
        died = [
            {
                "worker": w.args[-1],
                "exit": w.returncode,
                "log_tail": (workdir / f"worker-{i}.log").read_text().splitlines()[-25:],
            }
            for i, w in enumerate(workers)
            if w.poll() is not None
        ]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, 9)
                worker.wait()
    return _report(out, workdir, sent, died, time.monotonic() - started)


def _pending(workdir: Path) -> int:
    """Messages still waiting in the embedded broker (a slow machine: not consumed yet, which
    is not lost). Workers stopped warm put back what they held, so those count here too."""
    path = workdir / "var" / "celery-broker.sqlite3"
    if not path.exists():
        return 0
    with sqlite3.connect(path, timeout=60) as db:
        return db.execute("SELECT count(*) FROM broker_message").fetchone()[0]


def _report(out: Path, workdir: Path, sent: int, died: list, elapsed: float) -> dict:
    received = _received(out)
    keys = [(r["p"], r["s"]) for r in received]
    unique = set(keys)
    pending = _pending(workdir)
    marks = []
    for log in workdir.glob("worker-*.log"):
        marks += [
            line for line in log.read_text().splitlines() if any(m in line for m in DEATH_MARKS)
        ]
    return {
        "sent": sent,
        "received": len(received),
        "pending": pending,
        "lost": sent - len(unique) - pending,
        "duplicated": len(keys) - len(unique),
        "corrupted": sum(1 for r in received if not r["ok"]),
        "workers_died": died,
        "worker_errors": marks,
        "seconds": round(elapsed, 1),
        "per_second": round(len(received) / max(elapsed, 1e-6), 1),
        "workdir": str(workdir),
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "produce":
        produce(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--producers", type=int, default=4)
    parser.add_argument("--consumers", type=int, default=3)
    parser.add_argument("--messages", type=int, default=2_000, help="per producer")
    parser.add_argument("--minutes", type=float, default=0, help="publish for this long instead")
    parser.add_argument("--broker-url", default="", help="default: the embedded default broker")
    args = parser.parse_args()
    report = run(
        producers=args.producers, consumers=args.consumers, messages=args.messages,
        seconds=args.minutes * 60, timeout=max(240, args.minutes * 60), broker_url=args.broker_url,
    )  # fmt: skip
    print(json.dumps(report, indent=2))
    bad = report["lost"] or report["duplicated"] or report["corrupted"] or report["workers_died"]
    sys.exit(1 if bad or report["worker_errors"] else 0)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")
    main()
