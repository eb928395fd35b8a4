"""API throughput under concurrent load, and a load test of browse, search and download, on
the production layout (tools/prod/stack.py: nginx → gunicorn, PostgreSQL, Redis) with 100k
listings.

    .venv/bin/python bench/load.py [--clients 50] [--seconds 10] [--no-doc]

The listings come from bench/search.py's database (`bench_search`, seeded there on first use),
copied to a throwaway database for this run. A buyer holding a download licence (an
entitlement row, as bench/download.py makes; tools/prod/check.py covers the chain path) gets a
signed URL for a 1 MiB file. Then wrk (Debian's package) drives each mix for --seconds with
--clients connections through nginx, one mix after the other:

- trivial: /livez (Django, no database): the baseline the API is compared with;
- api: the listings API (pages of the default order, and listing details);
- search: bench/search.py's 10 searches through the API;
- browse: the HTML pages (the browse page, its later pages, listing pages);
- download: the signed URL (Django checks the licence, nginx sends the file: X-Accel-Redirect).

Throttles are off for the run (they limit clients per address, and every client here is
127.0.0.1). Prints the figures and writes the `load` section of docs/performance.md."""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "tools" / "prod")]

from download import SETUP, make_file  # noqa: E402
from perfdoc import write_section  # noqa: E402
from search import DB_NAME, QUERIES  # noqa: E402
from server import BENCH_SETTINGS  # noqa: E402
from stack import Stack, log  # noqa: E402

LISTINGS = 100_000
MIXES = (
    "trivial",
    "api",
    "search",
    "browse",
    "download",
    "api-fresh",
    "search-fresh",
    "browse-fresh",
)
# The "-fresh" mixes send a session cookie: the site renders every reply (as for a signed-in
# visitor) instead of serving anonymous replies from its page cache (listings/page_cache.py).
FRESH_COOKIE = "sessionid=bench-no-such-session"
# BENCH_LOAD_DB / BENCH_REDIS_DB: other names on a shared PostgreSQL and Redis.
LOAD_DB = os.environ.get("BENCH_LOAD_DB", "marketplace_bench_load")
REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", "13"))


def seed() -> None:
    """bench/search.py's 100k listings (only the first run pays for seeding)."""
    command = [sys.executable, str(ROOT / "bench" / "search.py"), "--seed-only"]
    subprocess.run(command, cwd=ROOT, check=True)


def paths(download_url: str) -> dict[str, list[str]]:
    rng = random.Random(7)
    slugs = [f"bench-{rng.randrange(LISTINGS)}" for _ in range(40)]
    mixes = {
        "trivial": ["/livez"],
        "api": [f"/api/v1/listings/?page={n}" for n in range(1, 6)]
        + [f"/api/v1/listings/{slug}" for slug in slugs],
        "search": [f"/api/v1/listings/?{q}" for q in QUERIES],
        "browse": ["/listings/", "/listings/?page=2", "/listings/?kind=dataset"]
        + [f"/listings/{slug}/" for slug in slugs],
        "download": [download_url],
    }
    for name in ("api", "search", "browse"):
        mixes[f"{name}-fresh"] = mixes[name]
    return mixes


def wrk(
    base: str, mix: list[str], *, clients: int, seconds: float, work: Path, cookie: str = ""
) -> dict:
    paths_file = work / "paths.txt"
    paths_file.write_text("\n".join(mix) + "\n")
    command = [
        "wrk", "-t", "2", "-c", str(clients), "-d", f"{seconds:g}s", "--timeout", "10s",
        "-s", str(ROOT / "bench" / "wrk_report.lua"), base,
    ]  # fmt: skip
    done = subprocess.run(
        command, env={**os.environ, "WRK_PATHS_FILE": str(paths_file),
                      **({"WRK_COOKIE": cookie} if cookie else {})},
        capture_output=True, text=True, check=True, timeout=seconds + 60,
    )  # fmt: skip
    line = next(x for x in done.stdout.splitlines() if x.startswith("WRK "))
    result = json.loads(line[4:])
    result["errors"] = sum(result[k] for k in ("connect", "read", "write", "status", "timeout"))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def licensed_download(stack: Stack, work: Path) -> str:
    """A published listing with a 1 MiB file and a buyer holding its download licence; the
    signed URL (path only) the downloads API gives that buyer."""
    source = work / "weights.bin"
    make_file(source, 1024**2)
    out = stack.manage("shell", "-c", SETUP, env={"BENCH_FILE": str(source)})
    slug, token, _cid = out.split()[-3:]
    reply = requests.get(
        f"{stack.url}/api/v1/listings/{slug}/downloads",
        headers={"Authorization": f"Token {token}"},
        timeout=30,
    )
    reply.raise_for_status()
    return reply.json()[0]["url"].removeprefix(stack.url)


