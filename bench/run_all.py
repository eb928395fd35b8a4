"""`make bench`: run every benchmark in bench/ once, then head docs/performance.md with the
machine they ran on and a summary of every figure against its target.

    .venv/bin/python bench/run_all.py [--only gas,cid] [--timeout SECONDS]

Each script writes its own section (bench/perfdoc.py); this one adds `machine` and `summary`
at the top. A script that fails (or is missing, like bench/compute.py before the compute
issue lands) leaves its section as it was, and the summary says so: "not measured" or
"stale" — never a figure from another run presented as this one's. Logs: var/bench/<name>.log."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from machine import describe, is_busy  # noqa: E402
from perfdoc import read_section, write_section  # noqa: E402
from summary import render_summary  # noqa: E402

# Known benchmarks in a sensible order (cheap first; search seeds the 100k listings load uses).
ORDER = [
    "gas", "cid", "upload_memory", "search", "indexer", "ledger", "download", "compute", "load",
    "pages",
]  # fmt: skip
HELPERS = {"perfdoc", "server", "run_all", "machine", "summary"}


def scripts() -> list[str]:
    """Every bench/*.py that runs as a script: the known ones in ORDER, then any others."""
    found = {
        path.stem
        for path in (ROOT / "bench").glob("*.py")
        if path.stem not in HELPERS and "__main__" in path.read_text()
    }
    return [n for n in ORDER if n in found] + sorted(found - set(ORDER))


def run(name: str, timeout: float, logs: Path) -> dict:
    started = time.monotonic()
    log_path = logs / f"{name}.log"
    print(f"[bench] {name} …", flush=True)
    with open(log_path, "w") as out:
        try:
            done = subprocess.run(
                [sys.executable, str(ROOT / "bench" / f"{name}.py")],
                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, timeout=timeout,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )  # fmt: skip
            status = "ok" if done.returncode == 0 else f"failed (exit {done.returncode})"
        except subprocess.TimeoutExpired:
            status = f"timed out after {timeout:.0f} s"
    seconds = time.monotonic() - started
    print(f"[bench] {name}: {status} in {seconds:.0f} s (log: {log_path})", flush=True)
    if status != "ok":
        print("\n".join(log_path.read_text(errors="replace").splitlines()[-15:]), flush=True)
    return {"status": status, "seconds": seconds}


def previous(logs: Path) -> dict:
    try:
        return json.loads((logs / "results.json").read_text())
    except (OSError, ValueError):
        return {}


def summary_only() -> int:
    """The summary again from the sections and var/bench/results.json, without measuring."""
    results = previous(ROOT / "var" / "bench")
    if not results:
        print("no recorded run (var/bench/results.json): run `make bench`")
        return 1
    first = min(r["at"] for r in results.values()).removesuffix(" UTC") + "+0000"
    started_at = datetime.strptime(first, "%Y-%m-%d %H:%M%z")
    busy = "**The machine was busy**" in (read_section("machine") or "")
    summary = render_summary(results, started_at, busy=busy)
    write_section("summary", summary, after="machine")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="comma-separated names (default: all)")
    parser.add_argument("--timeout", type=float, default=900, help="per script, seconds")
    parser.add_argument(
        "--summary-only", action="store_true", help="redo the summary from the last run's record"
    )
    args = parser.parse_args()
    if args.summary_only:
        return summary_only()
    names = [n for n in scripts() if not args.only or n in args.only.split(",")]
    logs = ROOT / "var" / "bench"
    logs.mkdir(parents=True, exist_ok=True)
    started_at = datetime.now(UTC)
    load_before = os.getloadavg()
    results = {name: run(name, args.timeout, logs) for name in names}
    for result in results.values():
        result["at"] = started_at.strftime("%Y-%m-%d %H:%M UTC")
    if args.only:  # a partial run refreshes its own scripts and keeps the others' records
        results = {**previous(logs), **results}
    (logs / "results.json").write_text(json.dumps(results, indent=1))
    load = (load_before, os.getloadavg())
    write_section("machine", describe(started_at=started_at, load=load), after="")
    summary = render_summary(results, started_at, busy=is_busy(load))
    write_section("summary", summary, after="machine")
    failed = [n for n, r in results.items() if r["status"] != "ok"]
    total = sum(r["seconds"] for r in results.values())
    print(f"[bench] done in {total:.0f} s; wrote docs/performance.md"
          + (f"; FAILED: {', '.join(failed)}" if failed else ""))  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
