"""The event indexer: reads our contracts' logs from the cursor to `head - CONFIRMATIONS`, stores
each log once, hands it to the apps that registered for it, and advances the cursor, all in one
database transaction; notices reorganisations and undoes what the orphaned logs did.

A step talks to the node first and only then opens a short transaction: lock the cursor row,
check nobody moved it since we read it, write. So no transaction waits on the network, and two
indexers (two workers, a worker and `manage.py index_chain`) never handle a log twice: the
second finds the row locked (PostgreSQL, NOWAIT) or the cursor moved (SQLite serialises
writers), and drops its batch."""

import gc
import hashlib
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from chain import client, registry
from chain.indexer.decode import Decoder, RawLog
from chain.indexer.source import Header, RangeSizer, RpcRejected, RpcSource, RpcUnavailable
from chain.indexer.store import (
    IndexerBusy,
    dispatch,
    drop_above,
    drop_stale,
    keep_hashes,
    lock_cursor,
    rewind_to,
    rollback_to,
    store_logs,
)
from chain.models import BlockHash, IndexerCursor

logger = logging.getLogger(__name__)

# A batch stops at a block boundary past this many logs: a bounded transaction.
MAX_LOGS_PER_BATCH = 5_000


class ReorgTooDeep(RuntimeError):
    """No kept block hash matches the chain any more: an operator must `index_chain --reset`."""


class ChainMismatch(RuntimeError):
    """The RPC serves another chain than settings.CHAIN_ID."""


@dataclass(frozen=True)
class Target:
    """What to index: our contracts on the configured chain, from the block they were deployed."""

    chain_id: int
    addresses: dict[str, str]  # checksummed address -> contract name
    start_block: int

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(",".join(sorted(self.addresses)).encode()).hexdigest()[:16]


def deployment_target() -> Target | None:
    """The indexed contracts from the deployment file, or None before anything is deployed."""
    try:
        contracts = client.deployment()["contracts"]
    except client.DeploymentMissing:
        return None
    names = registry.INDEXED_CONTRACTS
    if not all(name in contracts for name in names):
        return None
    return Target(
        chain_id=settings.CHAIN_ID,
        addresses={contracts[name]["address"]: name for name in names},
        start_block=min(int(contracts[name].get("blockNumber", 0)) for name in names),
    )


@dataclass
class Step:
    """What one step did: "advanced", "idle" (caught up), "rolled_back", "busy" (another
    indexer has the cursor), "retry" (the chain moved under us) or "no_deployment"."""

    outcome: str
    head: int | None = None
    cursor: int | None = None
    from_block: int | None = None
    to_block: int | None = None
    logs: int = 0


def _still(headers: dict[int, Header], number: int, block_hash: str) -> bool:
    return number in headers and headers[number].hash == block_hash


def _unmoved(locked: IndexerCursor, seen: IndexerCursor) -> bool:
    """The cursor is where we read it before talking to the node: nobody indexed meanwhile."""
    return (locked.block_number, locked.block_hash) == (seen.block_number, seen.block_hash)


