"""Purchase transactions built by the server, so a browser needs no ABI encoder and an API client
gets the same calldata: `purchase_prepare` checks the sale as the contract will, prices it
from what the contract will charge, previews the split to the wei, and returns the steps for
the buyer's wallet: an ERC-2612 permit to sign, an ERC-20 approval to send, the purchase.

Nothing is written: the chain is the record, and the indexer turns the purchase into an
entitlement once it is confirmed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

from accounts.denylist import address_check_allowed
from chain import client, typed_data
from listings.models import Listing
from payments.purchase.erc20 import currency_facts, token_steps

if TYPE_CHECKING:
    from web3.contract import Contract
from payments.purchase.sale import (
    MAX_QUANTITY,
    Sale,
    check_terms,
    checked_buyer,
    insufficient,
    marketplace,
    purchase_call,
    read_sale,
    split_preview,
    transaction,
)

__all__ = ["MAX_QUANTITY", "purchase_prepare", "purchase_quote", "split_preview"]


def _eth_steps(sale: Sale, market: Contract, buyer: str) -> tuple[str, list[dict]]:
    if market.w3.eth.get_balance(buyer) < sale.total:
        raise insufficient("ETH")
    method, data = purchase_call(sale, market)
    tx = transaction("purchase", sender=buyer, to=market.address, data=data, value=sale.total)
    return method, [tx]


def _labelled(listing: Listing, rows: list[dict]) -> list[dict]:
    labels = {s.address: s.label for s in listing.splits.all()}
    for row in rows:
        if row["role"] == "platform":
            row["label"] = "Platform fee"
        elif row["role"] == "owner":
            is_creator = row["address"] == listing.creator.address
            row["label"] = labels.get(row["address"]) or ("Creator" if is_creator else "Owner")
        else:
            row["label"] = labels.get(row["address"]) or "Contributor"
        row["amount"] = str(row["amount"])
    return rows


def _quote(listing: Listing, sale: Sale, currency: dict) -> dict:
    rows = split_preview(
        total=sale.total,
        fee_bps=sale.fee_bps,
        fee_recipient=sale.fee_recipient,
        owner=sale.owner,
        recipients=sale.recipients,
    )
    return {
        "chain_id": settings.CHAIN_ID,
        "listing": listing.slug,
        "listing_id": str(sale.listing_id),
        "tier": sale.tier_id,
        "token_id": str(typed_data.token_id(sale.listing_id, sale.tier_id)),
        "quantity": sale.quantity,
        "currency": currency,
        "price_wei": str(sale.price),
        "total_wei": str(sale.total),
        "registered": sale.registered,
        "split": _labelled(listing, rows),
    }


def purchase_quote(*, listing: Listing, tier: int, quantity: int) -> dict:
    """The exact total of `quantity` licences of `tier` and who receives what of it, as the
    contract will charge and pay it now (chain_id, listing_id, token_id, currency, price_wei,
    total_wei, registered, split)."""
    check_terms(listing, tier, quantity)
    market = marketplace()
    with client.chain_errors():
        sale = read_sale(listing, tier, quantity, market)
        currency = currency_facts(sale)
    return _quote(listing, sale, currency)


def purchase_prepare(
    *,
    listing: Listing,
    tier: int,
    quantity: int,
    buyer: str,
    permit_signature: str | None = None,
    deadline: int | None = None,
) -> dict:
    """The quote plus what the buyer's wallet must do: `steps` in order (a permit to sign:
    then prepare again with its signature and deadline; transactions to send), and the
    purchase transaction itself once it can be built (to, data, value). Amounts are decimal
    strings."""
    check_terms(listing, tier, quantity)
    buyer = checked_buyer(buyer)
    address_check_allowed(address=buyer)  # a denied wallet may not buy (403)
    market = marketplace()
    with client.chain_errors():
        sale = read_sale(listing, tier, quantity, market, buyer)
        if sale.is_eth:
            method, steps = _eth_steps(sale, market, buyer)
        else:
            method, steps = token_steps(sale, market, buyer, permit_signature, deadline)
        currency = currency_facts(sale)
    reply = _quote(listing, sale, currency)
    reply.update(buyer=buyer, method=method, steps=[_json_step(step) for step in steps])
    purchase = next((s for s in reply["steps"] if s["name"] == "purchase"), None)
    if purchase is not None:
        reply.update(to=purchase["to"], data=purchase["data"], value=purchase["value"])
    return reply


def _json_step(step: dict) -> dict:
    for key in ("value", "deadline"):
        if key in step:
            step[key] = str(step[key])
    return step
