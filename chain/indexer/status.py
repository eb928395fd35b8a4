"""Indexer lag for the health endpoint and the admin: cheap, and never an exception. The head
comes from a client with a short timeout and no retries, cached briefly, so a load balancer
polling /healthz neither hammers the node nor waits on it when it is down."""

from __future__ import annotations

import threading
import time
from functools import cache
from typing import TYPE_CHECKING

import requests
from django.conf import settings

from chain.models import IndexerCursor

if TYPE_CHECKING:
    from web3 import HTTPProvider

HEAD_TIMEOUT_SECONDS = 1.0
HEAD_CACHE_SECONDS = 1.0
FAILURE_CACHE_SECONDS = 5.0
UNAVAILABLE = "unavailable"

_cache: dict[str, tuple[float, int | None]] = {}
_lock = threading.Lock()


@cache
def _provider(url: str) -> HTTPProvider:
    from web3 import HTTPProvider  # on the first health check, not when the app starts

    return HTTPProvider(
        url, request_kwargs={"timeout": HEAD_TIMEOUT_SECONDS}, exception_retry_configuration=None
    )


def chain_head() -> int | None:
    """The node's latest block number, or None when it does not answer quickly."""
    url = settings.CHAIN_RPC_URL
    now = time.monotonic()
    with _lock:
        cached = _cache.get(url)
        if cached and cached[0] > now:
            return cached[1]
    try:
        head = int(_provider(url).make_request("eth_blockNumber", [])["result"], 16)
        expires = now + HEAD_CACHE_SECONDS
    except (requests.RequestException, OSError, KeyError, TypeError, ValueError):
        head, expires = None, now + FAILURE_CACHE_SECONDS
    with _lock:
        _cache[url] = (expires, head)
    return head


def indexer_status(chain_id: int | None = None) -> dict:
    """{"chain_id", "cursor", "head", "lag", "stopped"}: head and lag are "unavailable" when the
    node does not answer; cursor and lag are None before the indexer's first run; stopped is
    why indexing stopped for good (an operator must act), or None."""
    chain_id = chain_id or settings.CHAIN_ID
    cursor, stopped = IndexerCursor.objects.filter(chain_id=chain_id).values_list(
        "block_number", "stopped"
    ).first() or (None, "")
    head = chain_head()
    found = {"chain_id": chain_id, "cursor": cursor, "head": head, "stopped": stopped or None}
    if head is None:
        return found | {"head": UNAVAILABLE, "lag": UNAVAILABLE}
    return found | {"lag": None if cursor is None else max(0, head - cursor)}
