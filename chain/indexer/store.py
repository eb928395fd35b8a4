"""The indexer's database side: the cursor lock, storing a batch of logs, handing them to the
subscribed apps, keeping block hashes, and rolling back. Every function here runs inside the
transaction that holds the cursor's lock (see core.Indexer)."""

from datetime import UTC, datetime

from django.db import OperationalError, connection
from django.utils import timezone

from chain import registry
from chain.indexer.decode import RawLog
from chain.indexer.source import Header
from chain.models import BlockHash, ChainLog, IndexerCursor
from core.bulk import insert_rows

# ChainLog columns in model order after the id, so a saved row is rebuilt positionally (the
# fast path of Model.__init__: a batch builds thousands).
LOG_FIELDS = (
    "chain_id", "block_number", "block_hash", "block_time", "tx_hash", "log_index", "address",
    "contract", "event", "args", "created_at",
)  # fmt: skip
assert [f.name for f in ChainLog._meta.concrete_fields] == ["id", *LOG_FIELDS]


class IndexerBusy(Exception):
    """Another indexer holds this chain's cursor right now."""


def lock_cursor(chain_id: int) -> IndexerCursor:
    """The cursor row, locked until the transaction ends. NOWAIT: a second indexer gives up at
    once instead of queueing behind the first. (SQLite has no row locks; there the IMMEDIATE
    transaction serialises writers, and the caller's check of the cursor does the rest.)"""
    try:
        return IndexerCursor.objects.select_for_update(nowait=True).get(chain_id=chain_id)
    except OperationalError as exc:
        raise IndexerBusy(str(exc)) from exc


def store_logs(
    cursor: IndexerCursor, end: int, logs: list[RawLog], headers: dict[int, Header]
) -> list[ChainLog]:
    """Save the batch's logs (after the cursor, up to `end`) and return them as saved rows.
    The unique key (chain id, tx hash, log index) keeps a second copy out whatever happens."""
    if not logs:
        return []
    times = {n: datetime.fromtimestamp(h.timestamp, tz=UTC) for n, h in headers.items()}
    now = timezone.now()
    chain_id = cursor.chain_id
    rows = [
        (chain_id, log.block_number, log.block_hash, times[log.block_number], log.tx_hash,
         log.log_index, log.address, log.contract, log.event, log.args, now)
        for log in logs
    ]  # fmt: skip
    insert_rows(ChainLog, LOG_FIELDS, rows, ignore_conflicts=True)
    ids = _stored_ids(chain_id, cursor.block_number, end)
    # A log already stored at another block (impossible on one chain) is not handled again.
    return [ChainLog(ids[row[4], row[5]], *row) for row in rows if (row[4], row[5]) in ids]


def _stored_ids(chain_id: int, after: int, end: int) -> dict[tuple[str, int], int]:
    """{(tx hash, log index): id} of the logs stored in blocks (after, end]. A plain cursor:
    for thousands of rows Django's row handling cost more than the query."""
    table = connection.ops.quote_name(ChainLog._meta.db_table)
    with connection.cursor() as db:
        db.execute(
            f"SELECT tx_hash, log_index, id FROM {table} "
            "WHERE chain_id = %s AND block_number > %s AND block_number <= %s",
            [chain_id, after, end],
        )
        return {(tx_hash, index): pk for tx_hash, index, pk in db.fetchall()}


def dispatch(logs: list[ChainLog]) -> None:
    """Each app's handlers get their kinds of log, then the app recomputes what they touch."""
    by_kind: dict[tuple[str, str], list[ChainLog]] = {}
    for log in logs:
        by_kind.setdefault((log.contract, log.event), []).append(log)
    for subscriber in registry.subscribers():
        own = subscriber.own(logs)
        if not own:
            continue
        for kind, handler in subscriber.handlers.items():
            if kind in by_kind:
                handler(by_kind[kind])
        if subscriber.recompute:
            subscriber.recompute(own)


