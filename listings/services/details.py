"""A listing's descriptive fields: create a draft, edit title, summary, card, licence terms and
preview; the licence terms a creator keeps for reuse."""

from django.db import transaction
from django.utils.text import slugify

from accounts.denylist import address_check_allowed
from core.errors import ApiError
from listings.cards import CardError, parse_card
from listings.licences import licence_conflicts
from listings.models import (
    LicenseTerms,
    Listing,
    ListingNameRef,
    ListingTag,
    SplitRecipient,
)
from listings.search import search_document_refresh
from listings.selectors import (
    listing_check_controlled_by,
    listing_filter_options_forget,
)

S = Listing.Status
EDITABLE_STATUSES = {S.DRAFT, S.PENDING_REVIEW, S.PUBLISHED, S.PAUSED}


def listing_lock(listing: Listing) -> Listing:
    """The listing's current row, locked until the transaction ends (status checks must see
    what is committed, not what the caller loaded earlier)."""
    return Listing.objects.select_for_update().get(pk=listing.pk)


# Paths of the listing pages and API that a slug would shadow (listings/urls.py, api_urls.py).
RESERVED_SLUGS = {"mine", "new", "preview-card"}


def _unique_slug(title: str) -> str:
    base = slugify(title)[:140] or "listing"
    slug, n = base, 1
    while slug in RESERVED_SLUGS or Listing.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _apply_card(listing: Listing, card_text: str) -> None:
    try:
        card = parse_card(card_text)
    except CardError as exc:
        raise ApiError(str(exc), code="invalid_card") from exc
    listing.card = card_text
    listing.card_metadata = {**card.metadata, "extra": card.extra}
    listing.task = card.task[:64]
    listing.license_id = str(card.metadata.get("license", ""))[:64]


def _sync_derived(listing: Listing) -> None:
    """Refresh what is derived from the card and tiers: tag rows and the search document."""
    tags = sorted({t.lower() for t in listing.card_metadata.get("tags", [])})
    ListingTag.objects.filter(listing=listing).exclude(tag__in=tags).delete()
    ListingTag.objects.bulk_create(
        [ListingTag(listing=listing, tag=tag) for tag in tags], ignore_conflicts=True
    )
    name_refs_sync(listing)
    search_document_refresh(listing_ids=[listing.pk])
    listing_filter_options_forget()


def name_refs_sync(listing: Listing) -> None:
    """The names the card lists as base models and datasets, as rows (listings/lineage.py)."""
    from listings.lineage import card_name_refs

    wanted = card_name_refs(listing)
    ListingNameRef.objects.filter(listing=listing).delete()
    ListingNameRef.objects.bulk_create(
        [ListingNameRef(listing=listing, key=key, name=name) for key, name in wanted],
        ignore_conflicts=True,
    )


@transaction.atomic
def listing_create(
    *, creator, kind: str, title: str, summary: str = "", card: str = "", license_terms=None
) -> Listing:
    """A new draft listing. Its creator receives the whole split until they change it."""
    address_check_allowed(address=creator.address)
    listing = Listing(
        creator=creator,
        owner_address=creator.address,  # until its ownership token moves (listings.ownership)
        kind=kind,
        title=title.strip(),
        summary=summary.strip(),
        slug=_unique_slug(title),
        license_terms=license_terms,
    )
    _apply_card(listing, card)
    _check_one_licence(listing)
    listing.save()
    SplitRecipient.objects.create(listing=listing, address=creator.address, bps=10_000)
    _sync_derived(listing)
    return listing


@transaction.atomic
def listing_update(*, listing: Listing, actor, **fields) -> Listing:
    """Change the descriptive fields (title, summary, card, licence terms, preview rows)."""
    listing = listing_lock(listing)
    listing_check_controlled_by(listing=listing, user=actor, what="edit it")
    if listing.status not in EDITABLE_STATUSES:
        raise ApiError("A delisted listing cannot be edited.", code="not_editable", status=409)
    for name in ("title", "summary"):
        if name in fields:
            setattr(listing, name, fields[name].strip())
    if "card" in fields:
        _apply_card(listing, fields["card"])
    if "license_terms" in fields:
        listing.license_terms = fields["license_terms"]
    if "preview_rows" in fields:
        rows = int(fields["preview_rows"] or 0)
        if not 0 <= rows <= 100:
            raise ApiError("Preview between 0 and 100 rows.", code="invalid_preview_rows")
        listing.preview_rows = rows
    _check_one_licence(listing)
    listing.save()
    _sync_derived(listing)
    return listing


def _check_one_licence(listing: Listing) -> None:
    """Refuse (400) a card whose `license:` contradicts the chosen licence terms: buyers would
    read two different licences on one page, and the terms are what the tokens sell."""
    problems = licence_conflicts(license_id=listing.license_id, terms=listing.license_terms)
    if problems:
        raise ApiError(
            "The card and the licence terms disagree: " + "; ".join(problems) + ". "
            "Change the card's `license:` (use `other` for custom terms) or pick other terms.",
            code="license_mismatch",
        )


def license_terms_create(*, owner, name: str, **terms) -> LicenseTerms:
    if LicenseTerms.objects.filter(owner=owner, name=name).exists():
        raise ApiError(
            "You already have licence terms with this name.", code="name_taken", status=409
        )
    return LicenseTerms.objects.create(owner=owner, name=name, **terms)
