"""Search latency at 100k listings, on PostgreSQL.

    .venv/bin/python bench/search.py [--listings 100000] [--reseed] [--clients 8]

Seeds a dedicated database (`bench_search` on the local PostgreSQL, or $BENCH_SEARCH_DB; kept
between runs, so only the first run pays for seeding) with 100k published listings (from 200k
on, PostgreSQL makes them itself: bench/seed_listings.sql), then starts the real web server
(gunicorn, 2 workers × 4 threads, as in production) on it and measures, through HTTP:
- p50/p95 latency of a mix of searches (full text, filters, sorts), one request at a time;
- requests/s of that mix under `--clients` concurrent clients, as a ratio to a trivial endpoint
  (/livez, no database) in the same server, measured the same way right before.
Prints the figures and writes the `search` section of docs/performance.md."""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from perfdoc import write_section  # noqa: E402
from server import BenchServer  # noqa: E402

# BENCH_SEARCH_DB: another database name (a shared PostgreSQL: each person their own).
DB_NAME = os.environ.get("BENCH_SEARCH_DB", "bench_search")
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
FAMILIES = ["bert", "llama", "mistral", "whisper", "resnet", "vit", "t5", "gpt", "clip", "yolo"]
TASKS = [
    "text-classification", "translation", "summarization", "image-classification",
    "object-detection", "automatic-speech-recognition", "fill-mask", "text-generation",
]  # fmt: skip
ADJECTIVES = ["tiny", "small", "base", "large", "distilled", "quantized", "multilingual", "legal"]
DOMAINS = ["medical", "finance", "retail", "sensor", "satellite", "code", "news", "biology"]
LICENSES = ["mit", "apache-2.0", "cc-by-4.0", "openrail", "other"]
QUERIES = [
    "q=bert",
    "q=multilingual+translation",
    "q=medical+summarization",
    "q=quantized+llama&sort=price_low",
    "kind=dataset&sort=most_sold",
    "license=apache-2.0&task=fill-mask",
    "tag=finance&free=false",
    "min_price_wei=1000000000000000&max_price_wei=5000000000000000&sort=price_high",
    "q=whisper&kind=model&page=2",
    "sort=newest",
]


def setup_django() -> None:
    os.environ["DATABASE_URL"] = DATABASE_URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")
    import django

    django.setup()


def ensure_database(reseed: bool) -> None:
    def psql(sql: str) -> None:
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql, "postgres"], check=True
        )

    if reseed:
        psql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    exists = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc",
         f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'", "postgres"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    if not exists:
        psql(f"CREATE DATABASE {DB_NAME}")
    env = {**os.environ, "DATABASE_URL": DATABASE_URL}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
    )


def _listing_text(rng: random.Random) -> dict:
    family, task, domain = rng.choice(FAMILIES), rng.choice(TASKS), rng.choice(DOMAINS)
    title = f"{rng.choice(ADJECTIVES).title()} {family.upper()} {domain} {task.replace('-', ' ')}"
    summary = f"A {family} {rng.choice(['model', 'checkpoint', 'adapter'])} for {domain} {task}."
    card = (
        f"# {title}\n\nTrained on {rng.choice(DOMAINS)} data with {rng.randint(1, 900)}M tokens. "
        f"Evaluated on {rng.choice(DOMAINS)} benchmarks; "
        f"{rng.choice(ADJECTIVES)} variant of {family}."
    )
    return {
        "title": title,
        "summary": summary,
        "card": card,
        "task": task,
        "tags": [domain, family],
    }


def seed(count: int) -> None:
    """Bulk-insert `count` published listings (with tags), then build the search documents."""
    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from listings.models import Listing, ListingTag
    from listings.search import search_document_refresh

    have = Listing.objects.count()
    if have == 0 and count >= 200_000:
        print(f"  seeding {count} listings with SQL (bench/seed_listings.sql)…")
        sql = ROOT / "bench" / "seed_listings.sql"
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-v", "ON_ERROR_STOP=1",
             "-v", f"n={count}", "-qf", str(sql), DB_NAME], check=True,
        )  # fmt: skip
        return
    if have >= count:
        print(f"database has {have} listings already (use --reseed to start over)")
        return
    rng = random.Random(42)
    creators = User.objects.bulk_create(
        [User(address="0x" + f"{i:040x}") for i in range(1, 501)], ignore_conflicts=True
    )
    creators = list(User.objects.order_by("id")[:500])
    started, now, batch = time.perf_counter(), timezone.now(), 5000
    for offset in range(have, count, batch):
        rows, texts = [], []
        for i in range(offset, min(offset + batch, count)):
            text = _listing_text(rng)
            price = rng.choice([0, 10**15, 5 * 10**15, 10**16, 5 * 10**16, 10**17])
            rows.append(Listing(
                creator=creators[i % len(creators)], kind=rng.choice(["model", "model", "dataset"]),
                owner_address=creators[i % len(creators)].address,
                title=text["title"], slug=f"bench-{i}", summary=text["summary"], card=text["card"],
                status="published", task=text["task"], license_id=rng.choice(LICENSES),
                min_price_wei=price, is_free=price == 0, has_compute=rng.random() < 0.3,
                sales_count=rng.randint(0, 500), published_at=now,
            ))  # fmt: skip
            texts.append(text)
        created = Listing.objects.bulk_create(rows)
        ListingTag.objects.bulk_create(
            [
                ListingTag(listing=li, tag=tag)
                for li, t in zip(created, texts, strict=True)
                for tag in t["tags"]
            ]
        )
        print(f"\r  seeded {offset + len(rows)}/{count}", end="", flush=True)
    print(f"\n  inserted in {time.perf_counter() - started:.0f} s; building search documents…")
    search_document_refresh()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"  seeded in {time.perf_counter() - started:.0f} s")