def check_replies(stack: Stack, mixes: dict[str, list[str]]) -> None:
    """Every path answers 200 once before the clock starts (a 404 would be a cheap error)."""
    for mix in mixes.values():
        for path in mix:
            reply = requests.get(stack.url + path, timeout=30)
            if reply.status_code != 200:
                raise SystemExit(f"{path} answered {reply.status_code}")


def measure(args) -> tuple[dict, dict]:
    extra = dict(BENCH_SETTINGS)  # no throttles: every client here is 127.0.0.1
    with (
        tempfile.TemporaryDirectory(prefix="bench-load-") as tmp,
        Stack(name=LOAD_DB, redis_db=REDIS_DB, template=DB_NAME, chain=False,
              compute_hosts=(), extra_env=extra) as stack,
    ):  # fmt: skip
        work = Path(tmp)
        mixes = paths(licensed_download(stack, work))
        check_replies(stack, mixes)
        results = {}
        for name in MIXES:
            cookie = FRESH_COOKIE if name.endswith("-fresh") else ""
            run = {"clients": args.clients, "work": work, "cookie": cookie}
            # Warm-up, not recorded: fresh workers open their database connections and the
            # copied database's pages come into memory; without it the first mix pays for both.
            wrk(stack.url, mixes[name], seconds=3, **run)
            r = wrk(stack.url, mixes[name], seconds=args.seconds, **run)
            results[name] = r
            log(f"{name}: {r['rps']:.0f} req/s, p95 {r['p95_us'] / 1e3:.1f} ms, {r['errors']} err")
        setup = {"workers": stack.gunicorn_workers, "threads": stack.gunicorn_threads}
    return results, setup


def render(results: dict, setup: dict, args) -> str:
    trivial = results["trivial"]["rps"]
    labels = {
        "trivial": "`/livez` (trivial, no database)",
        "api": "API: listing pages and details",
        "search": "API: 10 searches (full text, filters, sorts)",
        "browse": "HTML: browse pages and listing pages",
        "download": "Download, 1 MiB, licence checked (X-Accel-Redirect)",
        "api-fresh": "API: listing pages and details, no page cache",
        "search-fresh": "API: 10 searches, no page cache",
        "browse-fresh": "HTML: browse and listing pages, no page cache",
    }
    rows = []
    for name in MIXES:
        r = results[name]
        rate = 100 * r["errors"] / max(1, r["requests"] + r["errors"])
        rows.append(
            f"| {labels[name]} | {r['rps']:,.0f} | {r['rps'] / trivial:.2f} | "
            f"{r['p50_us'] / 1000:.1f} | {r['p95_us'] / 1000:.1f} | {r['p99_us'] / 1000:.1f} | "
            f"{r['requests']:,} | {r['errors']} ({rate:.2f} %) |"
        )
    table = "\n".join(rows)
    return f"""## Load: {args.clients} concurrent clients, {LISTINGS:,} listings (`bench/load.py`)

The production layout (tools/prod/stack.py) on this machine: nginx → gunicorn
({setup["workers"]} workers × {setup["threads"]} threads) → PostgreSQL, Redis for the cache;
{LISTINGS:,} published listings. wrk (2 threads, {args.clients} connections, keep-alive) runs
each mix for {args.seconds:g} s through nginx (after 3 s of warm-up), one mix after the other,
on the same machine as the server. Errors: non-2xx replies plus socket errors and timeouts (10 s).
The first mixes are anonymous, as the public browses: after its first request each reply comes
from the page cache (listings/page_cache.py) until a change invalidates it. The "no page cache"
mixes send a session cookie, so every reply is rendered (what a signed-in visitor gets).

| Mix | Requests/s | × trivial | p50 ms | p95 ms | p99 ms | Requests | Errors |
|---|---|---|---|---|---|---|---|
{table}

**API under {args.clients} clients: {results["api"]["rps"]:,.0f} requests/s, \
{results["api"]["rps"] / trivial:.2f} × the trivial endpoint; searches \
{results["search"]["rps"] / trivial:.2f} ×.** Throttles were off for the run (every client is
127.0.0.1)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()
    started = time.monotonic()
    seed()
    results, setup = measure(args)
    text = render(results, setup, args)
    print(text)
    print(json.dumps({name: round(r["rps"]) for name, r in results.items()}))
    if not args.no_doc:
        write_section("load", text)
    log(f"load bench done in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
