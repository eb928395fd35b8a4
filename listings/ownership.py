"""Control of a listing follows its ListingOwnership token (ERC-721, token id = on-chain listing
id). The indexer hands us the token's `Transfer` logs once they have CONFIRMATIONS blocks on
top (as for purchases); each becomes an `OwnershipTransfer` row (unique on its log, deleted
with it by a reorg), and `ownership_recompute` makes `Listing.owner_address` the receiver of
the latest transfer in chain order, or the creator when none is left (an unregistered
listing, or a reorg that removed the registration). The same function applies and rolls back,
so a reorg that undoes a transfer gives control back to the previous holder.

Who may manage a listing is read in one place: `listings.selectors.listing_controlled_by`."""

import logging

from django.db import transaction

from chain import registry, typed_data
from core.bulk import insert_rows
from listings import page_cache
from listings.models import Listing, OwnershipTransfer

logger = logging.getLogger(__name__)

LOCAL_ID_MASK = (1 << typed_data.LISTING_LOCAL_BITS) - 1
TRANSFER = ("ListingOwnership", "Transfer")
FIELDS = (
    "log", "listing", "onchain_listing_id", "from_address", "to_address", "tx_hash",
    "block_number", "log_index", "block_time",
)  # fmt: skip


def listing_for_onchain_id(onchain_id: int) -> Listing | None:
    """Our listing with this on-chain id: primary key in the low 88 bits, creator above."""
    listing = (
        Listing.objects.select_related("creator").filter(pk=onchain_id & LOCAL_ID_MASK).first()
    )
    if listing and int(listing.creator.address, 16) != onchain_id >> typed_data.LISTING_LOCAL_BITS:
        return None  # same primary key, someone else's listing id
    return listing


def ownership_transfers_record(logs) -> None:
    """One row per Transfer log; a second run inserts nothing (unique on the log)."""
    found: dict[int, Listing | None] = {}
    rows = []
    for log in logs:
        a = log.args
        token = int(a["tokenId"])
        if token not in found:
            found[token] = listing_for_onchain_id(token)
        listing = found[token]
        if listing is None:
            logger.warning("ownership Transfer of unknown listing %s (tx %s)", token, log.tx_hash)
        rows.append(
            (log.pk, listing and listing.pk, token, a["from"], a["to"], log.tx_hash,
             log.block_number, log.log_index, log.block_time)
        )  # fmt: skip
    insert_rows(OwnershipTransfer, FIELDS, rows, ignore_conflicts=True)


def ownership_recompute(logs) -> None:
    """Make the owner of every listing `logs` touched the latest holder that remains."""
    tokens = {int(log.args["tokenId"]) for log in logs if (log.contract, log.event) == TRANSFER}
    listings = filter(None, map(listing_for_onchain_id, tokens))
    for listing in listings:
        listing_owner_refresh(listing=listing)


@transaction.atomic
def listing_owner_refresh(*, listing: Listing) -> str:
    """Set `owner_address` from the recorded transfers; returns it. Holding the row lock keeps
    a management write that checked the old owner from interleaving with the handover."""
    locked = Listing.objects.select_for_update().select_related("creator").get(pk=listing.pk)
    latest = (
        OwnershipTransfer.objects.filter(listing=locked)
        .order_by("-block_number", "-log_index")
        .first()
    )
    owner = latest.to_address if latest else locked.creator.address
    if int(owner, 16) == 0:  # burnt (the contract has no burn today): nobody may manage it
        owner = typed_data.ZERO_ADDRESS
    if locked.owner_address != owner:
        logger.info("listing %s now controlled by %s", locked.pk, owner)
        Listing.objects.filter(pk=locked.pk).update(owner_address=owner)
    # Cached pages show the owner and the history; update() and bulk inserts skip the signals.
    page_cache.forget(slugs=[locked.slug])
    return owner


def register() -> None:
    registry.register(
        "listings",
        handlers={TRANSFER: ownership_transfers_record},
        recompute=ownership_recompute,
    )