def plans() -> None:
    """EXPLAIN ANALYZE of each search in QUERIES, as the API builds it: the plan's shape (which
    index, how many rows ranked) and its execution time."""
    from django.db import connection
    from django.http import QueryDict
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from listings.apis import ListingsApi
    from listings.selectors import ListingFilters, listing_search

    for query in QUERIES:
        params = Request(APIRequestFactory().get("/?" + query)).query_params
        form = ListingsApi.FilterSerializer(data={**params.dict(), "tag": params.getlist("tag")})
        form.is_valid(raise_exception=True)
        data = form.validated_data
        page = int(QueryDict(query).get("page", 1))
        filters = ListingFilters(
            text=data["q"], kind=data["kind"], license=data["license"], task=data["task"],
            tags=tuple(data.get("tag") or ()), min_price_wei=data["min_price_wei"],
            max_price_wei=data["max_price_wei"], free=data["free"], compute=data["compute"],
            sort=data["sort"],
        )  # fmt: skip
        rows = listing_search(filters=filters)[(page - 1) * 24 : page * 24 + 1]
        sql, args = rows.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, args)
            plan = [line for (line,) in cursor.fetchall()]
        print(f"\n### {query}\n" + "\n".join(plan))


def latencies(base: str, paths: list[str], rounds: int) -> list[float]:
    session, timings = requests.Session(), []
    for _ in range(rounds):
        for path in paths:
            started = time.perf_counter()
            reply = session.get(base + path, timeout=30)
            timings.append(time.perf_counter() - started)
            if reply.status_code != 200:
                raise SystemExit(f"{path} answered {reply.status_code}")
    return timings


def throughput(base: str, paths: list[str], clients: int, seconds: float) -> float:
    """Requests per second of `paths` (round robin) from `clients` threads for `seconds`."""
    done, deadline = [0] * clients, time.perf_counter() + seconds

    def client(n: int) -> None:
        session = requests.Session()
        while time.perf_counter() < deadline:
            session.get(base + paths[done[n] % len(paths)], timeout=30).raise_for_status()
            done[n] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / seconds


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--seed-only", action="store_true", help="seed (bench/load.py), no bench")
    parser.add_argument("--plans", action="store_true", help="EXPLAIN ANALYZE each search")
    args = parser.parse_args()

    ensure_database(args.reseed)
    setup_django()
    seed(args.listings)
    if args.seed_only:
        return
    if args.plans:
        return plans()
    # The page cache off: this measures PostgreSQL's search, not replies from the cache (a
    # repeated mix would be all cache hits; bench/load.py measures the site as deployed).
    env = {"DATABASE_URL": DATABASE_URL, "DEBUG": "false", "ALLOWED_HOSTS": "127.0.0.1",
           "CONN_MAX_AGE": "60", "PAGE_CACHE_SECONDS": "0"}  # fmt: skip
    server = BenchServer(env, workers=2, threads=4).start(migrate=False)
    base = server.url
    search_paths = [f"/api/v1/listings/?{q}" for q in QUERIES]
    try:
        latencies(base, search_paths, rounds=2)  # warm caches and connections
        timings = latencies(base, search_paths, rounds=20)
        trivial = throughput(base, ["/livez"], args.clients, args.seconds)
        searches = throughput(base, search_paths, args.clients, args.seconds)
    finally:
        server.stop()
    from listings.search import RANK_CANDIDATES

    p50, p95 = percentile(timings, 50) * 1000, percentile(timings, 95) * 1000
    # Issue 4 set < 100 ms at 100k listings; issue 20 < 150 ms at 1M.
    target = "< 100 ms" if args.listings <= 100_000 else "< 150 ms"
    ratio = searches / trivial
    print(f"listings: {args.listings}")
    print(
        f"search latency, one at a time: p50 {p50:.1f} ms, p95 {p95:.1f} ms (target p95 {target})"
    )
    print(
        f"{args.clients} clients: search {searches:.0f} req/s, "
        f"trivial {trivial:.0f} req/s, ratio {ratio:.2f}"
    )
    # The default size is the `search` section (and the summary's figure); others get their own.
    name = "search" if args.listings == 100_000 else f"search-{args.listings // 1000}k"
    write_section(
        name,
        f"""## Search at {args.listings:,} listings (PostgreSQL)

`bench/search.py`: the real server (gunicorn, 2 workers × 4 threads) on PostgreSQL with
{args.listings:,} published listings; a mix of {len(QUERIES)} searches (full text, filters, sorts,
page 2) over HTTP.

| figure | value | target |
| --- | --- | --- |
| latency p50 (one client) | {p50:.1f} ms | |
| latency p95 (one client) | {p95:.1f} ms | {target} |
| search requests/s ({args.clients} clients) | {searches:.0f} | |
| trivial endpoint requests/s ({args.clients} clients, same server) | {trivial:.0f} | |
| ratio search / trivial | {ratio:.2f} | |

Search uses a stored, weighted tsvector with a GIN index and pages without COUNT(*); a ranked
search ranks at most {RANK_CANDIDATES:,} matches (listings/search.py). The page cache is off for
this measurement (PostgreSQL's time, not the cache's); PostgreSQL's JIT is off (settings).
""",
        after="search" if name != "search" else None,
    )


if __name__ == "__main__":
    main()
