"""Serializers of the listings API (listings.apis): wei amounts as decimal strings, addresses
checksummed. Also the summaries the browse page and the page cache share."""

from rest_framework import serializers

from core.fields import AddressField, WeiField
from listings import api_fields
from listings.cards import parse_card, render_markdown
from listings.models import LicenseTerms, Listing, Tier


class LicenseTermsSerializer(serializers.ModelSerializer):
    class Meta:
        model = LicenseTerms
        fields = [
            "id",
            "name",
            "commercial_use",
            "derivatives_allowed",
            "attribution_required",
            "ai_training_allowed",
            "redistribution_allowed",
            "custom_text",
        ]


class TierSerializer(serializers.Serializer):
    position = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=80)
    price_wei = WeiField()
    currency = AddressField(default=Tier.ETH)
    duration_seconds = serializers.IntegerField(min_value=0, max_value=2**63 - 1, default=0)
    transferable = serializers.BooleanField(default=True)
    kind = serializers.ChoiceField(choices=Tier.Kind.choices, default=Tier.Kind.DOWNLOAD)
    supply_cap = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, allow_null=True, default=None
    )
    requires_approval = serializers.BooleanField(default=False)


class SplitSerializer(serializers.Serializer):
    address = AddressField()
    bps = serializers.IntegerField(min_value=1, max_value=10_000)
    label = serializers.CharField(max_length=80, allow_blank=True, default="")


class VersionFileSerializer(serializers.Serializer):
    path = serializers.CharField(max_length=255)
    cid = serializers.CharField(source="artifact.cid", max_length=128)
    sha256 = serializers.CharField(source="artifact.sha256", read_only=True)
    size = serializers.IntegerField(source="artifact.size", read_only=True)


class VersionSerializer(serializers.Serializer):
    tag = serializers.CharField(max_length=64)
    changelog = serializers.CharField(allow_blank=True, default="", max_length=20_000)
    content_digest = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    files = VersionFileSerializer(many=True)


class ListingSummarySerializer(api_fields.SummaryFieldsMixin, serializers.ModelSerializer):
    creator = serializers.CharField(source="creator.address")
    # Who controls the listing now: the holder of its ownership token (the creator before).
    owner = serializers.CharField(source="owner_address")
    min_price_wei = WeiField(allow_null=True)

    class Meta:
        model = Listing
        fields = [
            "id",
            "slug",
            "kind",
            "title",
            "summary",
            "creator",
            "owner",
            "status",
            "task",
            "license_id",
            "min_price_wei",
            "is_free",
            "has_compute",
            "sales_count",
            "published_at",
            *api_fields.FIELDS,  # what the pages show too (issue 17)
        ]


class OwnershipTransferSerializer(serializers.Serializer):
    from_address = serializers.CharField()
    to_address = serializers.CharField()
    block_number = serializers.IntegerField()
    tx_hash = serializers.CharField()
    block_time = serializers.DateTimeField()


_DATETIME = serializers.DateTimeField()


def listing_summaries(listings) -> list[dict]:
    """What ListingSummarySerializer gives (it stays the schema), without DRF's machinery per
    field and row: the list and search replies are the API's hottest path, and this is ~5× less
    Python per page. test_page_cache checks that the two agree."""
    rows = [
        {
            "id": listing.id,
            "slug": listing.slug,
            "kind": listing.kind,
            "title": listing.title,
            "summary": listing.summary,
            "creator": listing.creator.address,
            "owner": listing.owner_address,
            "status": listing.status,
            "task": listing.task,
            "license_id": listing.license_id,
            "min_price_wei": None
            if listing.min_price_wei is None
            else str(int(listing.min_price_wei)),
            "is_free": listing.is_free,
            "has_compute": listing.has_compute,
            "sales_count": listing.sales_count,
            "published_at": listing.published_at
            and _DATETIME.to_representation(listing.published_at),
        }
        for listing in listings
    ]
    for row, extra in zip(rows, api_fields.summary_fields(listings), strict=True):
        row.update(extra)
    return rows


class ListingDetailSerializer(ListingSummarySerializer):
    card_html = serializers.SerializerMethodField()
    ownership = OwnershipTransferSerializer(source="ownership_transfers", many=True)
    license_terms = LicenseTermsSerializer(allow_null=True)
    tiers = TierSerializer(many=True)
    splits = SplitSerializer(many=True)
    versions = VersionSerializer(many=True)
    model_tree = api_fields.ModelTreeSerializer(source="*", read_only=True)

    class Meta(ListingSummarySerializer.Meta):
        fields = ListingSummarySerializer.Meta.fields + [
            "model_tree",
            "card",
            "card_html",
            "card_metadata",
            "license_terms",
            "tiers",
            "splits",
            "versions",
            "ownership",
            "created_at",
            "updated_at",
        ]

    def get_card_html(self, listing) -> str:
        return render_markdown(parse_card(listing.card).body)
