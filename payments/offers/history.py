"""A listing's history of on-chain term changes (split and tier prices), newest first, from
the rows the indexer recorded (payments.onchain.changes). The first of each is the registration."""

from listings.models import Listing
from listings.selectors import ownership_periods
from payments.currencies import display
from payments.models import SplitChange, TierPriceChange


def _split_text(listing: Listing, splits: list[dict], owner: str) -> list[dict]:
    """Recipient 0 is the owner: the ownership token's holder when the change was made."""
    labels = {s.address: s.label for s in listing.splits.all()}
    rows = []
    for s in splits:
        address = owner if int(s["recipient"], 16) == 0 else s["recipient"]
        label = labels.get(address) or ("Owner" if address == owner else "Contributor")
        rows.append({"address": address, "label": label, "bps": int(s["bps"])})
    return rows


def changes_for_listing(*, listing: Listing) -> list[dict]:
    names = {t.position: t.name for t in listing.tiers.all()}
    changes = []
    periods = ownership_periods(listings=[listing])[listing.pk]
    for c in SplitChange.objects.filter(listing=listing).select_related("log"):
        order = (c.block_number, c.log.log_index)
        splits = _split_text(listing, c.splits, periods.owner_at(order))
        changes.append({"kind": "split", "order": order, "tx_hash": c.tx_hash,
                        "block": c.block_number, "at": c.block_time, "splits": splits})  # fmt: skip
    for c in TierPriceChange.objects.filter(listing=listing).select_related("log"):
        changes.append({"kind": "price", "order": (c.block_number, c.log.log_index),
                        "tx_hash": c.tx_hash, "block": c.block_number, "at": c.block_time,
                        "tier": c.tier_index, "tier_name": names.get(c.tier_index, ""),
                        "price_wei": int(c.price), "currency": c.currency,
                        "price": display(int(c.price), c.currency)})  # fmt: skip
    changes.sort(key=lambda c: c["order"], reverse=True)
    if changes:
        # Registration emits every tier and the split in its first transaction.
        first_tx = changes[-1]["tx_hash"]
        for change in changes:
            change["registration"] = change["tx_hash"] == first_tx
    return changes


def changes_json(*, listing: Listing) -> list[dict]:
    rows = []
    for change in changes_for_listing(listing=listing):
        row = {k: v for k, v in change.items() if k != "order"}
        if "price_wei" in row:
            row["price_wei"] = str(row["price_wei"])
        rows.append(row)
    return rows
