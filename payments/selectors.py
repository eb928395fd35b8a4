from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone

from listings.models import Listing, Tier
from payments.models import AccessGrant, AccessRequest, Entitlement, ListingOffer


def offer_active(*, listing: Listing) -> ListingOffer | None:
    """The offer a first purchase registers the listing with (None before tokenizing)."""
    return (
        ListingOffer.objects.select_related("listing", "version")
        .filter(listing=listing, status=ListingOffer.Status.ACTIVE)
        .first()
    )


DOWNLOAD_KINDS = ("download", "both")
COMPUTE_KINDS = ("compute", "both")


def entitlement_active(
    *, address: str, listing: Listing, kinds=DOWNLOAD_KINDS
) -> Entitlement | None:
    """The holder's live entitlement to `listing` of one of `kinds` (latest expiry first),
    or None. Perpetual ones win over timed ones. A token of a tier that requires approval
    does not count: that tier is free on-chain, so anyone can mint it; its access comes from
    an AccessGrant (see `access_for`, which honours both)."""
    now = timezone.now()
    live = Entitlement.objects.filter(
        holder=address, listing=listing, kind__in=kinds, balance__gt=0
    ).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now), tier__requires_approval=False)
    return live.select_related("tier").order_by(F("expires_at").desc(nulls_first=True)).first()


def entitlement_list_for_holder(*, address: str):
    return Entitlement.objects.filter(holder=address, balance__gt=0).select_related(
        "listing", "tier"
    )


def grant_list_for_holder(*, address: str):
    """Access the address was given by approved requests (revoked ones included, marked)."""
    return AccessGrant.objects.filter(holder=address).select_related("listing", "tier")


# --- Access: licence tokens and approved requests -------------------------------------------


@dataclass(frozen=True)
class Access:
    """Why an address may use a listing: a licence token it holds (`entitlement`) or an
    approved access request (`grant`). Exactly one of the two is set."""

    tier: Tier
    kind: str
    expires_at: datetime | None
    entitlement: Entitlement | None = None
    grant: AccessGrant | None = None

    @property
    def source(self) -> str:
        return "licence" if self.entitlement is not None else "grant"


def grant_active(*, address: str, listing: Listing, kinds=DOWNLOAD_KINDS) -> AccessGrant | None:
    """The address's live (unrevoked, unexpired) grant to `listing` of one of `kinds`."""
    now = timezone.now()
    live = AccessGrant.objects.filter(
        holder=address, listing=listing, kind__in=kinds, revoked_at__isnull=True
    ).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    return live.select_related("tier").order_by(F("expires_at").desc(nulls_first=True)).first()


def access_for(*, address: str, listing: Listing, kinds=DOWNLOAD_KINDS) -> Access | None:
    """What lets `address` use `listing` for one of `kinds` now, or None: a live licence token
    (`entitlement_active`) or else a live grant. The one door for access checks: downloads use
    it, and so should anything else that must honour approved requests. Being the listing's
    creator is not access here; callers decide what a creator may do."""
    entitlement = entitlement_active(address=address, listing=listing, kinds=kinds)
    if entitlement is not None:
        return Access(
            tier=entitlement.tier,
            kind=entitlement.kind,
            expires_at=entitlement.expires_at,
            entitlement=entitlement,
        )
    grant = grant_active(address=address, listing=listing, kinds=kinds)
    if grant is not None:
        return Access(tier=grant.tier, kind=grant.kind, expires_at=grant.expires_at, grant=grant)
    return None


def access_request_list_for_listing(*, listing: Listing, status: str | None = None):
    requests = AccessRequest.objects.filter(listing=listing).select_related(
        "requester", "tier", "decided_by"
    )
    return requests.filter(status=status) if status else requests


def access_request_list_for_requester(*, listing: Listing, requester):
    """The user's requests for `listing`, newest first (the listing page shows their status)."""
    if not requester.is_authenticated:
        return AccessRequest.objects.none()
    return AccessRequest.objects.filter(listing=listing, requester=requester).select_related("tier")


def access_request_get_for_creator(*, listing: Listing, pk: int) -> AccessRequest:
    """One request on the creator's listing (the caller has checked who the creator is)."""
    found = AccessRequest.objects.select_related("requester", "tier").filter(listing=listing, pk=pk)
    request = found.first()
    if request is None:
        raise Http404("No such access request.")
    return request
