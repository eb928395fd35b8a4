"""Where a hot request's time goes, in the process: the listings API, search, the browse page and
a listing page against bench/search.py's 100k listings, each rendered fresh (page cache missed)
and served from the page cache, beside /livez (Django and its middleware, nothing else).

    .venv/bin/python bench/pages.py [--rounds 15] [--no-doc]

CPU time of the request in this process (time.process_time: what the machine's other load does
not inflate, unlike wall time on a shared machine), SQL statements and their time from
CaptureQueriesContext; medians of the rounds. Prints the figures and writes the `pages` section
of docs/performance.md. $BENCH_SEARCH_DB names the database as for bench/search.py."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from perfdoc import write_section  # noqa: E402
from search import DATABASE_URL  # noqa: E402
from server import BENCH_SETTINGS  # noqa: E402

SLUG = "bench-4242"
URLS = [
    ("`/livez` (trivial)", "/livez"),
    ("API: a page of listings", "/api/v1/listings/?page=3"),
    ("API: a listing (tiers, splits, versions, card)", f"/api/v1/listings/{SLUG}"),
    ("API: search, a term in a tenth of the listings", "/api/v1/listings/?q=bert"),
    ("API: search with filters", "/api/v1/listings/?license=apache-2.0&task=fill-mask"),
    ("Page: browse", "/listings/"),
    ("Page: search", "/listings/?q=bert"),
    ("Page: a listing", f"/listings/{SLUG}/"),
]


def setup() -> None:
    os.environ.update(BENCH_SETTINGS)
    os.environ.update(
        DATABASE_URL=DATABASE_URL,
        DEBUG="false",
        ALLOWED_HOSTS="testserver",
        CONN_MAX_AGE="60",
        CACHE_URL="locmemcache://",
        DJANGO_SETTINGS_MODULE="marketplace.settings",
    )
    import django

    django.setup()


def measure(client, url: str, *, fresh: bool, rounds: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from listings import page_cache

    cpu, wall, queries, sql = [], [], 0, []
    client.get(url)  # warm: connections, filter options, the row's pages
    for _ in range(rounds):
        if fresh:
            page_cache.forget(site=True)  # every cached reply is stale: the next one renders
        with CaptureQueriesContext(connection) as ctx:
            started, started_cpu = time.perf_counter(), time.process_time()
            reply = client.get(url)
            cpu.append(time.process_time() - started_cpu)
            wall.append(time.perf_counter() - started)
        assert reply.status_code == 200, (url, reply.status_code)
        queries = len(ctx.captured_queries)
        sql.append(sum(float(q["time"]) for q in ctx.captured_queries))
    return {
        "cpu_ms": statistics.median(cpu) * 1000,
        "wall_ms": statistics.median(wall) * 1000,
        "sql_ms": statistics.median(sql) * 1000,
        "queries": queries,
    }


def render(rows: list[tuple[str, str, dict, dict]]) -> str:
    trivial = rows[0][2]["cpu_ms"]
    lines = []
    for label, _url, fresh, cached in rows:
        lines.append(
            f"| {label} | {fresh['queries']} | {fresh['sql_ms']:.1f} | {fresh['cpu_ms']:.1f} | "
            f"{trivial / fresh['cpu_ms']:.2f} | {cached['queries']} | {cached['cpu_ms']:.2f} | "
            f"{trivial / cached['cpu_ms']:.2f} |"
        )
    table = "\n".join(lines)
    return f"""## Where a hot request's time goes (`bench/pages.py`)

In the process (Django's test client, no HTTP), PostgreSQL with 100,000 listings, DEBUG off,
medians of the rounds. CPU ms: this process's CPU time for the request (the machine's other
load does not inflate it; PostgreSQL's own time is in "SQL ms", wall time). "× trivial": how
many such requests the CPU serves per `/livez` — the same ratio the load test measures, without
HTTP and wrk. Fresh: the page cache missed (every generation bumped before each round), the
filter options cached as in production. Cached: an anonymous visitor's reply from the page cache.

| Request | Fresh: queries | SQL ms | CPU ms | × trivial | Cached: queries | CPU ms | × trivial |
|---|---|---|---|---|---|---|---|
{table}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()
    setup()
    from django.test import Client

    client = Client()
    rows = [
        (label, url, measure(client, url, fresh=True, rounds=args.rounds),
         measure(client, url, fresh=False, rounds=args.rounds))
        for label, url in URLS
    ]  # fmt: skip
    text = render(rows)
    print(text)
    if not args.no_doc:
        write_section("pages", text, after="load")


if __name__ == "__main__":
    main()
