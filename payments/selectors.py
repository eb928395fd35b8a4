from django.db.models import F, Q
from django.utils import timezone

from listings.models import Listing
from payments.models import Entitlement, ListingOffer


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
    or None. Perpetual ones win over timed ones."""
    now = timezone.now()
    live = Entitlement.objects.filter(
        holder=address, listing=listing, kind__in=kinds, balance__gt=0
    ).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    return live.order_by(F("expires_at").desc(nulls_first=True)).first()


def entitlement_list_for_holder(*, address: str):
    return Entitlement.objects.filter(holder=address, balance__gt=0).select_related(
        "listing", "tier"
    )
