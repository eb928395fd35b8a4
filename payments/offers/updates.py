"""Changing the split and tier prices of a listing registered on-chain. The contract holds them
from the first sale on, so a change is a transaction by the listing's owner: either the owner's
wallet sends `setSplits` / `setTierPrice` itself, or the owner signs an EIP-712 SplitUpdate /
TierUpdate and the server relays it (`setSplitsBySig`, gasless for the creator). Either way
nothing is written here: the indexer records `SplitUpdated` / `TierUpdated` and the listing
follows (payments.onchain.changes). A change applies to sales after it, never before: each sale
is paid by the split stored at its block.

Before registration the signed offer holds the terms: the creator changes the draft and signs
a new offer (payments.offers.services.offer_prepare / offer_submit)."""

import time

from django.conf import settings
from django.core.cache import cache
from hexbytes import HexBytes

from chain import client, typed_data
from chain.signatures import signer_accepts
from core.errors import ApiError
from core.eth import is_address, to_checksum_address
from listings.models import Listing
from listings.selectors import listing_check_controlled_by
from payments.offers.services import json_safe, offer_domain
from payments.purchase.sale import is_zero, marketplace, transaction

SIGNED_UPDATE_TTL_SECONDS = 3600
# How long a relayed update holds its (listing, nonce): longer than a transaction takes to mine.
RELAY_CLAIM_SECONDS = 600
MAX_SPLITS = 10
UINT128_MAX = 2**128 - 1


def _registered(listing: Listing, actor):
    """(market, header) of a listing `actor` owns on-chain; clear 4xx otherwise."""
    listing_check_controlled_by(listing=listing, user=actor)
    market = marketplace()
    with client.chain_errors():
        header = market.functions.listing(listing.onchain_id).call()
    owner, tier_count, nonce = header[0], header[1], header[5]
    if tier_count == 0:
        raise ApiError(
            "This listing is not registered on-chain yet: its first sale registers the split "
            "and prices of the offer you signed, and they can be changed from then on.",
            code="not_registered",
            status=409,
        )
    if to_checksum_address(owner) != actor.address:
        raise ApiError(
            f"The listing's ownership token is held by {owner}; only its holder can change it.",
            code="not_owner",
            status=403,
        )
    return market, {
        "owner": owner,
        "tier_count": tier_count,
        "nonce": nonce,
        "splits_locked": bool(header[6]),
    }


def checked_splits(listing: Listing, splits) -> list[typed_data.Split]:
    """(address, bps) pairs as the contract takes them; the owner's own row pays "the
    owner" (recipient 0) so it follows the ownership token, as in the offer."""
    if not isinstance(splits, list) or not 1 <= len(splits) <= MAX_SPLITS:
        raise ApiError(f"A split has between 1 and {MAX_SPLITS} recipients.", code="invalid_split")
    result, seen, total = [], set(), 0
    for address, bps in splits:
        if not isinstance(address, str) or not is_address(address) or int(address, 16) == 0:
            raise ApiError("Every recipient needs a valid address.", code="invalid_split")
        address = to_checksum_address(address)
        if address in seen:
            raise ApiError("Each recipient may appear only once.", code="invalid_split")
        if not isinstance(bps, int) or not 0 < bps <= 10_000:
            raise ApiError("Each share is between 1 and 10000 basis points.", code="invalid_split")
        seen.add(address)
        total += bps
        owner = address == listing.owner_address
        result.append(typed_data.Split(typed_data.OWNER if owner else address, bps))
    if total != 10_000:
        raise ApiError(
            f"Split shares must add up to 100% (10000 basis points), not {total}.",
            code="invalid_split",
        )
    return result


def _comparison(listing: Listing, old: list, new: list[typed_data.Split]) -> list[dict]:
    """Old and new share of every address, side by side, for the page and the API."""
    labels = {s.address: s.label for s in listing.splits.all()}
    owner = listing.owner_address

    def address_of(recipient):
        return owner if int(recipient, 16) == 0 else to_checksum_address(recipient)

    before = {address_of(r): int(b) for r, b in old}
    after = {address_of(s.recipient): s.bps for s in new}
    rows = []
    for address in dict.fromkeys([*before, *after]):
        label = labels.get(address) or ("Owner" if address == owner else "Contributor")
        rows.append(
            {
                "address": address,
                "label": label,
                "old_bps": before.get(address, 0),
                "new_bps": after.get(address, 0),
            }
        )
    return rows


def split_update_prepare(*, listing: Listing, actor, splits) -> dict:
    """Old vs new split, the `setSplits` transaction for the owner's wallet, and the EIP-712
    SplitUpdate to sign instead for a relayed (gasless) change."""
    new = checked_splits(listing, splits)
    market, header = _registered(listing, actor)
    if header["splits_locked"]:
        raise ApiError("This listing's split was locked when it was signed: it never changes.",
                       code="split_locked", status=409)  # fmt: skip
    with client.chain_errors():
        old = market.functions.splitsOf(listing.onchain_id).call()
        notice = int(market.functions.SPLIT_NOTICE().call())
    structs = [s.as_struct() for s in new]
    data = market.encode_abi("setSplits", args=[listing.onchain_id, structs])
    update = typed_data.SplitUpdate(
        listing_id=listing.onchain_id,
        splits=tuple(new),
        nonce=header["nonce"],
        deadline=int(time.time()) + SIGNED_UPDATE_TTL_SECONDS,
    )
    document = typed_data.typed_data(update, offer_domain())
    return {
        "listing_id": str(listing.onchain_id),
        "comparison": _comparison(listing, old, new),
        # Contributors whose share drops: the contract only announces such a change and
        # applies it after `notice_seconds` (their dashboards show it meanwhile).
        "lowered": lowered_contributors(old, new),
        "notice_seconds": notice,
        "transaction": {**transaction("setSplits", sender=actor.address, to=market.address,
                                      data=data), "value": "0"},
        "typed_data": {**document, "message": json_safe(document["message"])},
    }  # fmt: skip


