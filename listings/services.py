"""Writes for listings. Every change of status goes through `listing_set_status`."""

import hashlib
import io
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from eth_utils import is_address, to_checksum_address

from accounts.services import address_check_allowed
from artifacts.models import Artifact
from artifacts.services import artifact_create_from_stream, artifact_scan_schedule
from core.errors import ApiError
from listings.cards import CardError, parse_card
from listings.licences import licence_conflicts
from listings.models import (
    LicenseTerms,
    Listing,
    ListingLike,
    ListingStatusChange,
    ListingTag,
    SplitRecipient,
    Tier,
    Version,
    VersionFile,
)
from listings.moderation import checks
from listings.prices import price_summary
from listings.search import search_document_refresh
from listings.selectors import (
    listing_check_controlled_by,
    listing_controlled_by,
    listing_filter_options_forget,
)

S = Listing.Status
CREATOR, MODERATOR = "creator", "moderator"

# The one table of allowed status changes and who may make each.
TRANSITIONS: dict[tuple[str, str], set[str]] = {
    (S.DRAFT, S.PENDING_REVIEW): {CREATOR},
    (S.PENDING_REVIEW, S.DRAFT): {CREATOR, MODERATOR},  # withdraw, or reject / request changes
    (S.PENDING_REVIEW, S.PUBLISHED): {MODERATOR},
    (S.PUBLISHED, S.PAUSED): {MODERATOR},
    (S.PAUSED, S.PUBLISHED): {MODERATOR},
    (S.DRAFT, S.DELISTED): {CREATOR},
    (S.PUBLISHED, S.DELISTED): {CREATOR, MODERATOR},
    (S.PAUSED, S.DELISTED): {MODERATOR},
}
# A moderator acting on someone else's listing must say why when taking it down or back.
NEEDS_REASON = {S.DRAFT, S.PAUSED, S.DELISTED}
EDITABLE_STATUSES = {S.DRAFT, S.PENDING_REVIEW, S.PUBLISHED, S.PAUSED}
# Limits of the Marketplace contract (contracts/src/Marketplace.sol).
MAX_TIERS = 16
MAX_SPLITS = 10
MAX_ROYALTY_BPS = 2_500
UINT32_MAX = 2**32 - 1
UINT128_MAX = 2**128 - 1
AUTOPUBLISH_ATTEMPTS = 120  # 30 s apart: an hour for the scans of a large upload


def _roles(listing: Listing, actor) -> set[str]:
    """An actor of None is the system acting on a moderator's authority (auto-approval)."""
    if actor is None:
        return {MODERATOR}
    # "creator" is the role of whoever controls the listing now (its ownership token's holder).
    roles = {CREATOR} if listing_controlled_by(listing=listing, user=actor) else set()
    if actor.is_moderator:
        roles.add(MODERATOR)
    return roles


def listing_set_status(*, listing: Listing, to_status: str, actor, reason: str = "") -> Listing:
    """Move a listing along the transition table and record who did it and why.
    Call inside a transaction; locks the listing row."""
    with transaction.atomic():
        listing = Listing.objects.select_for_update().get(pk=listing.pk)
        allowed = TRANSITIONS.get((listing.status, to_status))
        if allowed is None:
            raise ApiError(
                f"A listing cannot go from {listing.get_status_display().lower()} "
                f"to {S(to_status).label.lower()}.",
                code="invalid_transition",
                status=409,
            )
        roles = _roles(listing, actor)
        if not allowed & roles:
            raise ApiError("You may not make this change.", code="permission_denied", status=403)
        if to_status in NEEDS_REASON and CREATOR not in roles and not reason.strip():
            raise ApiError("Give a reason: the creator will see it.", code="reason_required")
        ListingStatusChange.objects.create(
            listing=listing,
            from_status=listing.status,
            to_status=to_status,
            actor=actor,
            reason=reason.strip(),
        )
        listing.status = to_status
        if to_status == S.PUBLISHED and listing.published_at is None:
            listing.published_at = timezone.now()
        listing.save(update_fields=["status", "published_at", "updated_at"])
        listing_filter_options_forget()
    return listing


