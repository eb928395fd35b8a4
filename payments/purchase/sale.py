"""A purchase as the contract will execute it, read from the chain at one block: its price,
currency, supply and split come from the stored tier once the listing is registered, else from
the signed offer the purchase registers. Plus the calldata of the purchase itself."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hexbytes import HexBytes

from chain import client, typed_data
from core.errors import ApiError
from core.eth import is_address, to_checksum_address
from listings.models import Listing
from listings.sale import PAUSED, listing_sale_closed

if TYPE_CHECKING:
    from web3.contract import Contract
from payments import selectors
from payments.models import ListingOffer

MAX_QUANTITY = 100  # licences per purchase; the contract takes a uint32
BPS = 10_000


@dataclass(frozen=True)
class Sale:
    """One purchase as the contract will execute it. Amounts in wei (or token base units)."""

    listing_id: int
    tier_id: int
    quantity: int
    price: int
    currency: str
    registered: bool
    owner: str  # paid the rest after the fee and the other recipients (rounding dust too)
    recipients: tuple[tuple[str, int], ...]  # the other split recipients, in contract order
    fee_recipient: str
    fee_bps: int
    offer: ListingOffer | None  # submitted with the purchase while the listing is unregistered

    @property
    def total(self) -> int:
        return self.price * self.quantity

    @property
    def is_eth(self) -> bool:
        return self.currency == typed_data.ETH


def split_preview(
    *, total: int, fee_bps: int, fee_recipient: str, owner: str, recipients
) -> list[dict]:
    """Who receives what of `total`, computed exactly as Marketplace._distribute does: the fee
    first (credited to the fee recipient), then each recipient's bps of the rest, rounded down,
    then the owner gets what is left, so the amounts add up to `total` to the wei."""
    rows = []
    fee = total * fee_bps // BPS
    if fee_bps:
        rows.append({"role": "platform", "address": fee_recipient, "bps": fee_bps, "amount": fee})
    net = total - fee
    to_owner = net
    for address, bps in recipients:
        share = net * bps // BPS
        to_owner -= share
        rows.append({"role": "recipient", "address": address, "bps": bps, "amount": share})
    rows.append({"role": "owner", "address": owner, "bps": None, "amount": to_owner})
    return rows


def is_zero(address: str) -> bool:
    return int(address, 16) == 0


def sale_check_open(listing: Listing) -> None:
    """The listing page's rule (listings.sale), as the API's refusal."""
    closed = listing_sale_closed(listing=listing)
    if closed == PAUSED:
        raise ApiError("Sales of this listing are paused.", code="paused", status=409)
    if closed:
        raise ApiError("This listing is not on sale.", code="not_for_sale", status=409)


def check_terms(listing: Listing, tier: int, quantity: int) -> None:
    """What the database alone can refuse, before asking the chain."""
    sale_check_open(listing)
    found = listing.tiers.filter(position=tier, active=True).first()
    if found is None:
        raise ApiError(f"This listing has no licence tier {tier}.", code="unknown_tier")
    if found.requires_approval:
        raise ApiError(
            "This tier is given on request: ask the creator for access on the listing page.",
            code="approval_required",
            status=409,
        )
    if not 1 <= quantity <= MAX_QUANTITY:
        raise ApiError(f"Choose a quantity from 1 to {MAX_QUANTITY}.", code="bad_quantity")


def checked_buyer(buyer) -> str:
    if not isinstance(buyer, str) or not is_address(buyer) or is_zero(buyer):
        raise ApiError("The buyer must be a valid 0x address.", code="bad_address")
    return to_checksum_address(buyer)


def _unregistered_terms(listing: Listing, tier: int, market: Contract, block) -> dict:
    """The signed offer the purchase will register, checked as `_register` checks it. The
    purchase will be mined after the latest block, and not before now: a quiet chain's latest
    block can be minutes old."""
    offer = selectors.offer_active(listing=listing)
    if offer is None:
        raise ApiError("This listing has no signed offer to buy from.", code="no_offer", status=409)
    message = offer.message
    now = max(block.timestamp, int(time.time()))
    if now < int(message["validAfter"]):
        raise ApiError(
            "The listing's offer is not valid yet.", code="offer_not_yet_valid", status=409
        )
    if now > int(message["validUntil"]):
        raise ApiError("The listing's offer has expired.", code="offer_expired", status=409)
    counter = market.functions.counters(message["creator"]).call(block_identifier=block.number)
    if int(message["counter"]) != counter:
        raise ApiError("The creator cancelled this offer.", code="offer_cancelled", status=409)
    if tier >= len(message["tiers"]):
        raise ApiError(f"This listing has no licence tier {tier}.", code="unknown_tier")
    return {"offer": offer, "tier": message["tiers"][tier], "splits": message["splits"]}


def read_sale(
    listing: Listing, tier: int, quantity: int, market: Contract, buyer: str | None = None
) -> Sale:
    """Everything the contract will use, read at one block so the pieces agree. `buyer`, when
    known, tells whether a capped time-limited tier needs a new seat for them."""
    header = market.w3.eth.get_block("latest")
    block = header.number
    lid = listing.onchain_id
    if market.functions.purchasesPaused().call(block_identifier=block):
        raise ApiError(
            "Purchases are paused on the whole marketplace for now; try again later.",
            code="purchases_paused",
            status=409,
        )
    owner, tier_count, *_, paused = market.functions.listing(lid).call(block_identifier=block)
    if paused:  # a moderator can pause a listing before its first sale, too
        raise ApiError("Sales of this listing are paused.", code="paused", status=409)
    if tier_count:
        if tier >= tier_count:
            raise ApiError(f"This listing has no licence tier {tier}.", code="unknown_tier")
        price, duration, max_supply, minted, _, _, erc20, currency = market.functions.tier(
            lid, tier
        ).call(block_identifier=block)
        currency = currency if erc20 else typed_data.ETH
        splits = market.functions.splitsOf(lid).call(block_identifier=block)
        offer = None
    else:
        terms = _unregistered_terms(listing, tier, market, header)
        offer, owner, minted = terms["offer"], terms["offer"].creator, 0
        price, currency = int(terms["tier"]["price"]), terms["tier"]["currency"]
        max_supply = int(terms["tier"]["maxSupply"])
        duration = int(terms["tier"]["duration"])
        splits = [(s["recipient"], int(s["bps"])) for s in terms["splits"]]
    # A time-limited tier's cap counts seats (holders): a renewal needs none, a new holder one.
    needed = quantity if not duration else int(not _has_seat(market, lid, tier, buyer, block))
    if max_supply and minted + needed > max_supply:
        left = max_supply - minted
        text = f"Only {left} left in this tier." if left else "This tier is sold out."
        raise ApiError(text, code="supply_cap", status=409)
    return Sale(
        listing_id=lid,
        tier_id=tier,
        quantity=quantity,
        price=int(price),
        currency=to_checksum_address(currency),
        registered=bool(tier_count),
        owner=to_checksum_address(owner),
        # The owner's own share (recipient 0) is not paid separately: it is the remainder.
        recipients=tuple((to_checksum_address(r), int(b)) for r, b in splits if not is_zero(r)),
        fee_recipient=market.functions.feeRecipient().call(block_identifier=block),
        fee_bps=market.functions.feeBps().call(block_identifier=block),
        offer=offer,
    )


def _has_seat(market: Contract, lid: int, tier: int, buyer: str | None, block) -> bool:
    if buyer is None:
        return False
    licence = client.get_contract("LicenseToken", w3=market.w3)
    expiry = licence.functions.expiresAt(typed_data.token_id(lid, tier), buyer)
    return expiry.call(block_identifier=block) != 0


def purchase_call(sale: Sale, market: Contract, permit: tuple | None = None) -> tuple[str, str]:
    """(method, calldata) of the purchase transaction."""
    tail = [sale.tier_id, sale.quantity, sale.currency, sale.total]
    if permit is not None:
        return "purchaseWithPermit", market.encode_abi(
            "purchaseWithPermit", args=[sale.listing_id, *tail, *permit]
        )
    if sale.registered:
        # `purchaseLicense` is `purchase` under a selector found early by the dispatcher.
        return "purchaseLicense", market.encode_abi(
            "purchaseLicense", args=[sale.listing_id, *tail]
        )
    offer = sale.offer
    return "purchaseWithOffer", market.encode_abi(
        "purchaseWithOffer", args=[offer.message, HexBytes(offer.signature), *tail]
    )


def transaction(name: str, *, sender: str, to: str, data: str, value: int = 0) -> dict:
    return {
        "type": "transaction",
        "name": name,
        "from": sender,
        "to": to,
        "data": data,
        "value": value,
    }


def insufficient(what: str) -> ApiError:
    return ApiError(
        f"The buyer's {what} balance is below the total of this purchase.",
        code="insufficient_funds",
        status=409,
    )


def marketplace() -> Contract:
    try:
        return client.get_contract("Marketplace")
    except client.DeploymentMissing as exc:
        raise ApiError(
            "The contracts are not deployed on this chain yet.", code="not_deployed", status=503
        ) from exc