def lowered_contributors(old, new) -> list[str]:
    """Addresses (not the owner) whose share in `new` is below their share in `old`, as the
    contract decides whether a split change must wait for its notice period."""
    after: dict[str, int] = {}
    for s in new:
        key = to_checksum_address(s.recipient)
        after[key] = after.get(key, 0) + s.bps
    return [
        to_checksum_address(recipient)
        for recipient, bps in old
        if not is_zero(recipient) and after.get(to_checksum_address(recipient), 0) < bps
    ]


def tier_price_prepare(*, listing: Listing, actor, position: int, price_wei: int) -> dict:
    """The `setTierPrice` transaction (same currency) and the TierUpdate to sign instead."""
    if not 0 <= price_wei <= UINT128_MAX:
        raise ApiError("A tier price is between 0 and 2^128 - 1 wei.", code="invalid_price")
    market, header = _registered(listing, actor)
    if not 0 <= position < header["tier_count"]:
        raise ApiError(f"This listing has no licence tier {position}.", code="unknown_tier")
    with client.chain_errors():
        stored = market.functions.tier(listing.onchain_id, position).call()
    old_price, currency = int(stored[0]), stored[7] if stored[6] else typed_data.ETH
    args = [listing.onchain_id, position, price_wei, currency]
    data = market.encode_abi("setTierPrice", args=args)
    update = typed_data.TierUpdate(
        listing_id=listing.onchain_id,
        tier_id=position,
        price=price_wei,
        currency=currency,
        nonce=header["nonce"],
        deadline=int(time.time()) + SIGNED_UPDATE_TTL_SECONDS,
    )
    document = typed_data.typed_data(update, offer_domain())
    return {
        "listing_id": str(listing.onchain_id),
        "tier": position,
        "currency": currency,
        "old_price_wei": str(old_price),
        "new_price_wei": str(price_wei),
        "transaction": {**transaction("setTierPrice", sender=actor.address, to=market.address,
                                      data=data), "value": "0"},
        "typed_data": {**document, "message": json_safe(document["message"])},
    }  # fmt: skip


def split_update_relay(*, listing: Listing, actor, message: dict, signature: str) -> dict:
    """Send the owner's signed SplitUpdate with the relayer's key (the creator pays no gas).
    Checked here first (signer, nonce, deadline), so the relayer never pays for a revert."""
    market, header = _registered(listing, actor)
    try:
        pairs = [(to_checksum_address(s["recipient"]), int(s["bps"])) for s in message["splits"]]
        nonce, deadline = int(message["nonce"]), int(message["deadline"])
        target = int(message["listingId"])
        raw = bytes(HexBytes(signature))
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError):  # 1e400 → inf
        raise ApiError("The signed split update is malformed.", code="update_malformed") from None
    if target != listing.onchain_id:
        raise ApiError("This update is for another listing.", code="update_malformed")
    if not 65 <= len(raw) <= 512:
        raise ApiError("The signature must be 0x-prefixed hex.", code="signature_malformed")
    valid = all(0 < b <= 10_000 for _, b in pairs) and 1 <= len(pairs) <= MAX_SPLITS
    if not valid or sum(b for _, b in pairs) != 10_000:
        raise ApiError("Split shares must be positive and add up to 100%.", code="invalid_split")
    splits = [typed_data.Split(r, b) for r, b in pairs]
    if not (0 <= nonce < 2**32 and 0 <= deadline < 2**64):
        raise ApiError("The signed split update is malformed.", code="update_malformed")
    if nonce != header["nonce"]:
        raise ApiError("This update was signed before another change; sign again.",
                       code="stale_update", status=409)  # fmt: skip
    if deadline < time.time() + 30:
        raise ApiError("This signed update has expired; sign again.", code="update_expired")
    update = typed_data.SplitUpdate(listing.onchain_id, tuple(splits), nonce, deadline)
    digest = typed_data.digest(update, offer_domain())
    with client.chain_errors():
        if not signer_accepts(header["owner"], digest, raw):
            raise ApiError(f"The update was not signed by {header['owner']}.",
                           code="signature_invalid")  # fmt: skip
    return _relay_send(market, update, raw)


def _relay_send(market, update: typed_data.SplitUpdate, raw: bytes) -> dict:
    """Send once per (listing, nonce): the same signed update posted twice at once would pass
    the nonce check twice (the first is not mined yet) and the second would revert on-chain,
    at the relayer's cost. The claim is released when the contract refused the update (so the
    owner can retry); after a node error it is kept, as the transaction may have been sent."""
    claim = f"payments:relay:{update.listing_id}:{update.nonce}"
    if not cache.add(claim, 1, RELAY_CLAIM_SECONDS):
        raise ApiError("This update is being relayed already.", code="update_in_flight",
                       status=409)  # fmt: skip
    from eth_account import Account
    from web3.exceptions import ContractLogicError  # loaded with the chain client

    relayer = Account.from_key(settings.CHAIN_RELAYER_KEY or settings.CHAIN_DEPLOYER_KEY)
    call = market.functions.setSplitsBySig(update.as_struct(), raw)
    with client.chain_errors():
        try:
            receipt = client.transact(call, account=relayer)
        except (ContractLogicError, client.TransactionFailed) as exc:
            cache.delete(claim)
            raise ApiError(f"The contract refused the update ({exc}).", code="update_refused",
                           status=409) from None  # fmt: skip
    return {"tx_hash": receipt.transactionHash.to_0x_hex(), "block": receipt.blockNumber}
