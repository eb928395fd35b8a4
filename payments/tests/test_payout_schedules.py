"""A sale's payouts are a schedule its purchase points at, shared by the sales paid alike, and
`Payout` is a view of the schedules' lines and the refusal and withdrawal entries (issue 20:
the per-sale payout rows were half of what indexing a sale wrote). What reports read is held to
the chain in test_payouts_derived; here, what is written, a reorg, and the migration."""

from datetime import UTC, datetime
from importlib import import_module

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from eth_account import Account

from chain.indexer import rollback_to
from chain.indexer.store import lock_cursor
from chain.models import IndexerCursor
from payments import payout_view
from payments.models import Payout, PayoutEntry, PayoutSchedule, PayoutShare, Purchase
from payments.payout_view import around_payout_view
from payments.tests.buying import received
from payments.tests.indexing import TierSpec, buy, index, tokenized_listing, wallets
from payments.tests.test_payouts_derived import indexed_payouts

PRICE = 10**16 + 7


def _listing(creator, partner: str):
    return tokenized_listing(
        creator_key=creator,
        tiers=[TierSpec(name="Download", price_wei=PRICE)],
        splits=[(creator.address, 7_000, "me"), (partner, 3_000, "p")],
    )


@pytest.mark.django_db
@pytest.mark.chain
def test_sales_paid_alike_share_one_schedule_and_write_no_payout_rows(contracts, w3):
    creator, buyer = wallets(2)
    listing = _listing(creator, Account.create().address)
    receipts = [buy(listing, buyer) for _ in range(3)] + [buy(listing, buyer, quantity=2)]
    index()

    purchases = list(Purchase.objects.order_by("id"))
    assert len(purchases) == 4
    assert len({p.payouts_id for p in purchases[:3]}) == 1  # paid alike: one schedule
    assert purchases[3].payouts_id != purchases[0].payouts_id  # twice the amount
    assert PayoutSchedule.objects.count() == 2 and PayoutEntry.objects.count() == 0
    # The fee, the creator (its share and the owner's remainder: one payee), the partner.
    shares = PayoutShare.objects.filter(schedule_id=purchases[0].payouts_id).order_by("position")
    assert [s.kind for s in shares] == ["credited", "paid", "paid"]
    assert Payout.objects.filter(log__event="Purchased").count() == 12
    for receipt in receipts:
        assert indexed_payouts(receipt) == received(receipt)
    row = Payout.objects.filter(log__event="Purchased").select_related("listing", "log").first()
    assert row.listing == listing and row.log.tx_hash == row.tx_hash and row.to_address == ""


@pytest.mark.django_db
@pytest.mark.chain
def test_a_reorg_takes_the_sales_payouts_with_them_and_indexing_again_brings_them_back(
    contracts, w3
):
    creator, buyer = wallets(2)
    listing = _listing(creator, Account.create().address)
    index()
    before = IndexerCursor.objects.get()
    receipts = [buy(listing, buyer), buy(listing, buyer)]
    index()
    assert Payout.objects.count() == 6

    from django.db import transaction

    with transaction.atomic():
        rollback_to(lock_cursor(before.chain_id), before.block_number, before.block_hash)
    assert Payout.objects.count() == 0 and not Purchase.objects.exists()
    assert PayoutSchedule.objects.count() == 1  # kept for the next sale paid alike

    index()
    assert Payout.objects.count() == 6 and PayoutSchedule.objects.count() == 1
    for receipt in receipts:
        assert indexed_payouts(receipt) == received(receipt)


# ------------------------------------------------------------------------------ migration

BEFORE, AFTER = ("payments", "0013_platform_fee_row"), ("payments", "0014_payout_schedules")
WHEN = datetime(2026, 12, 1, tzinfo=UTC)
FIELDS = (
    "log_id", "position", "kind", "account", "currency", "amount", "listing_id",
    "onchain_listing_id", "to_address", "tx_hash", "block_time",
)  # fmt: skip


def _migrate(target) -> object:
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


def _ledger(apps) -> list[tuple]:
    rows = apps.get_model("payments", "Payout").objects.values_list(*FIELDS)
    return sorted((*row[:5], int(row[5]), *row[6:]) for row in rows)


