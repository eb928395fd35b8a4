"""Whether a listing, and a tier of it, is on sale now: the one rule the listing page (through
listing_tags) and the purchase API (payments.purchase.sale) both read.

A listing sells while it is published and not paused on-chain (a moderator's pause reaches
the contract a few blocks after the status changes; either one closes sales). A tier sells
while its listing does, it is active, and it is not a free tier given on request."""

from listings.models import Listing, Tier

PAUSED, NOT_PUBLISHED = "paused", "not_published"


def listing_sale_closed(*, listing: Listing) -> str:
    """Why the listing is not on sale now ("paused", "not_published"), or "" when it is."""
    if listing.status == Listing.Status.PAUSED or listing.onchain_paused:
        return PAUSED
    if listing.status != Listing.Status.PUBLISHED:
        return NOT_PUBLISHED
    return ""


def listing_on_sale(*, listing: Listing) -> bool:
    return not listing_sale_closed(listing=listing)


def tier_on_sale(*, tier: Tier, listing: Listing | None = None) -> bool:
    """Whether `tier` can be bought now (`listing`: its listing, when the caller holds it)."""
    listing = listing or tier.listing
    return listing_on_sale(listing=listing) and tier.active and not tier.requires_approval
