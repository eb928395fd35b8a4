"""What the listing pages show, in the listings API too (issue 17): download and like counts, the
honest price (the cheapest tier one can buy now, its currency, "free on request";
listings/prices.py), the creator's profile name and avatar URL, and their ENS name when known;
the detail also has the model tree (listings/model_tree.py).

Every field comes from the summary row (selectors.SUMMARY_FIELDS) or the cache: the list adds no
query per row. ENS names: the list reads only the cache (one read for the page, never a chain
call); the detail resolves the creator's on a miss, as the listing page does (accounts/ens.py)."""

from django.conf import settings
from django.urls import reverse
from rest_framework import serializers

from accounts.ens import ens_name, ens_names_cached
from listings.model_tree import listing_model_tree

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


class TreeNodeSerializer(serializers.Serializer):
    name = serializers.CharField()
    slug = serializers.CharField(
        allow_null=True, help_text="The listing here; null for an outside name (a hub id)."
    )
    relation = serializers.CharField(
        help_text="fine-tune, quantization, adapter, merge, or '' (not said)."
    )
    attestation_uid = serializers.CharField(
        help_text="The ModelRelease attestation (EAS uid) stating this edge; '' when only a card "
        "says it."
    )


class ModelTreeSerializer(serializers.Serializer):
    """A listing's model tree, from cards and ModelRelease attestations (docs/product-pages.md)."""

    parents = TreeNodeSerializer(many=True, help_text="Base models.")
    children = TreeNodeSerializer(many=True, help_text="Fine-tunes, quantizations... of it.")
    datasets = TreeNodeSerializer(many=True, help_text="Datasets its card names.")
    trained = TreeNodeSerializer(many=True, help_text="Models trained on this dataset.")
    releases = serializers.ListField(
        child=serializers.CharField(), help_text="Its attested releases (EAS uids), newest first."
    )

    def to_representation(self, listing):
        tree = listing_model_tree(listing=listing)
        return super().to_representation(
            {
                "parents": [
                    _node(n.name, n.listing, n.relation, n.attested_uid) for n in tree.parents
                ],
                "children": [
                    _node(n.name, n.listing, n.relation, n.attested_uid) for n in tree.children
                ],
                "datasets": [_node(r.name, r.listing) for r in tree.datasets],
                "trained": [_node(item.title, item) for item in tree.trained],
                "releases": tree.releases,
            }
        )


def _node(name: str, listing, relation: str = "", uid: str = "") -> dict:
    slug = listing.slug if listing is not None else None
    return {"name": name, "slug": slug, "relation": relation, "attestation_uid": uid}
