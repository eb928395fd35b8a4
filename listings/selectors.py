"""Reads for listings: browse/search with filters, and detail pages."""

from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from accounts.models import User
from accounts.selectors import address_is_denied, denied_addresses_active
from artifacts.models import Artifact, Upload
from core.errors import ApiError
from listings.models import (
    LicenseTerms,
    Listing,
    ListingTag,
    OwnershipTransfer,
    Tier,
    Version,
    VersionFile,
)
from listings.search import apply_text_search

PUBLIC_STATUSES = [Listing.Status.PUBLISHED, Listing.Status.PAUSED]
SORTS = {
    "newest": ["-published_at", "-id"],
    "most_sold": ["-sales_count", "-id"],
    "price_low": ["min_price_wei", "id"],
    "price_high": ["-min_price_wei", "-id"],
}


@dataclass(frozen=True)
class ListingFilters:
    text: str = ""
    kind: str = ""
    license: str = ""
    task: str = ""
    tags: tuple[str, ...] = ()
    min_price_wei: int | None = None
    max_price_wei: int | None = None
    free: bool | None = None
    compute: bool | None = None
    sort: str = ""  # one of SORTS, or "relevance" (the default when there is search text)


def listings_visible() -> QuerySet[Listing]:
    """Published listings whose owner is not on the deny-list (denied owners' listings are
    hidden everywhere the public looks, without changing their status: lifting the denial
    brings them back). The owner, not the creator: a listing handed over follows its holder."""
    return Listing.objects.filter(status=Listing.Status.PUBLISHED).exclude(
        owner_address__in=denied_addresses_active().values("address")
    )


# What a result row shows (the API's summary, the browse page's card): not the card text nor
# the search document, which would be most of the bytes read for a page of results.
SUMMARY_FIELDS = [
    "id", "slug", "kind", "title", "summary", "creator_id", "creator__address", "owner_address",
    "status", "task", "license_id", "min_price_wei", "is_free", "has_compute", "sales_count",
    "published_at",
]  # fmt: skip


def artifact_in_visible_listing(*, user, artifact) -> bool:
    """A file or manifest of a listing `user` can see: published, or one they created or own."""
    listings = (
        listings_visible()
        | Listing.objects.filter(creator=user)
        | Listing.objects.filter(owner_address=user.address)
    )
    files = VersionFile.objects.filter(artifact=artifact, version__listing__in=listings)
    manifests = Version.objects.filter(manifest=artifact, listing__in=listings)
    return files.exists() or manifests.exists()


def listing_search(*, filters: ListingFilters) -> QuerySet[Listing]:
    """Published listings matching the filters, sorted, with only the summary fields loaded;
    paginate the result."""
    listings = listings_visible()
    exact = {
        "kind": filters.kind,
        "license_id": filters.license,
        "task": filters.task,
        "is_free": filters.free,
        "has_compute": filters.compute,
        "min_price_wei__gte": filters.min_price_wei,
        "min_price_wei__lte": filters.max_price_wei,
    }
    listings = listings.filter(**{k: v for k, v in exact.items() if v not in ("", None)})
    for tag in filters.tags[:5]:
        listings = listings.filter(
            pk__in=ListingTag.objects.filter(tag=tag.lower()).values("listing_id")
        )
    text = filters.text.strip()
    sort = filters.sort or ("relevance" if text else "newest")
    ranked = sort == "relevance" and bool(text)
    listings = apply_text_search(listings, text, ranked=ranked)
    listings = listings.select_related("creator").only(*SUMMARY_FIELDS)
    if ranked:
        return listings.order_by("-rank", "-id")
    return listings.order_by(*SORTS.get(sort, SORTS["newest"]))


def _detail_queryset() -> QuerySet[Listing]:
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


def listing_get_for_viewer(*, slug: str, viewer) -> Listing:
    """A listing as `viewer` may see it: public ones for everyone, any state for its owner
    and moderators. Raises Http404 otherwise (not 403: drafts stay secret)."""
    listing = _detail_queryset().filter(slug=slug).first()
    if listing is None:
        raise Http404("No such listing.")
    # A denied owner's listings are hidden from everyone but moderators (who review them).
    hidden = address_is_denied(address=listing.owner_address)
    if listing.status in PUBLIC_STATUSES and not hidden:
        return listing
    if viewer.is_authenticated and (
        listing_controlled_by(listing=listing, user=viewer) or viewer.is_moderator
    ):
        return listing
    raise Http404("No such listing.")


