"""The chain event indexer (see core.py). Public API:

- `Indexer(...).step() / .run() / .follow(seconds=)`: index; the Celery task and
  `manage.py index_chain` drive it.
- `indexer_status()`: {"chain_id", "cursor", "head", "lag"} for /healthz and the admin.
- `Indexer(...).start_at(block)`: backfill from a block again, or `--reset` (operator actions).
- `insert_rows(...)`: a fast many-row INSERT for handlers that write a row per log.
- `chain.registry`: how apps subscribe to events."""

from chain.indexer.bulk import insert_rows
from chain.indexer.core import ChainMismatch, Indexer, ReorgTooDeep, Step, deployment_target
from chain.indexer.source import RpcRejected, RpcSource, RpcUnavailable
from chain.indexer.status import chain_head, indexer_status
from chain.indexer.store import IndexerBusy, rollback_to

__all__ = [
    "ChainMismatch",
    "Indexer",
    "IndexerBusy",
    "ReorgTooDeep",
    "RpcRejected",
    "RpcSource",
    "RpcUnavailable",
    "Step",
    "chain_head",
    "deployment_target",
    "indexer_status",
    "insert_rows",
    "rollback_to",
]
