"""The ListingOwnership `Transfer` logs the indexer stored before control followed the token.

The indexer has always saved every log of the ListingOwnership contract, and hands each one to
the subscribed apps once only: the logs of tokens minted or handed over before 0007 would never
reach listings.ownership, so a listing sold on to someone else before this deploy would stay
controlled by its creator for good (and its history would be empty). This replays them, with
the same rules as listings.ownership (owner = receiver of the latest transfer) and
listings.onchain (the split's recipient 0 is that owner). Historical models only: this must not
import app code whose models may have moved on."""

from django.db import migrations

LISTING_LOCAL_BITS = 88  # chain.typed_data.LISTING_LOCAL_BITS when this was written
LOCAL_ID_MASK = (1 << LISTING_LOCAL_BITS) - 1
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


def _listing(Listing, token: int):
    listing = Listing.objects.select_related("creator").filter(pk=token & LOCAL_ID_MASK).first()
    if listing and int(listing.creator.address, 16) != token >> LISTING_LOCAL_BITS:
        return None  # same primary key, someone else's listing id
    return listing


def _record(apps) -> set[int]:
    """One OwnershipTransfer per stored Transfer log not recorded yet; the listings touched."""
    ChainLog = apps.get_model("chain", "ChainLog")
    Listing = apps.get_model("listings", "Listing")
    OwnershipTransfer = apps.get_model("listings", "OwnershipTransfer")
    recorded = OwnershipTransfer.objects.values("log_id")
    logs = ChainLog.objects.filter(contract="ListingOwnership", event="Transfer").exclude(
        pk__in=recorded
    )
    found, rows = {}, []
    for log in logs.order_by("block_number", "log_index").iterator(chunk_size=500):
        token = int(log.args["tokenId"])
        if token not in found:
            found[token] = _listing(Listing, token)
        rows.append(
            OwnershipTransfer(
                log_id=log.pk, listing=found[token], onchain_listing_id=token,
                from_address=log.args["from"], to_address=log.args["to"], tx_hash=log.tx_hash,
                block_number=log.block_number, log_index=log.log_index,
                block_time=log.block_time,
            )
        )  # fmt: skip
    OwnershipTransfer.objects.bulk_create(rows, batch_size=500)
    return {listing.pk for listing in found.values() if listing is not None}


def _split_follow(apps, listing) -> None:
    """The split rows as the latest SplitUpdated stored them, recipient 0 being the owner."""
    SplitChange = apps.get_model("payments", "SplitChange")
    SplitRecipient = apps.get_model("listings", "SplitRecipient")
    latest = (
        SplitChange.objects.filter(listing=listing)
        .order_by("-block_number", "-log__log_index")
        .first()
    )
    if latest is None:
        return
    wanted: dict[str, int] = {}
    for split in latest.splits:
        recipient = split["recipient"]
        address = listing.owner_address if int(recipient, 16) == 0 else recipient
        wanted[address] = wanted.get(address, 0) + int(split["bps"])
    labels = dict(SplitRecipient.objects.filter(listing=listing).values_list("address", "label"))
    SplitRecipient.objects.filter(listing=listing).delete()
    SplitRecipient.objects.bulk_create(
        SplitRecipient(listing=listing, address=address, bps=bps, label=labels.get(address, ""))
        for address, bps in wanted.items()
        if bps > 0
    )


def ownership_backfill(apps, schema_editor) -> None:
    Listing = apps.get_model("listings", "Listing")
    OwnershipTransfer = apps.get_model("listings", "OwnershipTransfer")
    for listing in Listing.objects.filter(pk__in=_record(apps)).select_related("creator"):
        latest = (
            OwnershipTransfer.objects.filter(listing=listing)
            .order_by("-block_number", "-log_index")
            .first()
        )
        owner = latest.to_address if latest else listing.creator.address
        if int(owner, 16) == 0:
            owner = ZERO_ADDRESS
        if owner == listing.owner_address:
            continue
        listing.owner_address = owner
        listing.save(update_fields=["owner_address"])
        _split_follow(apps, listing)


class Migration(migrations.Migration):
    dependencies = [
        ("listings", "0007_listing_ownership"),
        ("payments", "0005_splits_fees"),
    ]

    operations = [migrations.RunPython(ownership_backfill, migrations.RunPython.noop)]