def listing_submit(*, listing: Listing, actor) -> Listing:
    """Send a draft to review, or publish it at once when the site does not require review."""
    listing = Listing.objects.get(pk=listing.pk)  # check what is stored, not a stale copy
    address_check_allowed(address=listing.owner_address)
    listing_check_complete(listing=listing)
    checks.check_files_safe(listing=listing)
    if not settings.LISTINGS_REQUIRE_REVIEW:
        checks.check_metadata(listing=listing)  # no moderator will ask for it: refuse now
    listing = listing_set_status(listing=listing, to_status=S.PENDING_REVIEW, actor=actor)
    if not settings.LISTINGS_REQUIRE_REVIEW:
        listing = listing_autopublish(listing=listing)
    return listing


def listing_autopublish(*, listing: Listing, attempt: int = 0) -> Listing:
    """Without review, publish a submitted listing once the automatic checks pass. While its
    files are still being scanned it waits in review, and a task looks again shortly."""
    try:
        checks.check_publishable(listing=listing)
    except ApiError as exc:
        if exc.code == "scan_error":
            return listing  # a scan could not look: it waits in review for a moderator
        if exc.code != "scan_pending" or attempt >= AUTOPUBLISH_ATTEMPTS:
            raise
        from listings import tasks  # tasks import services

        transaction.on_commit(
            lambda: tasks.listing_autopublish_task.apply_async(
                (listing.pk, attempt + 1), countdown=30
            )
        )
        return listing
    return listing_set_status(
        listing=listing,
        to_status=S.PUBLISHED,
        actor=None,
        reason="Published without review (LISTINGS_REQUIRE_REVIEW is off).",
    )


def listing_check_complete(*, listing: Listing) -> None:
    missing = []
    if not listing.versions.exists():
        missing.append("a version with files")
    if not listing.tiers.filter(active=True).exists():
        missing.append("a licence tier")
    if sum(listing.splits.values_list("bps", flat=True)) != 10_000:
        missing.append("split recipients adding up to 100%")
    if listing.license_terms_id is None:
        missing.append("licence terms")
    if missing:
        raise ApiError(
            "Before publishing, the listing needs " + ", ".join(missing) + ".", code="incomplete"
        )


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
    search_document_refresh(listing_ids=[listing.pk])
    listing_filter_options_forget()


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
    listing = _lock(listing)
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


def _lock(listing: Listing) -> Listing:
    """The listing's current row, locked until the transaction ends (status checks must see
    what is committed, not what the caller loaded earlier)."""
    return Listing.objects.select_for_update().get(pk=listing.pk)


def _require_draft_by_creator(listing: Listing, actor, what: str) -> Listing:
    listing = _lock(listing)
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


def version_manifest(files: list[tuple[str, str]]) -> bytes:
    """A version's manifest: one 'path<TAB>cid' line per file, sorted by path."""
    return "".join(f"{path}\t{cid}\n" for path, cid in sorted(files)).encode()


def content_digest(files: list[tuple[str, str]]) -> str:
    """sha256 of the manifest, as 0x-hex: the bytes32 the creator signs and provenance attests.
    Anyone holding the file list (or the manifest, fetched by its CID) can recompute it."""
    return "0x" + hashlib.sha256(version_manifest(files)).hexdigest()


# Listings whose new versions reach buyers with no review in between.
UNREVIEWED = {S.PUBLISHED, S.PAUSED, S.DELISTED}


def version_create(
    *, listing: Listing, actor, tag: str, changelog: str = "", files: list[tuple[str, Artifact]]
) -> Version:
    """An immutable release made of already-stored artifacts, as (path, artifact) pairs.

    A release of a published listing goes to buyers without review, so each of its files must
    have been scanned clean under the name it is released as (409 `scanning` meanwhile, with
    the scan queued; checked outside the transaction so that queueing survives the refusal).
    Drafts may release pending files: publishing waits for their scans."""
    listing_check_controlled_by(listing=listing, user=actor, what="release versions")
    if Listing.objects.filter(pk=listing.pk, status__in=UNREVIEWED).exists():
        rows = checks.file_checks([VersionFile(artifact=a, path=path) for path, a in files])
        checks.check_files_safe_rows(rows)
        checks.check_files_cleared(rows)
    return _version_create(listing=listing, actor=actor, tag=tag, changelog=changelog, files=files)


