"""What a buyer signs for a gasless purchase. With an EIP-3009 currency: one
`ReceiveWithAuthorization` to the Checkout whose nonce is the purchase intent's digest. With a
permit-only currency: an ERC-2612 permit to the Checkout and the `PurchaseIntent` itself.
Nothing is written: the intent travels back with the signature."""

from __future__ import annotations

import time

from django.conf import settings

from accounts.denylist import address_check_allowed
from chain import client, typed_data
from chain.gasless import (
    PurchaseIntent,
    ReceiveWithAuthorization,
    checkout_domain,
    new_nonce,
)
from listings.models import Listing
from payments.offers.services import json_safe
from payments.purchase import _quote
from payments.purchase.erc20 import currency_facts
from payments.purchase.sale import check_terms, checked_buyer, insufficient, marketplace, read_sale
from payments.relay import budget
from payments.relay.tokens import AUTHORIZATION, signing_facts
from payments.spending.services import spend_check


def checkout():
    try:
        return client.get_contract("Checkout")
    except client.DeploymentMissing:
        from core.errors import ApiError

        raise ApiError(
            "Gasless purchases are not set up on this chain.", code="not_deployed", status=503
        ) from None


def gasless_method(currency: str) -> str | None:
    """ "authorization", "permit", or None when the currency takes no signed payment."""
    from core.errors import ApiError

    try:
        return signing_facts(currency)[0]
    except ApiError:
        return None


def _document(message, domain) -> dict:
    document = typed_data.typed_data(message, domain)
    return {**document, "message": json_safe(document["message"])}


def signing_documents(intent: PurchaseIntent, method: str, token_domain, token, checkout_address):
    """The EIP-712 documents the buyer signs, in order: [authorization] or [permit, intent]."""
    domain = checkout_domain(settings.CHAIN_ID, checkout_address)
    if method == AUTHORIZATION:
        auth = ReceiveWithAuthorization(
            sender=intent.buyer,
            to=checkout_address,
            value=intent.amount,
            valid_after=0,
            valid_before=intent.deadline,
            nonce=typed_data.digest(intent, domain),
        )
        return [_document(auth, token_domain)]
    permit = typed_data.Permit(
        owner=intent.buyer,
        spender=checkout_address,
        value=intent.amount,
        nonce=token.functions.nonces(intent.buyer).call(),
        deadline=intent.deadline,
    )
    return [_document(permit, token_domain), _document(intent, domain)]


def gasless_prepare(
    *, listing: Listing, tier: int, quantity: int, buyer: str, api_token=None
) -> dict:
    """The quote, the purchase intent, and `sign`: the EIP-712 documents the buyer's wallet
    signs (eth_signTypedData_v4), in order; then POST the intent and the signatures to the
    submit endpoint. The buyer needs the tier's token and no ETH."""
    check_terms(listing, tier, quantity)
    buyer = checked_buyer(buyer)
    address_check_allowed(address=buyer)
    market, desk = marketplace(), checkout()
    with client.chain_errors():
        sale = read_sale(listing, tier, quantity, market, buyer)
        budget.sponsorable(sale)
        method, domain, token = signing_facts(sale.currency)
        # The API token's spend controls, before the buyer is asked to sign anything.
        spend_check(api_token=api_token, listing=listing, currency=sale.currency, amount=sale.total)
        if token.functions.balanceOf(buyer).call() < sale.total:
            raise insufficient("token")
        intent = PurchaseIntent(
            buyer=buyer,
            listing_id=sale.listing_id,
            tier_id=tier,
            quantity=quantity,
            currency=sale.currency,
            amount=sale.total,
            nonce=new_nonce(),
            deadline=int(time.time()) + settings.RELAY_INTENT_TTL_SECONDS,
        )
        documents = signing_documents(intent, method, domain, token, desk.address)
        currency = currency_facts(sale)
    reply = _quote(listing, sale, currency)
    reply.update(
        buyer=buyer,
        method=method,
        checkout=desk.address,
        intent=json_safe(intent.as_struct()),
        sign=documents,
        deadline=intent.deadline,
    )
    return reply
