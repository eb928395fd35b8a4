"""The chain event indexer (see core.py). Public API:

- `Indexer(...).step() / .run() / .follow(seconds=)`: index; the Celery task and
  `manage.py index_chain` drive it.
- `indexer_status()`: {"chain_id", "cursor", "head", "lag"} for /healthz and the admin.
- `Indexer(...).start_at(block)`: backfill from a block again, or `--reset` (operator actions).
- `chain.registry`: how apps subscribe to events.

The many-row writes handlers use (`insert_rows`, `update_rows`, `select_in`) are core.bulk.
Each name loads its module on first use: the apps import this package when they register their
handlers at start-up, and that must not bring the decoder (eth_abi) and the RPC client
(requests) into the web process (marketplace/tests/test_lean_imports.py)."""

from importlib import import_module

_EXPORTS = {
    "ChainMismatch": "core",
    "Indexer": "core",
    "ReorgTooDeep": "core",
    "Step": "core",
    "deployment_target": "core",
    "RpcRejected": "source",
    "RpcSource": "source",
    "RpcUnavailable": "source",
    "chain_head": "status",
    "indexer_status": "status",
    "IndexerBusy": "store",
    "rollback_to": "store",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(f"chain.indexer.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'chain.indexer' has no attribute {name!r}")
