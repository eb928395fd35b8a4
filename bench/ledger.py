"""Reports over the ledger: a sale's payouts as a shared schedule read through the `Payout`
view, against the same payouts stored as a row per payee and sale (what the ledger was until
issue 20; `PayoutEntry` has that table's columns and indexes).

    .venv/bin/python bench/ledger.py [--sales 100000]

Seeds one listing's sales (a 3-way split and the platform fee: 4 payouts a sale) in a
temporary SQLite database (or BENCH_DATABASE_URL, an empty PostgreSQL database), then times
the reports on both shapes in the same process, answers compared: the fee recipient's totals
(the credited balance page) and the listing's payouts CSV (every row, in time order). Prints
the figures and writes the `ledger` section of docs/performance.md."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from perfdoc import write_section  # noqa: E402

ETH = "0x" + "00" * 20
FEE, OWNER, A, B = ("0x" + c * 20 for c in ("fe", "0a", "0b", "0c"))
PRICE = 10**15


def setup_django(tmp: Path) -> None:
    os.environ.update(
        DATABASE_URL=os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp / 'ledger.sqlite3'}",
        VAR_DIR=str(tmp / "var"),
        DEBUG="false",
        DEMO_DATA="false",
        LOG_LEVEL="WARNING",
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def payouts_of_a_sale() -> list[tuple[str, str, int]]:
    """The fee, then the split's payees (the owner takes the dust), as the contract pays."""
    fee = PRICE * 250 // 10_000
    net = PRICE - fee
    shares = [(A, net * 1_000 // 10_000), (B, net * 1_000 // 10_000)]
    return [("credited", FEE, fee), ("paid", OWNER, net - sum(s for _, s in shares))] + [
        ("paid", who, share) for who, share in shares
    ]


def seed(sales: int):
    """The listing and its sales' logs and purchases, pointing at one schedule; and the same
    payouts as PayoutEntry rows (the old shape). Returns the listing."""
    from django.db import transaction

    from accounts.models import User
    from chain.models import ChainLog
    from core.bulk import insert_rows, select_in
    from listings.models import Listing
    from payments.models import PayoutEntry, PayoutSchedule, PayoutShare, Purchase
    from payments.onchain.payouts import schedule_key

    creator = User.objects.create_user(OWNER)
    listing = Listing.objects.create(creator=creator, title="Bench", slug="bench-ledger")
    lines = payouts_of_a_sale()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with transaction.atomic():
        schedule = PayoutSchedule.objects.create(key=schedule_key(lines))
        PayoutShare.objects.bulk_create(
            PayoutShare(schedule=schedule, position=i, kind=k, account=a, amount=n)
            for i, (k, a, n) in enumerate(lines)
        )
        for first in range(0, sales, 10_000):
            numbers = range(first, min(sales, first + 10_000))
            when = {n: start + timedelta(seconds=12 * n) for n in numbers}
            insert_rows(
                ChainLog,
                ("chain_id", "block_number", "block_hash", "block_time", "tx_hash", "log_index",
                 "address", "contract", "event", "args", "created_at"),
                [(31337, n, f"0x{n:064x}", when[n], f"0x{n:064x}", 0, ETH, "Marketplace",
                  "Purchased", {}, when[n]) for n in numbers],
            )  # fmt: skip
            ids = dict(select_in(ChainLog, ["block_number", "id"], "block_number", numbers))
            insert_rows(
                Purchase,
                ("log", "buyer", "listing", "onchain_listing_id", "token_id", "tier_index",
                 "quantity", "currency", "amount", "tx_hash", "block_time", "payouts"),
                [(ids[n], A, listing.pk, 7, 7 << 8, 0, 1, ETH, PRICE, f"0x{n:064x}", when[n],
                  schedule.pk) for n in numbers],
            )  # fmt: skip
            insert_rows(
                PayoutEntry,
                ("log", "position", "kind", "account", "currency", "amount", "listing",
                 "onchain_listing_id", "to_address", "tx_hash", "block_time"),
                [(ids[n], i, k, a, ETH, amount, listing.pk, 7, "", f"0x{n:064x}", when[n])
                 for n in numbers for i, (k, a, amount) in enumerate(lines)],
            )  # fmt: skip
    return listing


def _timed(query) -> tuple[float, object]:
    times, answer = [], None
    for _ in range(5):
        started = time.monotonic()
        answer = query()
        times.append(time.monotonic() - started)
    return statistics.median(times), answer


def before(listing) -> dict:
    """The reports as they read a row per payee and sale (the queries before issue 20's change,
    on PayoutEntry: the same columns and indexes as that table)."""
    from core.db import wei_sum
    from payments.models import PayoutEntry

    def account_totals():
        rows = PayoutEntry.objects.filter(account=FEE, currency=ETH)
        return {kind: wei_sum(rows.filter(kind=kind), "amount") for kind in KINDS}

    return {"account": _timed(account_totals), "csv": _timed(lambda: _csv(PayoutEntry, listing))}


def now(listing) -> dict:
    """The same reports as the product reads them now: the account's totals from the schedules'
    lines (payments.dashboard.ledger), the CSV's rows from the Payout view."""
    from payments.dashboard.ledger import ledger_account_totals
    from payments.models import Payout

    def account_totals():
        totals = ledger_account_totals(account=FEE, currency=ETH)
        return {kind: totals[kind] for kind in KINDS}

    return {"account": _timed(account_totals), "csv": _timed(lambda: _csv(Payout, listing))}


KINDS = ("paid", "credited", "withdrawn")


def _csv(model, listing) -> list:
    """The payouts CSV's rows of the listing, in time order (payments.dashboard.exports)."""
    rows = model.objects.filter(listing__in=[listing]).order_by("block_time", "id")
    fields = ("block_time", "kind", "account", "amount")
    return [(*row[:3], int(row[3])) for row in rows.values_list(*fields).iterator(chunk_size=2000)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sales", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        setup_django(Path(tmp))
        from django.db import connection

        from payments.models import PayoutEntry

        listing = seed(args.sales)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # what autovacuum does to a grown table
                cursor.execute("ANALYZE")
        entry_rows = PayoutEntry.objects.count()
        old = before(listing)
        PayoutEntry.objects.all().delete()  # the view now reads only the schedules
        new = now(listing)
        vendor = connection.vendor
    for key in old:
        assert new[key][1] == old[key][1], key  # the same answers
    rows = [
        ("The fee recipient's totals (the credited balance page)", "account"),
        ("The listing's payouts CSV (every row, in time order)", "csv"),
    ]
    table = "\n".join(
        f"| {label} | {old[key][0] * 1000:,.1f} ms | {new[key][0] * 1000:,.1f} ms | "
        f"{new[key][0] / old[key][0]:.2f}× |"
        for label, key in rows
    )
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = f"""## Ledger reports: payout schedules against a row per payee (`bench/ledger.py`)

Measured on {stamp}; {vendor}; {args.sales:,} sales of one listing, 4 payouts each
({entry_rows:,} rows in the old shape; now one schedule of 4 lines the purchases point at).
Median of 5 runs of each report, both shapes in the same process and database; the answers
are compared and equal. Before: the queries on a row per payee and sale; now: the totals
from the schedules' lines times their sales, the CSV's rows from the `Payout` view.

| Report | a row per payee (before) | now | now / before |
|---|---|---|---|
{table}"""
    write_section("ledger", section, after="indexer")
    print(section)


if __name__ == "__main__":
    main()
