"""The machine a `make bench` run measured on, for the head of docs/performance.md."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import datetime
from pathlib import Path


def _first(path: str, key: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def _output(command: list[str]) -> str:
    """First line a version command prints (some print it on stderr, some exit non-zero)."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "not installed"
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0] if lines else "?"


def versions() -> dict[str, str]:
    pg = _output(["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "SHOW server_version",
                  "postgres"])  # fmt: skip
    redis_info = subprocess.run(["redis-cli", "INFO", "server"], capture_output=True, text=True)
    redis = next(
        (line.split(":", 1)[1].strip() for line in redis_info.stdout.splitlines()
         if line.startswith("redis_version:")),
        "?",
    )  # fmt: skip
    return {
        "Python": platform.python_version(),
        "PostgreSQL": pg.split(" ")[0],
        "Redis": redis,
        "nginx": _output(["nginx", "-v"]).removeprefix("nginx version: nginx/"),
        "wrk": _output(["wrk", "-v"]).split(" ")[1].removeprefix("debian/"),
    }


def is_busy(load: tuple) -> bool:
    """Other work was running when the benchmarks started: a 1-minute load average above half
    the cores. (The load after the run is the benchmarks' own: the load test saturates it.)"""
    before, _after = load
    return before[0] > (os.cpu_count() or 1) * 0.5


def describe(*, started_at: datetime, load: tuple) -> str:
    mem_kib = int(_first("/proc/meminfo", "MemTotal").split()[0] or 0)
    before, after = load
    busy = is_busy(load)
    software = ", ".join(f"{k} {v}" for k, v in versions().items())
    commit = _output(["git", "-C", str(Path(__file__).resolve().parents[1]), "rev-parse",
                      "--short", "HEAD"])  # fmt: skip
    note = (
        "\n\n**The machine was busy** (other work was running: load average "
        f"{before[0]:.1f} at the start, on {os.cpu_count()} cores): throughput "
        "figures are lower and latencies higher than on a quiet machine."
        if busy
        else ""
    )
    return f"""## The machine (`make bench`, {started_at:%Y-%m-%d %H:%M} UTC)

| | |
|---|---|
| CPU | {_first("/proc/cpuinfo", "model name")}, {os.cpu_count()} cores ({platform.machine()}) |
| Memory | {mem_kib / 1024**2:.1f} GiB |
| Kernel | Linux {platform.release()} |
| Software | {software} |
| Code | commit {commit} (plus the working tree) |
| Load average (1 min) | {before[0]:.2f} before the run, {after[0]:.2f} after (its own load) |

Every figure below comes from this one run of `make bench` unless the summary says otherwise;
client and server share the machine (loopback).{note}"""
