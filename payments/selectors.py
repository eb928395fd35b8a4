from listings.models import Listing
from payments.models import ListingOffer


def offer_active(*, listing: Listing) -> ListingOffer | None:
    """The offer a first purchase registers the listing with (None before tokenizing)."""
    return (
        ListingOffer.objects.select_related("listing", "version")
        .filter(listing=listing, status=ListingOffer.Status.ACTIVE)
        .first()
    )