class Indexer:
    def __init__(
        self,
        *,
        source: RpcSource | None = None,
        confirmations: int | None = None,
        max_range: int | None = None,
        max_logs: int = MAX_LOGS_PER_BATCH,
    ):
        self.source = source or RpcSource()
        self.confirmations = settings.CONFIRMATIONS if confirmations is None else confirmations
        self.sizer = RangeSizer(maximum=max_range or settings.INDEXER_MAX_BLOCK_RANGE)
        self.max_logs = max_logs
        self._decoder: tuple[Target, Decoder] | None = None
        self._checked_chain = False
        self._leftover: tuple[int, int, list[dict]] | None = None  # (start, end, logs)

    # --------------------------------------------------------------------------- driving

    def step(self) -> Step:
        """One unit of work: undo a reorg, index one batch, or find nothing to do."""
        target = self.target()
        if target is None:
            return Step("no_deployment")
        cursor = self.cursor(target)
        head, tip = self.source.head_and_headers([cursor.block_number] if cursor.block_hash else [])
        if cursor.block_hash and not _still(tip, cursor.block_number, cursor.block_hash):
            return self._roll_back_reorg(cursor, head)  # replaced, or the chain got shorter
        safe = head - max(0, self.confirmations)
        if cursor.block_number >= safe:
            if cursor.head != head:
                IndexerCursor.objects.filter(pk=cursor.pk).update(head=head)
            return Step("idle", head=head, cursor=cursor.block_number)
        return self._index_batch(target, cursor, head, safe)

    def run(self, *, on_step=None) -> Step:
        """Index until caught up with `head - CONFIRMATIONS`; returns the last step."""
        while True:
            step = self.step()
            if on_step:
                on_step(step)
            if step.outcome in ("idle", "no_deployment"):
                return step
            if step.outcome in ("busy", "retry"):
                time.sleep(settings.INDEXER_POLL_SECONDS)

    def follow(self, *, seconds: float, poll: float | None = None) -> int:
        """Keep up with the chain for `seconds`, polling every `poll` seconds when idle, so a
        purchase is seen within a poll rather than a beat interval. Returns logs handled."""
        poll = settings.INDEXER_POLL_SECONDS if poll is None else poll
        deadline = time.monotonic() + seconds
        handled = 0
        while time.monotonic() < deadline:
            step = self.step()
            handled += step.logs
            if step.outcome == "no_deployment":
                break
            if step.outcome not in ("advanced", "rolled_back"):
                time.sleep(min(poll, max(0.0, deadline - time.monotonic())))
        return handled

    # ---------------------------------------------------------------------------- cursor

    def target(self) -> Target | None:
        target = deployment_target()
        if target and not self._checked_chain:
            served = self.source.chain_id()
            if served != target.chain_id:
                raise ChainMismatch(f"RPC serves chain {served}, settings say {target.chain_id}")
            self._checked_chain = True
        return target

    def decoder(self, target: Target) -> Decoder:
        if self._decoder is None or self._decoder[0] != target:
            self._decoder = (target, Decoder(target.addresses))
        return self._decoder[1]

    def cursor(self, target: Target) -> IndexerCursor:
        """The chain's cursor, created just before the deployment block on first use; rewound
        when the deployment changed under it (a redeploy must not skip the new contracts)."""
        cursor = IndexerCursor.objects.filter(chain_id=target.chain_id).first()
        if cursor is None:
            start = target.start_block - 1
            cursor, _ = IndexerCursor.objects.get_or_create(
                chain_id=target.chain_id,
                defaults={
                    "block_number": start,
                    "block_hash": self._hash_of(start),
                    "deployment": target.fingerprint,
                },
            )
        if cursor.deployment != target.fingerprint:
            start = min(cursor.block_number, target.start_block - 1)
            logger.warning(
                "deployment changed on chain %s: reindexing from %s", cursor.chain_id, start
            )
            cursor = self.start_at(start + 1)
        return cursor

    def start_at(self, block: int) -> IndexerCursor:
        """Make `block` the next block indexed: rewinds or, on a chain never indexed, starts
        there. Refuses to skip ahead: that would lose events. Rewinding deletes nothing that
        may still be true (only logs above the chain's head): the batches that follow re-read
        the blocks, keep what is canonical and remove the rest, so licences never lapse while
        the chain is indexed again (a backfill, --reset, a new deployment, a fresh dev chain)."""
        target = self.target()
        if target is None:
            raise client.DeploymentMissing("nothing deployed on this chain yet")
        block_hash = self._hash_of(block - 1)
        cursor, created = IndexerCursor.objects.get_or_create(
            chain_id=target.chain_id,
            defaults={"block_number": block - 1, "block_hash": block_hash},
        )
        if not created and block - 1 > cursor.block_number:
            raise ValueError(f"the cursor is at {cursor.block_number}: {block} would skip blocks")
        head = self.source.head()
        with transaction.atomic():
            locked = lock_cursor(target.chain_id)
            drop_above(locked, head)
            rewind_to(locked, block - 1, block_hash)
            locked.deployment, locked.stopped = target.fingerprint, ""
            locked.save(update_fields=["deployment", "stopped", "updated_at"])
        return locked

    def _hash_of(self, number: int) -> str:
        found = self.source.headers([number]) if number >= 0 else {}
        return found[number].hash if number in found else ""

    # ----------------------------------------------------------------------------- batch

    def _index_batch(self, target: Target, cursor: IndexerCursor, head: int, safe: int) -> Step:
        with _collector_paused():
            return self._index_batch_now(target, cursor, head, safe)

    def _index_batch_now(self, target, cursor: IndexerCursor, head: int, safe: int) -> Step:
        start = cursor.block_number + 1
        raw, end = self._fetch(list(target.addresses), start, safe)
        decoded = [log for log in map(self.decoder(target).decode, raw) if log is not None]
        wanted = {end, *(log.block_number for log in decoded)}
        if cursor.block_hash:
            wanted.add(cursor.block_number)
        headers = self.source.headers(wanted)
        if not _consistent(cursor, end, decoded, headers):
            # The chain changed between our calls: the next step sees the reorg (if any).
            return Step("retry", head=head, cursor=cursor.block_number)
        try:
            with transaction.atomic():
                locked = lock_cursor(target.chain_id)
                if not _unmoved(locked, cursor):
                    return Step("busy", head=head, cursor=locked.block_number)
                drop_stale(locked, end, decoded)
                stored = store_logs(locked, end, decoded, headers)
                dispatch(stored)
                keep_hashes(locked, headers, settings.INDEXER_BLOCK_HASHES)
                locked.block_number, locked.block_hash, locked.head = end, headers[end].hash, head
                locked.save(update_fields=["block_number", "block_hash", "head", "updated_at"])
        except IndexerBusy:
            return Step("busy", head=head, cursor=cursor.block_number)
        return Step("advanced", head, end, start, end, len(stored))

    def _fetch(self, addresses: list[str], start: int, safe: int) -> tuple[list[dict], int]:
        """Logs of [start, end] for the largest end the provider accepts, up to `safe`."""
        if self._leftover and self._leftover[0] == start:
            # The rest of a range cut short last time: no need to ask the node again (the
            # headers check still catches a reorg since).
            _, end, logs = self._leftover
            self._leftover = None
            return self._cut(logs, start, end)
        end = min(safe, start + self.sizer.size - 1)
        while True:
            started = time.monotonic()
            try:
                logs = self.source.logs(addresses, start, end)
            except RpcRejected as exc:
                if end == start:
                    raise RpcUnavailable(f"eth_getLogs refused a single block: {exc}") from exc
                self.sizer.refused(end - start + 1)
                logger.info("eth_getLogs %s-%s refused (%s); splitting", start, end, exc)
                end = start + self.sizer.size - 1
                continue
            self.sizer.observe(
                seconds=time.monotonic() - started, logs=len(logs), max_logs=self.max_logs
            )
            return self._cut(logs, start, end)

    def _cut(self, logs: list[dict], start: int, end: int) -> tuple[list[dict], int]:
        """At most about `max_logs` logs, ending at a block boundary (a block is never split);
        the rest is kept for the next batch."""
        if len(logs) <= self.max_logs:
            return logs, end
        boundary = max(start, int(logs[self.max_logs]["blockNumber"], 16) - 1)
        kept = [log for log in logs if int(log["blockNumber"], 16) <= boundary]
        self._leftover = (boundary + 1, end, logs[len(kept) :])
        return kept, boundary

    # ----------------------------------------------------------------------------- reorg

    def _roll_back_reorg(self, cursor: IndexerCursor, head: int) -> Step:
        """The cursor's block is no longer on the chain: find the newest kept block that still
        is (the fork point), undo every log after it, and index again from there."""
        self._leftover = None  # read from the branch that is gone
        kept = list(BlockHash.objects.filter(chain_id=cursor.chain_id).order_by("-number"))
        canonical = self.source.headers(h.number for h in kept)
        fork = next((h for h in kept if _still(canonical, h.number, h.hash)), None)
        if fork is None:
            reason = (
                f"chain {cursor.chain_id}: none of the {len(kept)} kept block hashes matches; "
                "run `manage.py index_chain --reset`"
            )
            IndexerCursor.objects.filter(pk=cursor.pk).update(stopped=reason)
            raise ReorgTooDeep(reason)
        try:
            with transaction.atomic():
                locked = lock_cursor(cursor.chain_id)
                if not _unmoved(locked, cursor):
                    return Step("busy", head=head, cursor=locked.block_number)
                orphaned = rollback_to(locked, fork.number, fork.hash)
        except IndexerBusy:
            return Step("busy", head=head, cursor=cursor.block_number)
        logger.warning(
            "chain %s reorganised after block %s: rolled back %s logs from %s blocks",
            cursor.chain_id, fork.number, orphaned, cursor.block_number - fork.number,
        )  # fmt: skip
        return Step("rolled_back", head=head, cursor=fork.number)


@contextmanager
def _collector_paused():
    """Python's cyclic garbage collector off for one batch (at most MAX_LOGS_PER_BATCH logs),
    then on again as it was. A batch allocates tens of thousands of short-lived objects (decoded
    arguments, rows, model instances) that reference counting frees; each allocation burst also
    set off the collector's full passes over the whole worker heap (Django, web3, eth_abi), which
    took a third of an indexing run on the benchmark. Whatever cycles a batch leaves are
    collected after it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _consistent(cursor: IndexerCursor, end: int, logs: list[RawLog], headers: dict) -> bool:
    """Every log belongs to the block we have the header of, and the range still hangs off the
    cursor's block: otherwise a reorg happened while we were reading."""
    if end not in headers:
        return False
    if cursor.block_hash and not _still(headers, cursor.block_number, cursor.block_hash):
        return False
    return all(_still(headers, log.block_number, log.block_hash) for log in logs)
