"""ERC-20 tiers: the buyer's balance and allowance, ERC-2612 permit support (checked against
the token's own DOMAIN_SEPARATOR), the permit to sign and its check, and the steps: purchase
alone with enough allowance, permit then purchase, or approve then purchase."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from django.conf import settings
from hexbytes import HexBytes

from chain import client, typed_data
from chain.signatures import recover
from core.errors import ApiError
from payments.offers.services import json_safe
from payments.purchase.sale import Sale, insufficient, purchase_call, transaction

if TYPE_CHECKING:
    from web3.contract import Contract

PERMIT_TTL_SECONDS = 30 * 60  # how long a prepared permit stays signable
PERMIT_MAX_TTL_SECONDS = 24 * 3600
# OpenZeppelin's ERC20 + ERC20Permit + ERC-5267 ABI. Only the standard functions are called
# (balanceOf, allowance, approve, nonces, DOMAIN_SEPARATOR, eip712Domain, name, symbol,
# decimals), so it serves any ERC-20 a tier is priced in.
TOKEN_ABI_FROM = "TestPermitToken"


def _token(address: str) -> Contract:
    return client.get_contract(TOKEN_ABI_FROM, address=address)


# A call the token does not answer (no such function, not a contract) fails with these; a
# network failure raises requests' errors and becomes a 503.
def _not_supported() -> tuple:
    from eth_abi.exceptions import InsufficientDataBytes
    from web3.exceptions import BadFunctionCallOutput, ContractLogicError  # on first chain call

    return (ContractLogicError, BadFunctionCallOutput, InsufficientDataBytes)


def _permit_domain(token: Contract) -> typed_data.Domain | None:
    """The token's EIP-712 domain if it has ERC-2612 permit, else None. The domain (ERC-5267's
    eip712Domain(), else the name with version "1") must hash to the token's own
    DOMAIN_SEPARATOR: a permit signed for another domain would fail inside the purchase."""
    try:
        separator = bytes(token.functions.DOMAIN_SEPARATOR().call())
        token.functions.nonces(typed_data.ZERO_ADDRESS).call()
    except _not_supported():
        return None
    candidates = []
    for read in (
        lambda: token.functions.eip712Domain().call()[1:3],
        lambda: (token.functions.name().call(), "1"),
    ):
        try:
            candidates.append(read())
        except _not_supported():
            continue
    from eth_account.messages import encode_typed_data  # on first use, not at start

    for name, version in candidates:
        domain = typed_data.Domain(settings.CHAIN_ID, token.address, name=name, version=version)
        probe = typed_data.Permit(typed_data.ZERO_ADDRESS, typed_data.ZERO_ADDRESS, 0, 0, 0)
        if encode_typed_data(full_message=typed_data.typed_data(probe, domain)).header == separator:
            return domain
    return None


def _token_facts(token: Contract, buyer: str, spender: str) -> tuple[int, int]:
    """(balance, allowance) of the buyer."""
    try:
        return (
            token.functions.balanceOf(buyer).call(),
            token.functions.allowance(buyer, spender).call(),
        )
    except _not_supported():
        raise ApiError(
            "This tier is priced in a token this site cannot use.",
            code="currency_unsupported",
            status=409,
        ) from None


def currency_facts(sale: Sale) -> dict:
    if sale.is_eth:
        return {"address": sale.currency, "symbol": "ETH", "decimals": 18}
    token = _token(sale.currency)
    facts = {"address": sale.currency, "symbol": "", "decimals": None}
    for key, read in (
        ("symbol", token.functions.symbol()),
        ("decimals", token.functions.decimals()),
    ):
        try:
            facts[key] = read.call()
        except _not_supported():
            pass  # optional in ERC-20: the page shows base units without them
    return facts


def _permit_document(sale: Sale, domain, market: Contract, buyer: str, token: Contract) -> dict:
    deadline = int(time.time()) + PERMIT_TTL_SECONDS
    permit = typed_data.Permit(
        owner=buyer,
        spender=market.address,
        value=sale.total,
        nonce=token.functions.nonces(buyer).call(),
        deadline=deadline,
    )
    document = typed_data.typed_data(permit, domain)
    return {
        "type": "sign_typed_data",
        "name": "permit",
        "typed_data": {**document, "message": json_safe(document["message"])},
        "deadline": deadline,
        "then": "prepare again with permit_signature and deadline",
    }


def _checked_permit(sale, domain, market, buyer, token, signature: str, deadline) -> tuple:
    """(deadline, v, r, s) of the buyer's permit for exactly this purchase's total."""
    now = int(time.time())
    if not isinstance(deadline, int) or not now < deadline <= now + PERMIT_MAX_TTL_SECONDS:
        raise ApiError("The permit's deadline has passed; sign again.", code="permit_expired")
    try:
        raw = bytes(HexBytes(signature))
    except (ValueError, TypeError):
        raw = b""
    permit = typed_data.Permit(
        buyer, market.address, sale.total, token.functions.nonces(buyer).call(), deadline
    )
    if len(raw) != 65 or recover(typed_data.digest(permit, domain), raw) != buyer:
        raise ApiError(
            f"The permit was not signed by {buyer} for this purchase; sign again.",
            code="signature_invalid",
        )
    return (deadline, *typed_data.split_signature(raw))


def token_steps(sale: Sale, market: Contract, buyer: str, permit_signature, deadline):
    """Steps for an ERC-20 tier. With enough allowance: just the purchase. With permit (the
    listing registered: purchaseWithPermit cannot register an offer): sign, then purchase.
    Otherwise approve, then purchase."""
    token = _token(sale.currency)
    balance, allowance = _token_facts(token, buyer, market.address)
    if balance < sale.total:
        raise insufficient("token")
    domain = _permit_domain(token) if sale.registered and allowance < sale.total else None
    if domain is None:
        if permit_signature:
            raise ApiError("This purchase does not take a permit.", code="permit_not_used")
        steps = []
        if allowance < sale.total:
            data = token.encode_abi("approve", args=[market.address, sale.total])
            steps.append(transaction("approve", sender=buyer, to=token.address, data=data))
        method, data = purchase_call(sale, market)
        return method, [
            *steps,
            transaction("purchase", sender=buyer, to=market.address, data=data),
        ]
    if not permit_signature:
        return "purchaseWithPermit", [_permit_document(sale, domain, market, buyer, token)]
    permit = _checked_permit(sale, domain, market, buyer, token, permit_signature, deadline)
    method, data = purchase_call(sale, market, permit)
    return method, [transaction("purchase", sender=buyer, to=market.address, data=data)]
