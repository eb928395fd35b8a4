import logging
import time

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections

from chain.indexer import ChainMismatch, Indexer, ReorgTooDeep, RpcUnavailable, deployment_target

logger = logging.getLogger(__name__)

# One indexer per worker process, RPC URL and confirmations: it keeps what it learnt of the
# provider's range limits between runs. (Keyed on the confirmations too: an indexer made under
# other settings, e.g. by an earlier test, must not be reused with them.)
_indexers: dict[tuple[str, int], Indexer] = {}
_warned_undeployed = False
# Chain ids of local development chains (anvil, hardhat, ganache), which restart from nothing.
DEV_CHAIN_IDS = {31337, 1337}
# A worker whose database is unreachable fails a run at once and is free again at once, so it
# would win nearly every run from the healthy workers (busy following the chain) and indexing
# would stall. Such a worker holds its slot for a back-off that doubles with each failure in a
# row, leaving the next runs to the others.
DB_BACKOFF_FIRST_SECONDS = 2.0
DB_BACKOFF_MAX_SECONDS = 30.0  # within the soft time limit (interval + 60 s)
_db_failures = 0


def _indexer() -> Indexer:
    key = (settings.CHAIN_RPC_URL, settings.CONFIRMATIONS)
    if key not in _indexers:
        _indexers[key] = Indexer()
    return _indexers[key]


@shared_task(
    ignore_result=True,
    acks_late=True,  # idempotent: a run redelivered after a crash re-checks the cursor
    soft_time_limit=settings.INDEXER_INTERVAL_SECONDS + 60,
    time_limit=settings.INDEXER_INTERVAL_SECONDS + 90,
    autoretry_for=(RpcUnavailable,),
    retry_backoff=True,
    retry_backoff_max=30,
    max_retries=3,
)
def index_chain() -> int:
    """Follow the chain for one beat interval (polling every INDEXER_POLL_SECONDS), so a
    purchase becomes an entitlement within a poll, not a beat period. Runs that overlap are
    harmless: the cursor lock lets one batch through at a time. Returns events handled."""
    global _warned_undeployed
    if deployment_target() is None:
        if not _warned_undeployed:
            logger.warning("indexer: no deployment for chain %s yet; idle", settings.CHAIN_ID)
            _warned_undeployed = True
        return 0
    _warned_undeployed = False
    try:
        handled = _follow()
    except (OperationalError, InterfaceError) as exc:
        _hold_back(exc)
        return 0
    _db_recovered()
    return handled


def _hold_back(exc: Exception) -> None:
    """This worker cannot reach its database: keep the slot for a while (see DB_BACKOFF_*)."""
    global _db_failures
    _db_failures += 1
    pause = min(DB_BACKOFF_FIRST_SECONDS * 2 ** (_db_failures - 1), DB_BACKOFF_MAX_SECONDS)
    logger.error("indexer: database unreachable (%s); holding back %.0f s", exc, pause)
    close_old_connections()  # the next run reconnects
    _pause(pause)


def _pause(seconds: float) -> None:
    time.sleep(seconds)


def _db_recovered() -> None:
    global _db_failures
    if _db_failures:
        logger.warning("indexer: database reachable again after %s failed runs", _db_failures)
    _db_failures = 0


def _follow() -> int:
    indexer = _indexer()
    try:
        return indexer.follow(seconds=settings.INDEXER_INTERVAL_SECONDS)
    except ReorgTooDeep as exc:
        if settings.CHAIN_ID in DEV_CHAIN_IDS:
            # A local chain started afresh under the same deployment: index it from scratch.
            logger.warning("%s; local chain, so starting over from the deployment", exc)
            indexer.start_at(deployment_target().start_block)
            return 0
        logger.error("indexer stopped: %s", exc)  # the lag on /healthz and in the admin shows it
        return 0
    except ChainMismatch as exc:
        logger.error("indexer stopped: %s", exc)
        return 0


@shared_task(
    ignore_result=True,
    acks_late=True,  # idempotent: a recorded attestation is not recorded again
    autoretry_for=(OSError,),  # requests' connection errors and timeouts are OSErrors
    retry_backoff=True,
    max_retries=8,
    soft_time_limit=60,
    time_limit=90,
)
def release_record_task(uid: str) -> None:
    from chain.releases import release_record

    release_record(uid=uid)
