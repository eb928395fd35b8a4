"""Counts people see on cards: downloads and likes."""

from django.db import transaction
from django.db.models import F

from listings.models import (
    Listing,
    ListingLike,
)


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