def _old_ledger(apps) -> list[tuple]:
    """Three sales (two paid alike, one with a refused share), a refusal's credit and a
    withdrawal, as indexed before schedules."""
    ChainLog = apps.get_model("chain", "ChainLog")
    Purchase = apps.get_model("payments", "Purchase")
    Payout = apps.get_model("payments", "Payout")
    fee, owner, partner = "0x" + "fe" * 20, "0x" + "0a" * 20, "0x" + "0b" * 20
    eth = "0x" + "00" * 20

    def log(n: int, event: str):
        return ChainLog.objects.create(
            chain_id=31337, block_number=n, block_hash=f"0x{n:064x}", block_time=WHEN,
            tx_hash=f"0x{n:064x}", log_index=0, address=eth, contract="Marketplace",
            event=event, args={},
        )  # fmt: skip

    def payout(log, position, kind, account, amount, to=""):
        Payout.objects.create(
            log=log, position=position, kind=kind, account=account, currency=eth, amount=amount,
            onchain_listing_id=2**100, to_address=to, tx_hash=log.tx_hash, block_time=WHEN,
        )  # fmt: skip

    # Entries first: their ids below the sales' payouts (ids must not collide either way).
    payout(log(4, "Credited"), 0, "credited", partner, 275)
    payout(log(5, "Withdrawn"), 0, "withdrawn", partner, 275, to=partner)
    for n, lines in enumerate(
        [
            [("credited", fee, 25), ("paid", owner, 700), ("paid", partner, 275)],
            [("credited", fee, 25), ("paid", owner, 700), ("paid", partner, 275)],
            [("credited", fee, 25), ("paid", owner, 700)],  # the partner refused
        ],
        start=1,
    ):
        sale = log(n, "Purchased")
        Purchase.objects.create(
            log=sale, buyer=owner, onchain_listing_id=2**100, token_id=2**108, tier_index=0,
            quantity=1, currency=eth, amount=1000, tx_hash=sale.tx_hash, block_time=WHEN,
        )  # fmt: skip
        for position, (kind, account, amount) in enumerate(lines):
            payout(sale, position, kind, account, amount)
    payout(log(6, "Withdrawn"), 0, "withdrawn", partner, 1, to=partner)
    return _ledger(apps)


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_the_ledger_into_schedules_and_back():
    try:
        before = _old_ledger(_migrate(BEFORE))
        apps = _migrate(AFTER)
        assert _ledger(apps) == before
        assert apps.get_model("payments", "PayoutSchedule").objects.count() == 2
        entries = apps.get_model("payments", "PayoutEntry").objects
        assert entries.count() == 3
        # The next entry indexed gets an id of its own (PostgreSQL's sequence moved with them).
        entry = entries.order_by("id").last()
        entry.pk, entry.position = None, 1
        entry.save()
        assert len(_ledger(apps)) == len(before) + 1
        entry.delete()
        assert _ledger(_migrate(BEFORE)) == before  # and back
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes("payments")[0])


# ------------------------------------------------------------- later migrations and the view


def view_unsafe_migrations(migrations_by_name: dict) -> list[str]:
    """Names of the migrations after 0014 that alter a table under the view (other than by an
    index) without dropping the view first and making it again last (around_payout_view)."""
    from django.db.migrations import operations as ops

    harmless = (ops.AddIndex, ops.RemoveIndex, ops.RenameIndex, ops.RunPython)
    found = []
    for name, migration in sorted(migrations_by_name.items()):
        if name <= "0014_payout_schedules":
            continue
        touches = [
            op
            for op in migration.operations
            if not isinstance(op, harmless)
            and {getattr(op, "model_name_lower", None), getattr(op, "name_lower", None)}
            & payout_view.TABLES_UNDER
        ]
        wrapped = (
            migration.operations
            and isinstance(migration.operations[0], ops.RunSQL)
            and migration.operations[0].sql == payout_view.DROP
            and isinstance(migration.operations[-1], ops.RunSQL)
            and "CREATE VIEW payments_payout" in migration.operations[-1].sql
        )
        if touches and not wrapped:
            found.append(name)
    return found


def test_later_migrations_of_tables_under_the_view_drop_it_and_make_it_again():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    ours = {name: m for (app, name), m in loader.disk_migrations.items() if app == "payments"}
    assert view_unsafe_migrations(ours) == []
    assert payout_view.CREATE == import_module("payments.migrations.0014_payout_schedules").VIEW


def test_the_check_sees_an_unwrapped_migration():
    from django.db import migrations, models

    def migration(*operations):
        return type("Migration", (), {"operations": list(operations)})

    alter = migrations.AlterField("purchase", "buyer", models.CharField(max_length=50))
    index = migrations.AddIndex("purchase", models.Index(fields=["buyer"], name="x"))
    bare, wrapped = migration(alter), migration(*around_payout_view([alter]))
    indexed = migration(index)
    found = view_unsafe_migrations({"0015_bare": bare, "0016_wrapped": wrapped, "0017_i": indexed})
    assert found == ["0015_bare"]


@pytest.mark.django_db
@pytest.mark.chain
def test_a_backfill_gives_sales_indexed_without_their_terms_their_payouts(contracts, w3):
    """From a review: an indexer started after the listing's registration knows no split for
    its sales (no payouts); re-reading the chain from the deployment finds them."""
    from chain.indexer import Indexer

    creator, buyer = wallets(2)
    listing = _listing(creator, Account.create().address)
    buy(listing, buyer)  # registers: the split
    later = w3.eth.block_number + 1
    receipt = buy(listing, buyer)
    indexer = Indexer(confirmations=0)
    indexer.start_at(later)
    indexer.run()
    assert Purchase.objects.count() == 1 and not Payout.objects.exists()

    indexer.start_at(indexer.target().start_block)
    indexer.run()
    assert indexed_payouts(receipt) == received(receipt)
    assert Payout.objects.count() == 6


@pytest.mark.django_db
def test_entries_of_one_second_read_in_the_order_they_were_written():
    """From a review: the view's ids keep entries in order (blocks can share a timestamp)."""
    from chain.models import ChainLog

    eth = "0x" + "00" * 20
    for n in (1, 2, 3):
        log = ChainLog.objects.create(
            chain_id=1, block_number=n, block_hash="0x", block_time=WHEN, tx_hash=f"0x{n}",
            log_index=0, address=eth, contract="Marketplace", event="Withdrawn", args={},
        )  # fmt: skip
        PayoutEntry.objects.create(
            log=log, kind="withdrawn", account=eth, currency=eth, amount=n, tx_hash=log.tx_hash,
            block_time=WHEN,
        )  # fmt: skip
    found = Payout.objects.order_by("block_time", "id").values_list("amount", flat=True)
    assert [int(amount) for amount in found] == [1, 2, 3]