def keep_hashes(cursor: IndexerCursor, headers: dict[int, Header], keep: int) -> None:
    """Remember the hashes of the blocks just indexed; forget all but the newest `keep`."""
    fresh = [h for n, h in headers.items() if n > cursor.block_number]
    kept = BlockHash.objects.filter(chain_id=cursor.chain_id)
    kept.filter(number__in=[h.number for h in fresh]).delete()
    BlockHash.objects.bulk_create(
        BlockHash(chain_id=cursor.chain_id, number=h.number, hash=h.hash) for h in fresh
    )
    oldest = kept.order_by("-number").values_list("number", flat=True)[keep - 1 : keep]
    if oldest:
        kept.filter(number__lt=oldest[0]).delete()


def drop_stale(cursor: IndexerCursor, end: int, logs: list[RawLog]) -> int:
    """Before storing a batch that re-reads blocks already indexed (a backfill, a reset, a new
    deployment): delete the stored logs of (cursor, end] that the chain no longer has there,
    and stored copies elsewhere of the batch's logs that now sit in another block. Everything
    still canonical stays, effects included, so access never lapses while re-indexing.
    Returns how many logs were removed. (In normal operation nothing is stored past the
    cursor, and this is one indexed query that finds nothing.)"""
    fresh = {(log.tx_hash, log.log_index): log.block_hash for log in logs}
    stored = ChainLog.objects.filter(chain_id=cursor.chain_id, block_number__gt=cursor.block_number)
    in_range = stored.filter(block_number__lte=end).values_list(
        "id", "tx_hash", "log_index", "block_hash"
    )
    stale = [pk for pk, tx, index, bhash in in_range if fresh.get((tx, index)) != bhash]
    hashes = sorted({tx for tx, _ in fresh})
    for chunk in range(0, len(hashes), 500):
        moved = stored.filter(block_number__gt=end, tx_hash__in=hashes[chunk : chunk + 500])
        stale += [
            pk
            for pk, tx, index, bhash in moved.values_list(
                "id", "tx_hash", "log_index", "block_hash"
            )
            if (tx, index) in fresh and fresh[tx, index] != bhash
        ]
    return _delete_logs(ChainLog.objects.filter(pk__in=stale)) if stale else 0


def drop_above(cursor: IndexerCursor, head: int) -> int:
    """Delete logs stored above the chain's head: no such block exists, so they cannot be
    canonical (a local chain started afresh, a chain rolled back past them)."""
    return _delete_logs(ChainLog.objects.filter(chain_id=cursor.chain_id, block_number__gt=head))


def _delete_logs(queryset) -> int:
    logs = list(queryset.order_by("block_number", "log_index"))
    ChainLog.objects.filter(pk__in=[log.pk for log in logs]).delete()
    for subscriber in registry.subscribers():
        own = subscriber.own(logs)
        if own and subscriber.recompute:
            subscriber.recompute(own)
    return len(logs)


def rewind_to(cursor: IndexerCursor, number: int, block_hash: str) -> None:
    """Put the cursor back at block `number` to index again from there, keeping what is
    stored: each batch then re-reads its blocks, keeps what is still canonical and removes the
    rest (drop_stale). Only the kept block hashes after it go (they are re-read too)."""
    BlockHash.objects.filter(chain_id=cursor.chain_id, number__gt=number).delete()
    cursor.block_number, cursor.block_hash = number, block_hash
    cursor.save(update_fields=["block_number", "block_hash", "updated_at"])


def rollback_to(cursor: IndexerCursor, number: int, block_hash: str) -> int:
    """Undo every log after block `number` and put the cursor there. Deleting a log deletes its
    effect rows (CASCADE); each app then recomputes its derived state from what remains.
    Returns how many logs were undone."""
    orphaned = ChainLog.objects.filter(chain_id=cursor.chain_id, block_number__gt=number)
    orphans = list(orphaned.order_by("block_number", "log_index"))
    orphaned.delete()
    for subscriber in registry.subscribers():
        own = subscriber.own(orphans)
        if own and subscriber.recompute:
            subscriber.recompute(own)
    BlockHash.objects.filter(chain_id=cursor.chain_id, number__gt=number).delete()
    cursor.block_number, cursor.block_hash = number, block_hash
    cursor.save(update_fields=["block_number", "block_hash", "updated_at"])
    return len(orphans)
