"""Who controls a listing: the holder of its ownership token (listings.ownership), unless on the
deny-list; the listings someone controls or controlled, and when."""

from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from accounts.selectors import address_is_denied
from core.errors import ApiError
from listings.models import Listing, OwnershipTransfer, Tier, Version, VersionFile

# ------------------------------------------------------------------ who controls a listing
#
# One answer for every management path (card and terms, versions, tiers, splits and prices,
# access decisions, compute policy, the owner's dashboard): the address in `owner_address`,
# which follows the ListingOwnership token (listings.ownership), and is not on the deny-list.


def listing_detail_queryset() -> QuerySet[Listing]:
    """Listings with what a detail page or the owner shows: active tiers, splits, versions."""
    return Listing.objects.select_related("creator", "license_terms").prefetch_related(
        Prefetch("tiers", queryset=Tier.objects.filter(active=True)),
        "splits",
        "ownership_transfers",
        Prefetch(
            "versions",
            queryset=Version.objects.select_related("manifest").prefetch_related(
                Prefetch("files", queryset=VersionFile.objects.select_related("artifact"))
            ),
        ),
    )


def listing_controlled_by(*, listing: Listing, user) -> bool:
    """Whether `user` may manage `listing`: they hold its ownership token (or created it, before
    registration) and their address is not deny-listed."""
    return (
        user is not None
        and user.is_authenticated
        and bool(listing.owner_address)
        and user.address == listing.owner_address
        and not address_is_denied(address=user.address)
    )


def listing_check_controlled_by(*, listing: Listing, user, what: str = "change it") -> None:
    """403 unless `user` controls `listing` (for services handed a listing by a caller)."""
    if listing_controlled_by(listing=listing, user=user):
        return
    if user is not None and user.is_authenticated and user.address == listing.owner_address:
        raise ApiError(
            "This wallet address is blocked on this marketplace, so it cannot manage listings.",
            code="address_denied",
            status=403,
        )
    raise ApiError(
        f"Only the listing's owner (the holder of its ownership token) can {what}.",
        code="not_owner",
        status=403,
    )


def listings_controlled_by(*, user) -> QuerySet[Listing]:
    """The listings `user` manages now (none while their address is deny-listed)."""
    if not user.is_authenticated or address_is_denied(address=user.address):
        return Listing.objects.none()
    return Listing.objects.filter(owner_address=user.address)


@dataclass(frozen=True)
class OwnershipPeriods:
    """Who held a listing's ownership token when: a list of ((block, log index), holder) from
    the recorded transfers, the creator before the first. Answers "whose was it at this log"
    for sales, payouts and split changes (the owner's share went to whoever held the token)."""

    creator: str
    starts: tuple[tuple[tuple[int, int], str], ...]

    def owner_at(self, order: tuple[int, int]) -> str:
        owner = self.creator
        for start, holder in self.starts:
            if start > order:
                break
            owner = holder
        return owner

    def held_by(self, address: str, order: tuple[int, int]) -> bool:
        return self.owner_at(order) == address


def ownership_periods(*, listings) -> dict[int, OwnershipPeriods]:
    """OwnershipPeriods per listing id, in one query whatever the number of listings."""
    listings = list(listings)
    starts: dict[int, list] = {listing.pk: [] for listing in listings}
    rows = OwnershipTransfer.objects.filter(listing__in=listings).order_by(
        "block_number", "log_index"
    )
    for row in rows.values_list("listing_id", "block_number", "log_index", "to_address"):
        starts[row[0]].append(((row[1], row[2]), row[3]))
    return {
        listing.pk: OwnershipPeriods(listing.creator.address, tuple(starts[listing.pk]))
        for listing in listings
    }


def listing_get_owned(*, owner, pk: int | None = None, slug: str | None = None) -> Listing:
    """A listing its owner is about to change, by pk or slug; 404 for anyone else's (a former
    owner included), 403 for a deny-listed owner."""
    if not owner.is_authenticated or (pk is None) == (slug is None):
        raise Http404("No such listing of yours.")
    lookup = {"pk": pk} if pk is not None else {"slug": slug}
    listing = listing_detail_queryset().filter(owner_address=owner.address, **lookup).first()
    if listing is None:
        raise Http404("No such listing of yours.")
    listing_check_controlled_by(listing=listing, user=owner)
    return listing


def listing_owned(*, owner, slug: str) -> Listing:
    """The caller's own listing for an API write, without the detail page's prefetches. Anyone
    else's answers exactly like an unknown one (404), so slugs of drafts reveal nothing; a
    deny-listed owner gets 403."""
    listing = (
        Listing.objects.select_related("creator")
        .filter(slug=slug, owner_address=owner.address if owner.is_authenticated else None)
        .first()
    )
    if listing is None:
        raise ApiError("No such listing of yours.", code="not_found", status=404)
    listing_check_controlled_by(listing=listing, user=owner)
    return listing


def listing_list_for_creator(*, creator) -> QuerySet[Listing]:
    """The listings `creator` manages now (their "My listings" page)."""
    return listings_controlled_by(user=creator).order_by("-updated_at")


def listings_formerly_owned(*, user) -> QuerySet[Listing]:
    """Listings `user` held the ownership token of (or created) and no longer controls: they
    keep read access to their past revenue from them, nothing else."""
    if not user.is_authenticated:
        return Listing.objects.none()
    held = OwnershipTransfer.objects.filter(to_address=user.address).values("listing_id")
    return (
        Listing.objects.filter(Q(pk__in=held) | Q(creator=user))
        .exclude(owner_address=user.address)
        .order_by("title", "pk")
    )


def ownership_history(*, listing: Listing) -> list[OwnershipTransfer]:
    """The listing's ownership token transfers in chain order (the mint first); prefetched by
    the detail queries."""
    return list(listing.ownership_transfers.all())
