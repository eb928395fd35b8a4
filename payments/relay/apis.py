"""Gasless purchase API: what to sign for a tier, and the signed purchase to relay (the site's
relayer pays the gas, payments.relay)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import ApiToken
from chain import typed_data
from listings import selectors as listing_selectors
from payments import relay


def api_token_of(request):
    """The API token the request authenticated with (its spend controls apply), or None."""
    return request.auth if isinstance(request.auth, ApiToken) else None


def relayed_json(relayed) -> dict:
    listing_id = relayed.listing.onchain_id
    return {
        "relay": relayed.pk,
        "status": relayed.status,
        "buyer": relayed.buyer,
        "listing": relayed.listing.slug,
        "tier": relayed.tier_index,
        "quantity": relayed.quantity,
        "token_id": str(typed_data.token_id(listing_id, relayed.tier_index)),
        "currency": relayed.currency,
        "amount": str(relayed.amount),
        "method": relayed.method,
        "tx_hash": relayed.tx_hashes[-1] if relayed.tx_hashes else None,
        "tx_hashes": relayed.tx_hashes,
        "gas_used": relayed.gas_used,
    }


class GaslessPrepareApi(APIView):
    """POST {tier, quantity, buyer}: the purchase intent and `sign`, the EIP-712 documents the
    buyer signs (one for an EIP-3009 currency, a permit and the intent otherwise). Changes
    nothing."""

    permission_classes = [AllowAny]
    throttle_scope = "purchase"

    class InputSerializer(serializers.Serializer):
        tier = serializers.IntegerField(min_value=0, max_value=255)
        quantity = serializers.IntegerField(default=1)
        buyer = serializers.CharField(max_length=64)

    @extend_schema(request=InputSerializer, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, slug):
        listing = listing_selectors.listing_get_for_viewer(slug=slug, viewer=request.user)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reply = relay.gasless_prepare(
            listing=listing, api_token=api_token_of(request), **serializer.validated_data
        )
        return Response(reply)


class GaslessSubmitApi(APIView):
    """POST {intent, signatures}: relay the signed purchase (201 with the transaction); the
    buyer needs no account and no ETH. Refusals are 4xx and move no money."""

    permission_classes = [AllowAny]
    throttle_scope = "gasless"

    class InputSerializer(serializers.Serializer):
        intent = serializers.DictField()
        signatures = serializers.ListField(
            child=serializers.CharField(max_length=200), min_length=1, max_length=2
        )

    @extend_schema(request=InputSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request, slug):
        listing = listing_selectors.listing_get_for_viewer(slug=slug, viewer=request.user)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        relayed = relay.gasless_submit(
            listing=listing, api_token=api_token_of(request), **serializer.validated_data
        )
        return Response(relayed_json(relayed), status=status.HTTP_201_CREATED)
