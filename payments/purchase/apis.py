"""Buying API: the server builds the purchase transactions (payments.purchase), and tells a
buyer when the indexer has turned their purchase into access."""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import ApiError
from core.eth import is_address, to_checksum_address
from listings import selectors as listing_selectors
from payments import purchase, selectors

# Free-form documents (quotes, server-built transactions): their fields are in the docstrings.
DOCUMENT = OpenApiResponse(OpenApiTypes.OBJECT, description="See the view's docstring.")


class PurchaseQuoteApi(APIView):
    """GET ?tier=&quantity=: the exact total and its split, as the contract would charge and
    pay it now. What the listing page shows before the buyer connects a wallet."""

    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        tier = serializers.IntegerField(min_value=0, max_value=255)
        quantity = serializers.IntegerField(default=1)

    @extend_schema(parameters=[InputSerializer], responses=DOCUMENT)
    def get(self, request, slug):
        listing = listing_selectors.listing_get_for_viewer(slug=slug, viewer=request.user)
        serializer = self.InputSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        return Response(purchase.purchase_quote(listing=listing, **serializer.validated_data))


class PurchasePrepareApi(APIView):
    """POST {tier, quantity, buyer[, permit_signature, deadline]}: the steps for the buyer's
    wallet and the purchase transaction (to, data, value), its total and split. Open to
    anyone: it reads the chain and builds calldata, and changes nothing."""

    permission_classes = [AllowAny]
    throttle_scope = "purchase"  # each call reads the chain: a stricter limit (settings)

    class InputSerializer(serializers.Serializer):
        tier = serializers.IntegerField(min_value=0, max_value=255)
        quantity = serializers.IntegerField(default=1)
        buyer = serializers.CharField(max_length=64)
        permit_signature = serializers.CharField(max_length=200, required=False, allow_blank=True)
        deadline = serializers.IntegerField(required=False, min_value=0, max_value=2**64 - 1)

    @extend_schema(request=InputSerializer, responses=DOCUMENT)
    def post(self, request, slug):
        listing = listing_selectors.listing_get_for_viewer(slug=slug, viewer=request.user)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        return Response(
            purchase.purchase_prepare(
                listing=listing,
                tier=data["tier"],
                quantity=data["quantity"],
                buyer=data["buyer"],
                permit_signature=data.get("permit_signature") or None,
                deadline=data.get("deadline"),
            )
        )


def _entitlement_json(entitlement, now) -> dict:
    return {
        "tier": entitlement.tier.position,
        "tier_name": entitlement.tier.name,
        "token_id": str(int(entitlement.token_id)),
        "kind": entitlement.kind,
        "balance": entitlement.balance,
        "expires_at": entitlement.expires_at,
        "active": entitlement.is_active(now),
    }


LISTING_ACCESS = inline_serializer(
    name="ListingAccess",
    fields={
        "address": serializers.CharField(),
        "has_download": serializers.BooleanField(),
        "has_compute": serializers.BooleanField(),
        "entitlements": serializers.ListField(child=serializers.DictField()),
    },
)


class ListingAccessApi(APIView):
    """GET [?address=]: what the address (default: the signed-in one) may do with the listing,
    from the entitlements the indexer derived from chain events. Balances are public on chain,
    so any address may be asked about."""

    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[OpenApiParameter("address", str, description="0x address")],
        responses=LISTING_ACCESS,
    )
    def get(self, request, slug):
        listing = listing_selectors.listing_get_for_viewer(slug=slug, viewer=request.user)
        address = request.query_params.get("address")
        if address is None and request.user.is_authenticated:
            address = request.user.address
        if not address or not is_address(address):
            raise ApiError("Sign in, or give ?address= (a 0x address).", code="bad_address")
        return Response(listing_access(listing=listing, address=to_checksum_address(address)))


def listing_access(*, listing, address: str) -> dict:
    """What `address` may do with `listing` now: the API's and the MCP server's answer."""
    now = timezone.now()
    entitlements = selectors.entitlement_list_for_holder(address=address).filter(listing=listing)
    # access_for honours approved access requests too, as downloads do.
    download = selectors.access_for(address=address, listing=listing)
    compute = selectors.access_for(address=address, listing=listing, kinds=selectors.COMPUTE_KINDS)
    return {
        "address": address,
        "has_download": download is not None,
        "has_compute": compute is not None,
        "entitlements": [_entitlement_json(e, now) for e in entitlements],
    }
