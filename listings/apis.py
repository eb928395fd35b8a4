"""The listings API (/api/v1/listings/...). Views parse input, call one service or selector,
and render. Wei amounts travel as decimal strings: JSON numbers cannot hold 256-bit integers."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import ApiError
from core.fields import WeiField
from core.openapi import paginated
from core.pagination import PageNumberNoCountPagination
from listings import release_signing, selectors, services
from listings.cards import MAX_CARD_BYTES, CardError, parse_card, render_markdown
from listings.models import LicenseTerms, Listing, Version
from listings.moderation import services as moderation_services
from listings.serializers import (
    LicenseTermsSerializer,
    ListingDetailSerializer,
    ListingSummarySerializer,
    SplitSerializer,
    TierSerializer,
    VersionSerializer,
    listing_summaries,
)


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

    @extend_schema(
        parameters=[FilterSerializer],
        responses=paginated("ListingSummaryList", ListingSummarySerializer),
    )
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

    @extend_schema(request=CreateSerializer, responses={201: ListingDetailSerializer})
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

    @extend_schema(responses=ListingDetailSerializer)
    def get(self, request, slug):
        return Response(_detail_by_slug(slug, request.user))

    @extend_schema(request=UpdateSerializer, responses=ListingDetailSerializer)
    def patch(self, request, slug):
        listing = selectors.listing_owned(owner=request.user, slug=slug)
        data = _valid(self.UpdateSerializer, request)
        if "license_terms" in data:
            data["license_terms"] = _license_terms(data["license_terms"], request.user, listing)
        services.listing_update(listing=listing, actor=request.user, **data)
        return Response(_detail_by_slug(slug, request.user))


class ListingTiersApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=TierSerializer(many=True), responses=ListingDetailSerializer)
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

    @extend_schema(request=SplitSerializer(many=True), responses=ListingDetailSerializer)
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

    @extend_schema(request=VersionSerializer, responses={201: ListingDetailSerializer})
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

    @extend_schema(request=None, responses=OpenApiResponse(OpenApiTypes.OBJECT))
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

    @extend_schema(request=InputSerializer, responses={201: OpenApiResponse(OpenApiTypes.OBJECT)})
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

    @extend_schema(request=InputSerializer, responses=ListingDetailSerializer)
    def post(self, request, slug):
        listing = get_object_or_404(Listing, slug=slug)
        selectors.listing_get_for_viewer(slug=slug, viewer=request.user)  # 404 if hidden
        data = _valid(self.InputSerializer, request)
        moderation_services.listing_status_request(
            listing=listing, to_status=data["status"], actor=request.user, reason=data["reason"]
        )
        return Response(_detail_by_slug(slug, request.user))


CARD_PREVIEW = inline_serializer(
    name="CardPreview",
    fields={"html": serializers.CharField(), "metadata": serializers.DictField()},
)


class CardPreviewApi(APIView):
    """POST {card} → {html, metadata}: the edit page's Preview tab. Nothing is stored; a card
    the site would refuse (bad YAML, too large) answers 400 with the reason."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        card = serializers.CharField(
            allow_blank=True, max_length=MAX_CARD_BYTES, trim_whitespace=False
        )

    @extend_schema(request=InputSerializer, responses=CARD_PREVIEW)
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

    @extend_schema(responses=LicenseTermsSerializer(many=True))
    def get(self, request):
        terms = selectors.license_terms_for_user(user=request.user)
        return Response(LicenseTermsSerializer(terms, many=True).data)

    @extend_schema(request=LicenseTermsSerializer, responses={201: LicenseTermsSerializer})
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
