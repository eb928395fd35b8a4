"""Gated access: a creator makes a free tier "requires approval"; people ask for it with a short
form and the creator approves or denies each request. Approval records an AccessGrant, which
`selectors.access_for` honours like a licence token of the tier (until the tier's duration
runs out, if it has one, or the creator revokes it). Nothing is minted: that would need a
minter role in LicenseToken, which only the Marketplace may call today.

Statuses move only through `access_request_set_status`, along TRANSITIONS, and every change
is recorded (AccessRequestStatusChange)."""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from core.errors import ApiError
from core.transitions import transition_check, transition_record
from listings.models import Listing, Tier
from listings.selectors import listing_check_controlled_by
from notifications.models import Notification
from notifications.services import notify
from payments import selectors
from payments.models import AccessGrant, AccessRequest, AccessRequestStatusChange

S = AccessRequest.Status
# (from, to): what the listing's creator may do. Denied requests stay denied; asking again
# makes a new request.
Kind = Notification.Kind
TRANSITIONS = {(S.PENDING, S.APPROVED), (S.PENDING, S.DENIED), (S.APPROVED, S.REVOKED)}
NEEDS_REASON = {S.DENIED, S.REVOKED}
MAX_INTENDED_USE = 2000


@transaction.atomic
def access_request_create(
    *,
    listing: Listing,
    tier: Tier,
    requester,
    intended_use: str,
    organisation: str = "",
    accepted_terms: bool,
) -> AccessRequest:
    """Ask for `tier` of a published listing. One pending request per tier and person."""
    if tier.listing_id != listing.pk or not tier.active or not tier.requires_approval:
        raise ApiError("This tier does not take access requests.", code="not_gated")
    if listing.status != Listing.Status.PUBLISHED:
        raise ApiError(
            "Access requests open when the listing is published.", code="not_published", status=409
        )
    if requester.address == listing.owner_address:
        raise ApiError("You own this listing: you have access.", code="is_creator", status=409)
    if not accepted_terms:
        raise ApiError("Accept the licence terms to ask for access.", code="terms_not_accepted")
    intended_use = intended_use.strip()
    if not intended_use or len(intended_use) > MAX_INTENDED_USE:
        raise ApiError(
            f"Say how you intend to use it (at most {MAX_INTENDED_USE} characters).",
            code="intended_use_required",
        )
    if selectors.grant_active(address=requester.address, listing=listing, kinds=(tier.kind,)):
        raise ApiError("You already have access.", code="already_granted", status=409)
    try:
        with transaction.atomic():
            created = AccessRequest.objects.create(
                listing=listing,
                tier=tier,
                requester=requester,
                intended_use=intended_use,
                organisation=organisation.strip()[:200],
                accepted_terms=True,
            )
    except IntegrityError:
        raise ApiError(
            "Your request for this tier is already waiting for the creator.",
            code="already_pending",
            status=409,
        ) from None
    notify(
        recipient=listing.creator,
        kind=Kind.ACCESS_REQUEST,
        title=f"{requester} asks for access to {listing.title} ({tier.name})",
        body=intended_use,
        url=reverse("access:requests", args=[listing.slug]),
        key=f"access-request:{created.pk}",
    )
    return created


@transaction.atomic
def access_request_set_status(
    *, access_request: AccessRequest, to_status: str, actor, reason: str = ""
) -> AccessRequest:
    """Approve, deny or revoke, as the listing's owner. Approving grants access (for the
    tier's duration, from now); revoking ends the grant. Locks the request row."""
    access_request = (
        AccessRequest.objects.select_for_update()
        .select_related("listing", "tier", "requester")
        .get(pk=access_request.pk)
    )
    listing_check_controlled_by(
        listing=access_request.listing, user=actor, what="decide access requests"
    )
    transition_check(
        TRANSITIONS,
        access_request.status,
        to_status,
        lambda: ApiError(
            f"A request that is {access_request.get_status_display().lower()} cannot become "
            f"{to_status}.",
            code="invalid_transition",
            status=409,
        ),
    )
    reason = reason.strip()
    if to_status in NEEDS_REASON and not reason:
        raise ApiError("Give a reason: the requester will see it.", code="reason_required")
    now = timezone.now()
    transition_record(
        AccessRequestStatusChange,
        access_request=access_request,
        from_status=access_request.status,
        to_status=to_status,
        actor=actor,
        reason=reason,
    )
    if to_status == S.APPROVED:
        _grant(access_request, actor, now)
    elif to_status == S.REVOKED:
        AccessGrant.objects.filter(request=access_request).update(revoked_at=now)
    access_request.status = to_status
    access_request.decided_by, access_request.decided_at, access_request.reason = actor, now, reason
    access_request.save(
        update_fields=["status", "decided_by", "decided_at", "reason", "updated_at"]
    )
    _notify_decision(access_request)
    return access_request


DECISION_WORDS = {S.APPROVED: "approved", S.DENIED: "denied", S.REVOKED: "revoked"}


def _notify_decision(access_request: AccessRequest) -> None:
    listing, status = access_request.listing, access_request.status
    body = (
        "It is listed under My licences; the files are on the listing's page."
        if status == S.APPROVED
        else f"The creator's reason: {access_request.reason}"
    )
    notify(
        recipient=access_request.requester,
        kind=Kind.ACCESS_DECISION,
        title=f"Your access to {listing.title} ({access_request.tier.name}) was "
        f"{DECISION_WORDS[status]}",
        body=body,
        url=reverse("payments:licences") if status == S.APPROVED else listing_url(listing),
        key=f"access-request:{access_request.pk}:{status}",
    )


def listing_url(listing: Listing) -> str:
    return reverse("listings:detail", args=[listing.slug])


def _grant(access_request: AccessRequest, actor, now) -> AccessGrant:
    tier = access_request.tier
    duration = tier.duration_seconds
    return AccessGrant.objects.create(
        holder=access_request.requester.address,
        listing=access_request.listing,
        tier=tier,
        kind=tier.kind,
        request=access_request,
        granted_by=actor,
        expires_at=now + timedelta(seconds=duration) if duration else None,
    )
