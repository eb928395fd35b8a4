"""Reads for listings: browse/search with filters, and detail pages."""

from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import User
from accounts.selectors import address_is_denied, denied_addresses_active
from artifacts.models import Artifact, Upload
from listings.models import (
    LicenseTerms,
    Listing,
    ListingTag,
    Version,
    VersionFile,
)
from listings.search import apply_text_search
from listings.selectors.control import (
    listing_controlled_by,
    listing_detail_queryset,
    listings_controlled_by,
)

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
    # The card's honest price, creator name and counts (issue 17).
    "creator__display_name", "free_on_request", "min_price_currency", "download_count",
    "like_count",
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


def listing_get_for_viewer(*, slug: str, viewer) -> Listing:
    """A listing as `viewer` may see it: public ones for everyone, any state for its owner
    and moderators. Raises Http404 otherwise (not 403: drafts stay secret)."""
    listing = listing_detail_queryset().filter(slug=slug).first()
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
