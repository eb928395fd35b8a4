"""What the listing pages show, in the listings API too (issue 17): download and like counts, the
honest price (the cheapest tier one can buy now, its currency, "free on request";
listings/prices.py), the creator's profile name and avatar URL, and their ENS name when known.

Every field comes from the summary row (selectors.SUMMARY_FIELDS) or the cache: the list adds no
query per row. ENS names: the list reads only the cache (one read for the page, never a chain
call); the detail resolves the creator's on a miss, as the listing page does (accounts/ens.py)."""

from django.conf import settings
from django.urls import reverse
from rest_framework import serializers

from accounts.ens import ens_name, ens_names_cached

FIELDS = [
    "min_price_currency",
    "free_on_request",
    "download_count",
    "like_count",
    "creator_name",
    "creator_avatar_url",
    "creator_ens",
]


def avatar_url(address: str) -> str:
    return settings.SITE_URL + reverse("creator-avatar", args=[address])


class SummaryFieldsMixin(serializers.Serializer):
    """Declares FIELDS for ListingSummarySerializer (and so the OpenAPI schema)."""

    min_price_currency = serializers.CharField(
        read_only=True,
        help_text="Currency of min_price_wei: the zero address for ETH, else an ERC-20; '' when "
        "no tier can be bought without approval.",
    )
    free_on_request = serializers.BooleanField(
        read_only=True, help_text="A tier is free once the creator approves an access request."
    )
    download_count = serializers.IntegerField(read_only=True)
    like_count = serializers.IntegerField(read_only=True)
    creator_name = serializers.CharField(
        source="creator.display_name",
        read_only=True,
        help_text="The creator's profile name ('' when unset).",
    )
    creator_avatar_url = serializers.SerializerMethodField()
    creator_ens = serializers.SerializerMethodField()

    def get_creator_avatar_url(self, listing) -> str:
        return avatar_url(listing.creator.address)

    def get_creator_ens(self, listing) -> str | None:
        """The creator's verified ENS primary name, or null (none, unknown yet, or ENS off)."""
        address = listing.creator.address
        if isinstance(self.parent, serializers.ListSerializer):
            return ens_names_cached([address]).get(address)
        return ens_name(address) or None


def summary_fields(listings) -> list[dict]:
    """FIELDS of each listing, as SummaryFieldsMixin gives them (the lean list path)."""
    names = ens_names_cached(listing.creator.address for listing in listings)
    return [
        {
            "min_price_currency": listing.min_price_currency,
            "free_on_request": listing.free_on_request,
            "download_count": listing.download_count,
            "like_count": listing.like_count,
            "creator_name": listing.creator.display_name,
            "creator_avatar_url": avatar_url(listing.creator.address),
            "creator_ens": names.get(listing.creator.address),
        }
        for listing in listings
    ]