# ------------------------------------------------------------------ who controls a listing
#
# One answer for every management path (card and terms, versions, tiers, splits and prices,
# access decisions, compute policy, the owner's dashboard): the address in `owner_address`,
# which follows the ListingOwnership token (listings.ownership), and is not on the deny-list.


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
    listing = _detail_queryset().filter(owner_address=owner.address, **lookup).first()
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


def version_get(*, listing: Listing, tag: str | None = None) -> Version | None:
    """The version with `tag`, or the latest one."""
    versions = list(listing.versions.all())  # prefetched, newest first
    if tag is None:
        return versions[0] if versions else None
    return next((v for v in versions if v.tag == tag), None)


def artifacts_publishable_by(*, user, cids: list[str]) -> dict[str, Artifact]:
    """Of `cids`, the artifacts `user` may put in a release: bytes they uploaded, or files of
    earlier releases of listings they control. CIDs are public (every detail page shows them),
    so knowing one must not let a stranger re-list someone else's file and download it through
    that listing."""
    uploaded = Upload.objects.filter(
        owner=user, status=Upload.Status.COMPLETE, artifact__cid__in=cids
    ).values("artifact_id")
    released = VersionFile.objects.filter(
        version__listing__in=listings_controlled_by(user=user), artifact__cid__in=cids
    ).values("artifact_id")
    artifacts = Artifact.objects.filter(Q(pk__in=uploaded) | Q(pk__in=released))
    return {artifact.cid: artifact for artifact in artifacts}


def license_terms_for_user(*, user, listing: Listing | None = None) -> QuerySet[LicenseTerms]:
    """The site's presets plus the user's own terms, and, when editing `listing`, the terms it
    has now: terms its creator wrote stay with the listing when its ownership token changes
    hands, so the new owner may keep them (not choose them for another listing)."""
    own = Q(owner=user) if user.is_authenticated else Q(pk__in=[])
    if listing is not None and listing.license_terms_id is not None:
        own |= Q(pk=listing.license_terms_id)
    return LicenseTerms.objects.filter(Q(owner__isnull=True) | own)


FILTER_OPTIONS_KEY = "listings:filter-options"


def listing_filter_options() -> dict[str, list[str]]:
    """The tasks and licences that published listings use, for the browse page's filters.
    Cached: every browse page asks, and at 100k listings the two DISTINCTs cost ~350 ms;
    listings.services forgets it whenever a listing's status or card changes."""
    return cache.get_or_set(FILTER_OPTIONS_KEY, _filter_options, 600)


def listing_filter_options_forget() -> None:
    transaction.on_commit(lambda: cache.delete(FILTER_OPTIONS_KEY))


def _filter_options() -> dict[str, list[str]]:
    published = listings_visible()
    return {
        # order_by(field): the model's default ordering would make DISTINCT see created_at too.
        field: list(
            published.exclude(**{field: ""})
            .order_by(field)
            .values_list(field, flat=True)
            .distinct()[:200]
        )
        for field in ("task", "license_id")
    }


# --- Creators' public pages ---------------------------------------------------------------


@dataclass(frozen=True)
class CreatorProfile:
    user: object
    listings: list
    total_sales: int


def creator_profile(*, address: str) -> CreatorProfile:
    """A creator's public page: their published listings (newest first) and sales. 404 for an
    unknown address, or a creator on the deny-list (their listings are hidden everywhere)."""
    try:
        user = User.objects.get(address__iexact=address)
    except (User.DoesNotExist, User.MultipleObjectsReturned):
        raise Http404("No such creator.") from None
    listings = list(listings_visible().filter(creator=user).select_related("creator")[:200])
    if address_is_denied(address=user.address):
        raise Http404("No such creator.")
    return CreatorProfile(
        user=user,
        listings=sorted(listings, key=lambda item: item.pk, reverse=True),
        total_sales=sum(item.sales_count for item in listings),
    )


RESULT_COUNT_CAP = 1000


def listing_count_capped(queryset) -> tuple[int, bool]:
    """How many results, counting at most RESULT_COUNT_CAP (a count of a huge match is slow and
    says nothing more than "over a thousand"). Returns (count, capped)."""
    count = queryset.order_by()[: RESULT_COUNT_CAP + 1].count()
    return min(count, RESULT_COUNT_CAP), count > RESULT_COUNT_CAP
