"""Changes of a registered listing's terms and of the platform fee, from chain events.

`SplitUpdated` and `TierUpdated` (at registration and at every later update) are recorded as
history rows; `changes_recompute` then makes the listing's split and tier prices the latest
ones in chain order (listings.onchain), which after a reorg are whatever rows remain. Each
sale is paid by the split live at its block, by the contract: history never rewrites sales."""

from datetime import UTC, datetime

from core.bulk import insert_rows
from listings import onchain
from payments.models import PlatformFeeChange, SplitChange, SplitNotice, TierPriceChange
from payments.onchain.recompute import Resolver

CHANGE_EVENTS = {"SplitUpdated", "TierUpdated"}
# The split's owner row changes hands with the listing's ownership token.
OWNERSHIP_TRANSFER = ("ListingOwnership", "Transfer")


def ownership_transfers_seen(logs) -> None:
    """Nothing to record (listings.ownership keeps the transfers): subscribing makes the
    indexer hand these logs to `recompute`, which re-applies the split for the new owner."""


def _splits(args) -> list[dict]:
    """A split event's recipients and shares, as the history rows keep them."""
    pairs = zip(args["recipients"], args["bps"], strict=True)
    return [{"recipient": r, "bps": int(b)} for r, b in pairs]


def splits_record(logs) -> None:
    resolver = Resolver()
    rows = []
    for log in logs:
        a = log.args
        listing = resolver.listing(a["listingId"])
        splits = _splits(a)
        rows.append(
            (log.pk, a["listingId"], listing and listing.pk, splits, log.tx_hash,
             log.block_number, log.block_time)
        )  # fmt: skip
    fields = ("log", "onchain_listing_id", "listing", "splits", "tx_hash", "block_number")
    insert_rows(SplitChange, (*fields, "block_time"), rows, ignore_conflicts=True)


def split_notices_record(logs) -> None:
    """`SplitsScheduled`: a split change that lowers a contributor, announced for later."""
    resolver = Resolver()
    rows = []
    for log in logs:
        a = log.args
        listing = resolver.listing(a["listingId"])
        splits = _splits(a)
        effective = datetime.fromtimestamp(a["effectiveAt"], tz=UTC)
        rows.append((log.pk, a["listingId"], listing and listing.pk, splits, effective,
                     log.block_number))  # fmt: skip
    fields = ("log", "onchain_listing_id", "listing", "splits", "effective_at", "block_number")
    insert_rows(SplitNotice, fields, rows, ignore_conflicts=True)


def tiers_record(logs) -> None:
    resolver = Resolver()
    rows = []
    for log in logs:
        a = log.args
        listing = resolver.listing(a["listingId"])
        rows.append(
            (log.pk, a["listingId"], listing and listing.pk, a["tierId"], a["price"],
             a["currency"], log.tx_hash, log.block_number, log.block_time)
        )  # fmt: skip
    fields = ("log", "onchain_listing_id", "listing", "tier_index", "price", "currency")
    insert_rows(
        TierPriceChange, (*fields, "tx_hash", "block_number", "block_time"), rows,
        ignore_conflicts=True,
    )  # fmt: skip


def fees_record(logs) -> None:
    rows = [
        (log.pk, log.args["recipient"], log.args["bps"], log.tx_hash, log.block_number,
         log.block_time)
        for log in logs
    ]  # fmt: skip
    insert_rows(
        PlatformFeeChange,
        ("log", "recipient", "bps", "tx_hash", "block_number", "block_time"),
        rows,
        ignore_conflicts=True,
    )


def _chain_order(queryset):
    return queryset.order_by("-block_number", "-log__log_index")


def changes_recompute(logs) -> None:
    """Apply the latest recorded split and tier prices of the listings `logs` touched, and
    refresh the platform fee the pages show. An ownership transfer touches the split too: its
    owner's share (recipient 0) is shown under the new holder's address (listings.ownership
    has set the owner by then: listings' recompute runs before ours)."""
    resolver = Resolver()
    listings = {
        resolver.listing(log.args["listingId"]) for log in logs if log.event in CHANGE_EVENTS
    }
    listings |= {
        resolver.listing(log.args["tokenId"])
        for log in logs
        if (log.contract, log.event) == OWNERSHIP_TRANSFER
    }
    for listing in filter(None, listings):
        latest = _chain_order(SplitChange.objects.filter(listing=listing)).first()
        if latest is not None:
            splits = [(s["recipient"], s["bps"]) for s in latest.splits]
            onchain.listing_apply_onchain_split(listing=listing, splits=splits)
        seen = set()
        for change in _chain_order(TierPriceChange.objects.filter(listing=listing)):
            if change.tier_index in seen:
                continue
            seen.add(change.tier_index)
            onchain.tier_apply_onchain_price(
                listing=listing,
                position=change.tier_index,
                price=int(change.price),
                currency=change.currency,
            )
    if any(log.event == "PlatformFeeUpdated" for log in logs):
        fee = _chain_order(PlatformFeeChange.objects.all()).first()
        onchain.platform_fee_set(bps=fee and fee.bps)
