"""What a tier's currency offers for a gasless purchase: EIP-3009 (one signature) or ERC-2612
permit (a permit and a signed intent), and the token's EIP-712 domain, checked against its
own DOMAIN_SEPARATOR."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache

from chain import client, typed_data
from core.errors import ApiError
from payments.purchase.erc20 import _not_supported, _permit_domain

if TYPE_CHECKING:
    from web3.contract import Contract

AUTHORIZATION = "authorization"
PERMIT = "permit"
# TestAuthToken's ABI: ERC-20, ERC-2612 and EIP-3009 (authorizationState and the
# authorizations); only those standard functions are called.
TOKEN_ABI_FROM = "TestAuthToken"


def token(address: str) -> Contract:
    return client.get_contract(TOKEN_ABI_FROM, address=address)


def has_eip3009(contract: Contract) -> bool:
    try:
        contract.functions.authorizationState(typed_data.ZERO_ADDRESS, b"\x00" * 32).call()
    except _not_supported():
        return False
    return True


SIGNING_CACHE_SECONDS = 3600


def _unsupported(message: str) -> ApiError:
    return ApiError(message, code="gasless_unsupported", status=409)


def signing_facts(currency: str) -> tuple[str, typed_data.Domain, Contract]:
    """(method, the token's EIP-712 domain, the token) for a gasless purchase in `currency`;
    409 when the currency allows none (ETH, a plain ERC-20). What the token offers is asked
    once an hour (a 402 and its paid retry would otherwise ask it twice each)."""
    if int(currency, 16) == 0:
        raise _unsupported("This tier is priced in ETH: buy it with a wallet transaction.")
    contract = token(currency)
    key = f"payments:signing:{settings.CHAIN_ID}:{currency.lower()}"
    found = cache.get(key)
    if found is None:
        domain = _permit_domain(contract)
        found = (
            ("", "", "")
            if domain is None
            else (AUTHORIZATION if has_eip3009(contract) else PERMIT, domain.name, domain.version)
        )
        cache.set(key, found, SIGNING_CACHE_SECONDS)
    method, name, version = found
    if not method:
        raise _unsupported(
            "This tier's currency takes no signed payments: buy it with a wallet transaction."
        )
    domain = typed_data.Domain(settings.CHAIN_ID, contract.address, name=name, version=version)
    return method, domain, contract
