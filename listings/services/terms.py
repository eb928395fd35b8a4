"""A draft's tiers and split, checked against the Marketplace contract's limits. Once the listing
is registered on-chain they change through payments.offers.updates instead."""

from dataclasses import dataclass

from django.db import transaction

from core.errors import ApiError
from core.eth import is_address, to_checksum_address
from listings.models import (
    Listing,
    SplitRecipient,
    Tier,
)
from listings.prices import price_summary
from listings.selectors import (
    listing_check_controlled_by,
)
from listings.services.details import listing_lock

S = Listing.Status
# Limits of the Marketplace contract (contracts/src/Marketplace.sol).
MAX_TIERS = 16
MAX_SPLITS = 10
MAX_ROYALTY_BPS = 2_500
UINT32_MAX = 2**32 - 1
UINT128_MAX = 2**128 - 1


def _require_draft_by_creator(listing: Listing, actor, what: str) -> Listing:
    listing = listing_lock(listing)
    listing_check_controlled_by(listing=listing, user=actor)
    if listing.status != S.DRAFT:
        raise ApiError(
            f"{what} can change only while the listing is a draft; "
            "a published listing changes them with a new signed offer.",
            code="not_draft",
            status=409,
        )
    return listing


@dataclass(frozen=True)
class TierSpec:
    name: str
    price_wei: int
    currency: str = Tier.ETH
    duration_seconds: int = 0
    transferable: bool = True
    kind: str = Tier.Kind.DOWNLOAD
    supply_cap: int | None = None
    requires_approval: bool = False


@transaction.atomic
def listing_set_tiers(*, listing: Listing, actor, tiers: list[TierSpec]) -> list[Tier]:
    """Replace a draft's tiers; their order is their tier id on-chain."""
    listing = _require_draft_by_creator(listing, actor, "Tiers")
    if not 1 <= len(tiers) <= MAX_TIERS:
        raise ApiError(f"A listing has between 1 and {MAX_TIERS} tiers.", code="invalid_tiers")
    for spec in tiers:
        _check_tier(spec)
    listing.tiers.all().delete()
    created = Tier.objects.bulk_create(
        Tier(
            listing=listing,
            position=i,
            **{**spec.__dict__, "currency": to_checksum_address(spec.currency)},
        )
        for i, spec in enumerate(tiers)
    )
    summary = price_summary(created).fields()
    for name, value in summary.items():
        setattr(listing, name, value)
    listing.has_compute = any(spec.kind != Tier.Kind.DOWNLOAD for spec in tiers)
    listing.save(update_fields=[*summary, "has_compute", "updated_at"])
    return created


def _check_tier(spec: TierSpec) -> None:
    if not 0 <= spec.price_wei <= UINT128_MAX:
        raise ApiError("A tier price must be between 0 and 2^128 - 1 wei.", code="invalid_price")
    if not is_address(spec.currency):
        raise ApiError("A tier currency must be ETH or a token address.", code="invalid_currency")
    if not 0 <= spec.duration_seconds <= UINT32_MAX:
        raise ApiError("A tier lasts at most 2^32 - 1 seconds (0 = forever).", code="invalid_tier")
    if spec.supply_cap is not None and not 1 <= spec.supply_cap <= UINT32_MAX:
        raise ApiError("A supply cap is between 1 and 2^32 - 1 tokens.", code="invalid_tier")
    if spec.kind not in Tier.Kind.values:
        raise ApiError("A tier kind is download, compute or both.", code="invalid_tier")
    if spec.requires_approval and spec.price_wei != 0:
        raise ApiError(
            "Only a free tier can require your approval (set its price to 0).",
            code="invalid_tier",
        )


@transaction.atomic
def listing_set_splits(*, listing: Listing, actor, splits: list[tuple[str, int, str]]) -> None:
    """Replace a draft's split: (address, basis points, label) summing to exactly 10000."""
    listing = _require_draft_by_creator(listing, actor, "Splits")
    if not 1 <= len(splits) <= MAX_SPLITS:
        raise ApiError(f"A split has between 1 and {MAX_SPLITS} recipients.", code="invalid_split")
    if any(not is_address(address) for address, _, _ in splits):
        raise ApiError("Every recipient needs a valid address.", code="invalid_split")
    addresses = [to_checksum_address(address) for address, _, _ in splits]
    if len(set(addresses)) != len(addresses):
        raise ApiError("Each recipient may appear only once.", code="invalid_split")
    if any(bps <= 0 for _, bps, _ in splits) or sum(bps for _, bps, _ in splits) != 10_000:
        raise ApiError("Split shares must be positive and add up to 100%.", code="invalid_split")
    listing.splits.all().delete()
    SplitRecipient.objects.bulk_create(
        SplitRecipient(listing=listing, address=address, bps=bps, label=label[:80])
        for address, (_, bps, label) in zip(addresses, splits, strict=True)
    )