@transaction.atomic
def _version_create(
    *, listing: Listing, actor, tag: str, changelog: str, files: list[tuple[str, Artifact]]
) -> Version:
    listing = _lock(listing)  # serialises releases of one listing: tags stay unique
    # Again under the lock: a handover of the listing cannot interleave with the release.
    listing_check_controlled_by(listing=listing, user=actor, what="release versions")
    tag = tag.strip()
    if not tag or len(tag) > 64:
        raise ApiError("A version needs a tag of at most 64 characters.", code="invalid_tag")
    if listing.versions.filter(tag=tag).exists():
        raise ApiError(
            f"Version {tag} exists already; versions cannot change.", code="tag_taken", status=409
        )
    paths = [path for path, _ in files]
    if not files or len(set(paths)) != len(paths):
        raise ApiError(
            "A version needs one or more files with distinct names.", code="invalid_files"
        )
    for path in paths:
        _check_file_path(path)
    # Bytes the scanner already flagged never make a release, even of a published listing
    # (which no moderator reviews again): the creator learns at once, naming the file.
    checks.check_files_safe_rows(
        checks.file_checks([VersionFile(artifact=a, path=path) for path, a in files])
    )
    pairs = [(path, a.cid) for path, a in files]
    manifest = artifact_create_from_stream(stream=io.BytesIO(version_manifest(pairs)))
    version = Version.objects.create(
        listing=listing,
        tag=tag,
        changelog=changelog,
        manifest=manifest,
        content_digest=content_digest(pairs),
        released_by=listing.owner_address,
    )
    VersionFile.objects.bulk_create(
        VersionFile(version=version, artifact=artifact, path=path) for path, artifact in files
    )
    # Files already scanned at upload are skipped; reused or unscanned ones are scanned now.
    artifact_scan_schedule(files=[(artifact.pk, path) for path, artifact in files])
    if listing.status != S.DRAFT and listing.owner_address == listing.creator.address:
        # A draft's version is attested when its offer is signed (payments.offers.services); a later
        # one at once. After a handover the new owner signs it (listings.release_signing).
        from listings import tasks  # tasks import services

        tasks.version_attest_release_task.delay_on_commit(version.pk)
    return version


def _check_file_path(path: str) -> None:
    """Relative paths without '..', so a version unpacks safely into any directory."""
    parts = path.split("/")
    if (
        not path
        or len(path) > 255
        or path.startswith("/")
        or any(part in ("", ".", "..") for part in parts)
        or any(ord(c) < 32 for c in path)
    ):
        raise ApiError(f"'{path[:80]}' is not a valid file path.", code="invalid_path")


def license_terms_create(*, owner, name: str, **terms) -> LicenseTerms:
    if LicenseTerms.objects.filter(owner=owner, name=name).exists():
        raise ApiError(
            "You already have licence terms with this name.", code="name_taken", status=409
        )
    return LicenseTerms.objects.create(owner=owner, name=name, **terms)


# --- Counts people see on cards: downloads and likes ------------------------------------------


def listing_count_download(*, listing: Listing, address: str) -> None:
    """A download link was given out; the creator's own downloads do not count."""
    if address.lower() != listing.creator.address.lower():
        Listing.objects.filter(pk=listing.pk).update(download_count=F("download_count") + 1)


@transaction.atomic
def listing_like_set(*, listing: Listing, user, liked: bool) -> int:
    """Like or unlike (idempotent). Returns the new like count."""
    if liked:
        ListingLike.objects.get_or_create(listing=listing, user=user)
    else:
        ListingLike.objects.filter(listing=listing, user=user).delete()
    count = ListingLike.objects.filter(listing=listing).count()
    Listing.objects.filter(pk=listing.pk).update(like_count=count)
    return count
