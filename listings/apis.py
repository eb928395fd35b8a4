"""The listings API (/api/v1/listings/...). Views parse input, call one service or selector,
and render. Wei amounts travel as decimal strings: JSON numbers cannot hold 256-bit integers."""

from django.shortcuts import get_object_or_404
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from rest_framework.views import APIView

from listings import api_fields, release_signing, selectors, services
from listings.cards import MAX_CARD_BYTES, CardError, parse_card, render_markdown
from listings.models import LicenseTerms, Listing, Tier, Version
from listings.moderation import services as moderation_services
from marketplace.api_errors import ApiError
from marketplace.fields import AddressField, WeiField
from marketplace.pagination import PageNumberNoCountPagination


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


class ListingsApi(APIView):
    """GET: browse and search published listings. POST: create a draft listing."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    class FilterSerializer(serializers.Serializer):
        q = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
        kind = serializers.ChoiceField(Listing.Kind.choices, required=False, default="")
        license = serializers.CharField(required=False, max_length=64, default="")
        task = serializers.CharField(required=False, max_length=64, default="")
        tag = serializers.ListField(child=serializers.CharField(max_length=100), required=False)
        min_price_wei = WeiField(required=False, allow_null=True, default=None)
        max_price_wei = WeiField(required=False, allow_null=True, default=None)
        free = serializers.BooleanField(required=False, allow_null=True, default=None)
        compute = serializers.BooleanField(required=False, allow_null=True, default=None)
        sort = serializers.ChoiceField(["relevance", *selectors.SORTS], required=False, default="")

    def get(self, request):
        params = self.FilterSerializer(
            data={**request.query_params.dict(), "tag": request.query_params.getlist("tag")}
        )
        params.is_valid(raise_exception=True)
        data = params.validated_data
        filters = selectors.ListingFilters(
            text=data["q"],
            kind=data["kind"],
            license=data["license"],
            task=data["task"],
            tags=tuple(data.get("tag") or ()),
            min_price_wei=data["min_price_wei"],
            max_price_wei=data["max_price_wei"],
            free=data["free"],
            compute=data["compute"],
            sort=data["sort"],
        )
        paginator = PageNumberNoCountPagination()
        page = paginator.paginate_queryset(
            selectors.listing_search(filters=filters), request, view=self
        )
        return paginator.get_paginated_response(listing_summaries(page))

    class CreateSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(Listing.Kind.choices)
        title = serializers.CharField(max_length=140)
        summary = serializers.CharField(max_length=300, allow_blank=True, default="")
        card = serializers.CharField(allow_blank=True, default="", max_length=256 * 1024)
        license_terms = serializers.IntegerField(required=False, allow_null=True, default=None)

    def post(self, request):
        data = _valid(self.CreateSerializer, request)
        listing = services.listing_create(
            creator=request.user,
            kind=data["kind"],
            title=data["title"],
            summary=data["summary"],
            card=data["card"],
            license_terms=_license_terms(data["license_terms"], request.user),
        )
        return Response(_detail(listing), status=201)


class ListingDetailApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    class UpdateSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=140, required=False)
        summary = serializers.CharField(max_length=300, allow_blank=True, required=False)
        card = serializers.CharField(allow_blank=True, max_length=256 * 1024, required=False)
        license_terms = serializers.IntegerField(required=False, allow_null=True)

    def get(self, request, slug):
        return Response(_detail_by_slug(slug, request.user))

    def patch(self, request, slug):
        listing = selectors.listing_owned(owner=request.user, slug=slug)
        data = _valid(self.UpdateSerializer, request)
        if "license_terms" in data:
            data["license_terms"] = _license_terms(data["license_terms"], request.user, listing)
        services.listing_update(listing=listing, actor=request.user, **data)
        return Response(_detail_by_slug(slug, request.user))


class ListingTiersApi(APIView):
    permission_classes = [IsAuthenticated]

    def put(self, request, slug):
        listing = selectors.listing_owned(owner=request.user, slug=slug)
        tiers = _valid(TierSerializer, request, many=True)
        services.listing_set_tiers(
            listing=listing,
            actor=request.user,
            tiers=[services.TierSpec(**tier) for tier in tiers],
        )
        return Response(_detail_by_slug(slug, request.user))


class ListingSplitsApi(APIView):
    permission_classes = [IsAuthenticated]

    def put(self, request, slug):
        listing = selectors.listing_owned(owner=request.user, slug=slug)
        splits = _valid(SplitSerializer, request, many=True)
        services.listing_set_splits(
            listing=listing,
            actor=request.user,
            splits=[(s["address"], s["bps"], s["label"]) for s in splits],
        )
        return Response(_detail_by_slug(slug, request.user))


class VersionCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    def post(self, request, slug):
        listing = selectors.listing_owned(owner=request.user, slug=slug)
        data = _valid(VersionSerializer, request)
        cids = [f["artifact"]["cid"] for f in data["files"]]
        artifacts = selectors.artifacts_publishable_by(user=request.user, cids=cids)
        missing = [cid for cid in cids if cid not in artifacts]
        if missing:
            raise ApiError(
                f"No file you uploaded has CID {missing[0]}: upload it first.",
                code="unknown_cid",
            )
        services.version_create(
            listing=listing,
            actor=request.user,
            tag=data["tag"],
            changelog=data["changelog"],
            files=[(f["path"], artifacts[f["artifact"]["cid"]]) for f in data["files"]],
        )
        return Response(_detail_by_slug(slug, request.user), status=201)


def _owned_version(request, slug: str, tag: str) -> Version:
    listing = selectors.listing_owned(owner=request.user, slug=slug)
    version = Version.objects.select_related("listing__creator", "manifest").filter(
        listing=listing, tag=tag
    )
    found = version.first()
    if found is None:
        raise ApiError("No such version.", code="not_found", status=404)
    return found


class ReleaseSignaturePrepareApi(APIView):
    """POST: the EIP-712 typed data (EAS `Attest`) the owner of a listing that changed hands
    signs to attest a version themselves (listings.release_signing)."""

    permission_classes = [IsAuthenticated]

    def post(self, request, slug, tag):
        version = _owned_version(request, slug, tag)
        return Response(
            release_signing.release_signature_prepare(version=version, actor=request.user)
        )


class ReleaseSignatureApi(APIView):
    """POST {message, signature}: relay the owner's signed release attestation."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        message = serializers.DictField()
        signature = serializers.CharField(max_length=200)

    def post(self, request, slug, tag):
        version = _owned_version(request, slug, tag)
        data = _valid(self.InputSerializer, request)
        uid = release_signing.release_signature_submit(version=version, actor=request.user, **data)
        return Response({"tag": version.tag, "release_uid": uid}, status=201)


