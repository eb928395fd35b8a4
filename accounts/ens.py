"""ENS names for the addresses the site shows (creators, owners, holders), where the chain has
them: settings.ENS_REGISTRY_ADDRESS (empty: off).

A name is shown only once verified both ways (chain/ens.py: reverse record, then the name's
addr() must be the address). Answers live in the default cache: a name, or "" for none, for
ENS_CACHE_SECONDS; a failed lookup (node down, timeout) is remembered as "" for
ENS_FAILURE_CACHE_SECONDS, so an outage costs one attempt per address per minute, and never
an error: the page shows the short address instead.

Two ways to ask: `ens_name` resolves on a cache miss (a profile, a listing's header: one or
two addresses per page); `ens_names_cached` only reads the cache (cards and API lists: many
addresses, never one RPC per row). Lists show the names that pages resolved before."""

import hashlib
import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache

from core.eth import is_address, to_checksum_address

log = logging.getLogger(__name__)

PREFIX = "ens:v1"


def ens_enabled() -> bool:
    return bool(settings.ENS_REGISTRY_ADDRESS)


def _key(address: str) -> str:
    # The registry (and its chain's URL) is part of the key: another configuration never reads
    # names that were true for a different registry.
    where = f"{settings.ENS_REGISTRY_ADDRESS}|{settings.ENS_RPC_URL or settings.CHAIN_RPC_URL}"
    scope = hashlib.sha256(where.lower().encode()).hexdigest()[:12]
    return f"{PREFIX}:{scope}:{address.lower()}"


def _valid(address: str) -> bool:
    return bool(address) and is_address(address)


def ens_names_cached(addresses: Iterable[str]) -> dict[str, str]:
    """The cached names of `addresses` (checksummed keys; only those with a name). One cache
    read for all of them, never a chain call."""
    if not ens_enabled():
        return {}
    wanted = {to_checksum_address(a) for a in addresses if _valid(a)}
    if not wanted:
        return {}
    found = cache.get_many([_key(a) for a in wanted])
    return {a: found[_key(a)] for a in wanted if found.get(_key(a))}


def ens_name(address: str) -> str:
    """The address's verified primary ENS name, or "" (none, ENS off, or the chain unreachable).
    Asks the chain on a cache miss."""
    if not ens_enabled() or not _valid(address):
        return ""
    address = to_checksum_address(address)
    cached = cache.get(_key(address))
    if cached is not None:
        return cached
    name, ttl = _lookup(address)
    cache.set(_key(address), name, ttl)
    return name


def _lookup(address: str) -> tuple[str, int]:
    from chain.ens import ens_web3, primary_name

    url = settings.ENS_RPC_URL or settings.CHAIN_RPC_URL
    w3 = ens_web3(url, settings.ENS_RPC_TIMEOUT_SECONDS)
    try:
        name = primary_name(w3, registry=settings.ENS_REGISTRY_ADDRESS, address=address)
    except Exception as exc:  # noqa: BLE001 - a name is a nicety: nothing may break a page
        # The node down or erring (client.RPC_ERRORS, ValueError), a bad registry setting, or a
        # library fault in name normalisation (pyunormalize 18 broke web3's): the address shows.
        log.warning("ENS lookup for %s failed: %r", address, exc)
        return "", settings.ENS_FAILURE_CACHE_SECONDS
    return name or "", settings.ENS_CACHE_SECONDS
