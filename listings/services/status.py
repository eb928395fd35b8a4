"""Status changes of a listing: the one transition table and `listing_set_status`, its only
door; submitting for review and publishing without review."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.denylist import address_check_allowed
from core.errors import ApiError
from core.transitions import transition_check, transition_record
from listings.models import (
    Listing,
    ListingStatusChange,
)
from listings.moderation import checks
from listings.selectors import (
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
        transition_check(
            TRANSITIONS,
            listing.status,
            to_status,
            lambda: ApiError(
                f"A listing cannot go from {listing.get_status_display().lower()} "
                f"to {S(to_status).label.lower()}.",
                code="invalid_transition",
                status=409,
            ),
        )
        allowed = TRANSITIONS[(listing.status, to_status)]  # who may make this change
        roles = _roles(listing, actor)
        if not allowed & roles:
            raise ApiError("You may not make this change.", code="permission_denied", status=403)
        if to_status in NEEDS_REASON and CREATOR not in roles and not reason.strip():
            raise ApiError("Give a reason: the creator will see it.", code="reason_required")
        transition_record(
            ListingStatusChange,
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