class ListingStatusApi(APIView):
    """Move a listing along its status table (withdraw, delist; moderators: approve, reject,
    pause). Submitting for review happens with the signed offer, in payments."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        # Not pending_review: submitting needs the signed offer (the tokenize step).
        status = serializers.ChoiceField(
            [c for c in Listing.Status.choices if c[0] != Listing.Status.PENDING_REVIEW]
        )
        reason = serializers.CharField(allow_blank=True, default="", max_length=2000)

    def post(self, request, slug):
        listing = get_object_or_404(Listing, slug=slug)
        selectors.listing_get_for_viewer(slug=slug, viewer=request.user)  # 404 if hidden
        data = _valid(self.InputSerializer, request)
        moderation_services.listing_status_request(
            listing=listing, to_status=data["status"], actor=request.user, reason=data["reason"]
        )
        return Response(_detail_by_slug(slug, request.user))


class CardPreviewApi(APIView):
    """POST {card} → {html, metadata}: the edit page's Preview tab. Nothing is stored; a card
    the site would refuse (bad YAML, too large) answers 400 with the reason."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        card = serializers.CharField(
            allow_blank=True, max_length=MAX_CARD_BYTES, trim_whitespace=False
        )

    def post(self, request):
        data = _valid(self.InputSerializer, request)
        try:
            card = parse_card(data["card"])
        except CardError as exc:
            raise ApiError(str(exc), code="invalid_card") from exc
        metadata = {**card.metadata, "extra": card.extra}
        return Response({"html": render_markdown(card.body), "metadata": metadata})


class LicenseTermsApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    def get(self, request):
        terms = selectors.license_terms_for_user(user=request.user)
        return Response(LicenseTermsSerializer(terms, many=True).data)

    def post(self, request):
        data = _valid(LicenseTermsSerializer, request)
        terms = services.license_terms_create(owner=request.user, **data)
        return Response(LicenseTermsSerializer(terms).data, status=201)


def _valid(serializer_class, request, **kwargs):
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _license_terms(pk: int | None, user, listing: Listing | None = None) -> LicenseTerms | None:
    if pk is None:
        return None
    terms = selectors.license_terms_for_user(user=user, listing=listing).filter(pk=pk).first()
    if terms is None:
        raise ApiError("No such licence terms.", code="unknown_license_terms")
    return terms


def _detail(listing: Listing) -> dict:
    return _detail_by_slug(listing.slug, listing.creator)


def _detail_by_slug(slug: str, viewer) -> dict:
    return ListingDetailSerializer(selectors.listing_get_for_viewer(slug=slug, viewer=viewer)).data
