"""The listing page's access facts for the signed-in viewer: may they download (the files
table's buttons), and where their requests for gated tiers stand (the access panel).

    {% load access_tags %}{% listing_access listing as access %}"""

from dataclasses import dataclass, field

from django import template
from django.utils import timezone

from listings.selectors import listing_controlled_by
from payments import selectors
from payments.access import downloads
from payments.models import AccessRequest

register = template.Library()


@dataclass
class GatedTier:
    tier: object
    request: AccessRequest | None = None  # the viewer's latest request for it
    granted: bool = False


@dataclass
class ListingAccess:
    can_download: bool = False
    is_creator: bool = False
    pending_count: int = 0  # for the creator: requests waiting for a decision
    gated: list[GatedTier] = field(default_factory=list)
    held: object = None  # the viewer's live licence or grant (any kind): "you hold this"


@register.simple_tag(takes_context=True)
def listing_access(context, listing) -> ListingAccess:
    user = context["request"].user
    gated = [GatedTier(tier) for tier in listing.tiers.all() if tier.requires_approval]
    if not user.is_authenticated:
        return ListingAccess(gated=gated)
    if listing_controlled_by(listing=listing, user=user):
        pending = selectors.access_request_list_for_listing(listing=listing, status="pending")
        return ListingAccess(
            can_download=True, is_creator=True, pending_count=pending.count(), gated=gated
        )
    latest: dict[int, AccessRequest] = {}
    for request in selectors.access_request_list_for_requester(listing=listing, requester=user):
        latest.setdefault(request.tier_id, request)  # newest first
    now = timezone.now()
    for row in gated:
        row.request = latest.get(row.tier.pk)
        if row.request is not None and row.request.status == AccessRequest.Status.APPROVED:
            row.granted = row.request.grant.is_active(now)
    return ListingAccess(
        can_download=downloads.download_allowed(listing=listing, address=user.address),
        gated=gated,
        held=selectors.access_for(
            address=user.address, listing=listing, kinds=("download", "compute", "both")
        ),
    )
