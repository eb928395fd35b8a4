"""Payments API. Offers: prepare the EIP-712 document for the creator's wallet, accept the
signed offer, and publish the live offer (buyers' wallets submit it with the first purchase)."""

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
from listings import selectors as listing_selectors
from payments import selectors
from payments.offers import services


class OfferSerializer(serializers.Serializer):
    listing = serializers.CharField(source="listing.slug")
    version = serializers.CharField(source="version.tag")
    chain_id = serializers.IntegerField()
    marketplace = serializers.CharField()
    creator = serializers.CharField()
    message = serializers.SerializerMethodField()
    signature = serializers.CharField()
    digest = serializers.CharField()
    status = serializers.CharField()
    valid_until = serializers.IntegerField()
    created_at = serializers.DateTimeField()

    def get_message(self, offer) -> dict:
        return services.json_safe(offer.message)


class OfferPrepareApi(APIView):
    """POST {lock_splits?}: the typed data (eth_signTypedData_v4) for the listing as it stands
    now, and the cancellations of its older offers to sign with it."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        lock_splits = serializers.BooleanField(default=False)

    @extend_schema(
        request=None, responses=OpenApiResponse(OpenApiTypes.OBJECT, "EIP-712 typed data")
    )
    def post(self, request, slug):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(
            services.offer_prepare(
                listing=listing_selectors.listing_owned(owner=request.user, slug=slug),
                actor=request.user,
                lock_splits=serializer.validated_data["lock_splits"],
            )
        )


OFFER_SUBMITTED = inline_serializer(
    name="OfferSubmitted",
    fields={"offer": OfferSerializer(), "listing_status": serializers.CharField()},
)


class OfferApi(APIView):
    """GET: the listing's live signed offer. POST: submit the creator's signature."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    class InputSerializer(serializers.Serializer):
        message = serializers.DictField()
        signature = serializers.CharField(max_length=1100)
        cancels = serializers.ListField(
            child=serializers.DictField(), max_length=50, required=False, default=list
        )

    @extend_schema(responses=OfferSerializer)
    def get(self, request, slug):
        listing = listing_selectors.listing_get_for_viewer(slug=slug, viewer=request.user)
        offer = selectors.offer_active(listing=listing)
        if offer is None:
            raise ApiError("This listing has no signed offer.", code="no_offer", status=404)
        return Response(OfferSerializer(offer).data)

    @extend_schema(request=InputSerializer, responses={201: OFFER_SUBMITTED})
    def post(self, request, slug):
        listing = listing_selectors.listing_owned(owner=request.user, slug=slug)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        offer = services.offer_submit(
            listing=listing,
            actor=request.user,
            message=serializer.validated_data["message"],
            signature=serializer.validated_data["signature"],
            cancels=serializer.validated_data["cancels"],
        )
        listing.refresh_from_db(fields=["status"])
        return Response(
            {"offer": OfferSerializer(offer).data, "listing_status": listing.status}, status=201
        )
