"""insert_rows (the indexer's and the handlers' bulk writes): every value as it went in, a
second copy of a row skipped when asked, ids in the rows' order; on SQLite (executemany) and
PostgreSQL (COPY, through a staging table when conflicts are skipped)."""

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, transaction

from chain.indexer.store import LOG_FIELDS
from chain.models import ChainLog
from core.bulk import insert_rows, update_rows
from payments.models import PayoutEntry

pytestmark = pytest.mark.django_db(transaction=True)

WHEN = datetime(2026, 12, 5, 6, 30, 15, 123456, tzinfo=UTC)
UINT256_MAX = 2**256 - 1


def log_row(index: int, args: dict | None = None) -> tuple:
    return (31337, 7, "0x" + "ab" * 32, WHEN, "0x" + "cd" * 32, index, "0x" + "12" * 20,
            "Marketplace", "Paid", args or {"amount": UINT256_MAX, "i": index}, WHEN)  # fmt: skip


def stored() -> list[tuple]:
    rows = ChainLog.objects.order_by("id").values_list(*LOG_FIELDS)
    return [tuple(row) for row in rows]


def test_rows_arrive_whole_and_in_order():
    rows = [log_row(i) for i in (5, 1, 3)]
    assert insert_rows(ChainLog, LOG_FIELDS, rows) == 3
    assert stored() == rows  # ids follow the rows' order; JSON keeps a uint256 exact


def test_a_second_copy_is_skipped_when_asked_and_refused_otherwise():
    insert_rows(ChainLog, LOG_FIELDS, [log_row(1), log_row(2)])
    again = [log_row(2, {"changed": True}), log_row(4), log_row(1), log_row(3)]
    with transaction.atomic():  # as in the indexer's batch
        assert insert_rows(ChainLog, LOG_FIELDS, again, ignore_conflicts=True) == 2  # inserted
        insert_rows(ChainLog, LOG_FIELDS, [log_row(5)], ignore_conflicts=True)  # same table
    assert stored() == [log_row(1), log_row(2), log_row(4), log_row(3), log_row(5)]
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(ChainLog, LOG_FIELDS, [log_row(6), log_row(1)])
    assert len(stored()) == 5  # nothing of a refused batch


def test_wei_amounts_and_foreign_keys_convert_through_their_fields():
    insert_rows(ChainLog, LOG_FIELDS, [log_row(i) for i in range(3)])
    logs = list(ChainLog.objects.order_by("id"))
    fields = ("log", "position", "kind", "account", "currency", "amount", "listing",
              "onchain_listing_id", "to_address", "tx_hash", "block_time")  # fmt: skip
    amounts = [UINT256_MAX, 0, 10**18 + 1]
    rows = [
        (
            log.pk,
            0,
            "paid",
            "0x" + "34" * 20,
            "0x" + "00" * 20,
            amount,
            None,
            2**200,
            "",
            "0x1",
            WHEN,
        )
        for log, amount in zip(logs, amounts, strict=True)
    ]
    insert_rows(PayoutEntry, fields, rows, ignore_conflicts=True)
    saved = PayoutEntry.objects.order_by("id")
    assert [int(p.amount) for p in saved] == amounts
    assert [p.log_id for p in saved] == [log.pk for log in logs]
    assert {int(p.onchain_listing_id) for p in saved} == {2**200}
    assert {p.block_time for p in saved} == {WHEN}


def test_updates_set_each_row_its_own_values_through_their_fields():
    insert_rows(ChainLog, LOG_FIELDS, [log_row(i) for i in range(3)])
    first, second, third = ChainLog.objects.order_by("id")
    later = datetime(2027, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    sent = update_rows(
        ChainLog,
        ("block_time", "args", "event"),
        [(third.pk, later, {"amount": UINT256_MAX, "new": [1]}, "Credited"),
         (first.pk, WHEN, {"x": None}, "Paid")],
    )  # fmt: skip
    assert sent == 2
    rows = ChainLog.objects.order_by("id").values_list("block_time", "args", "event")
    assert list(rows) == [
        (WHEN, {"x": None}, "Paid"),
        (WHEN, second.args, "Paid"),  # untouched
        (later, {"amount": UINT256_MAX, "new": [1]}, "Credited"),
    ]
