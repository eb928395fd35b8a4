"""Reads for listings: browse/search with filters, and detail pages."""

from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from accounts.models import User
from accounts.selectors import address_is_denied, denied_addresses_active
from artifacts.models import Artifact, Upload
from listings.models import LicenseTerms, Listing, ListingTag, Tier, Version, VersionFile
from listings.search import apply_text_search
from marketplace.api_errors import ApiError

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
    """Published listings whose creator is not on the deny-list (denied creators' listings are
    hidden everywhere the public looks, without changing their status: lifting the denial
    brings them back)."""
    return Listing.objects.filter(status=Listing.Status.PUBLISHED).exclude(
        creator__address__in=denied_addresses_active().values("address")
    )


def listing_search(*, filters: ListingFilters) -> QuerySet[Listing]:
    """Published listings matching the filters, sorted; paginate the result."""
    listings = listings_visible().select_related("creator")
    listings = apply_text_search(listings, filters.text)
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
    sort = filters.sort or ("relevance" if filters.text.strip() else "newest")
    if sort == "relevance" and filters.text.strip():
        return listings.order_by("-rank", "-id")
    return listings.order_by(*SORTS.get(sort, SORTS["newest"]))


def _detail_queryset() -> QuerySet[Listing]:
    return Listing.objects.select_related("creator", "license_terms").prefetch_related(
        Prefetch("tiers", queryset=Tier.objects.filter(active=True)),
        "splits",
        Prefetch(
            "versions",
            queryset=Version.objects.prefetch_related(
                Prefetch("files", queryset=VersionFile.objects.select_related("artifact"))
            ),
        ),
    )


def listing_get_for_viewer(*, slug: str, viewer) -> Listing:
    """A listing as `viewer` may see it: public ones for everyone, any state for its creator
    and moderators. Raises Http404 otherwise (not 403: drafts stay secret)."""
    listing = _detail_queryset().filter(slug=slug).first()
    if listing is None:
        raise Http404("No such listing.")
    # A denied creator's listings are hidden from everyone but moderators (who review them).
    hidden = address_is_denied(address=listing.creator.address)
    if listing.status in PUBLIC_STATUSES and not hidden:
        return listing
    if viewer.is_authenticated and (
        (viewer.pk == listing.creator_id and not hidden) or viewer.is_moderator
    ):
        return listing
    raise Http404("No such listing.")


def listing_get_owned(*, owner, pk: int | None = None, slug: str | None = None) -> Listing:
    """A listing its creator is about to change, by pk or slug; 404 for anyone else's."""
    if not owner.is_authenticated or (pk is None) == (slug is None):
        raise Http404("No such listing of yours.")
    lookup = {"pk": pk} if pk is not None else {"slug": slug}
    listing = _detail_queryset().filter(creator=owner, **lookup).first()
    if listing is None:
        raise Http404("No such listing of yours.")
    return listing


def listing_owned(*, owner, slug: str) -> Listing:
    """The caller's own listing for an API write, without the detail page's prefetches. Anyone
    else's answers exactly like an unknown one (404), so slugs of drafts reveal nothing."""
    listing = Listing.objects.select_related("creator").filter(slug=slug, creator=owner).first()
    if listing is None:
        raise ApiError("No such listing of yours.", code="not_found", status=404)
    return listing


def listing_list_for_creator(*, creator) -> QuerySet[Listing]:
    return Listing.objects.filter(creator=creator).order_by("-updated_at")


def version_get(*, listing: Listing, tag: str | None = None) -> Version | None:
    """The version with `tag`, or the latest one."""
    versions = list(listing.versions.all())  # prefetched, newest first
    if tag is None:
        return versions[0] if versions else None
    return next((v for v in versions if v.tag == tag), None)


def artifacts_publishable_by(*, user, cids: list[str]) -> dict[str, Artifact]:
    """Of `cids`, the artifacts `user` may put in a release: bytes they uploaded, or files of
    their own earlier releases. CIDs are public (every detail page shows them), so knowing one
    must not let a stranger re-list someone else's file and download it through that listing."""
    uploaded = Upload.objects.filter(
        owner=user, status=Upload.Status.COMPLETE, artifact__cid__in=cids
    ).values("artifact_id")
    released = VersionFile.objects.filter(
        version__listing__creator=user, artifact__cid__in=cids
    ).values("artifact_id")
    artifacts = Artifact.objects.filter(Q(pk__in=uploaded) | Q(pk__in=released))
    return {artifact.cid: artifact for artifact in artifacts}


def license_terms_for_user(*, user) -> QuerySet[LicenseTerms]:
    """The site's presets plus the user's own terms."""
    own = Q(owner=user) if user.is_authenticated else Q(pk__in=[])
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
