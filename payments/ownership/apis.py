"""Handing a listing's ownership token to someone else (payments.ownership): the owner gets the
transaction(s) for their wallet and the consequences, spelled out, before signing."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from listings import selectors as listing_selectors
from payments.ownership import services as ownership


class OwnershipTransferPrepareApi(APIView):
    """POST {to}: `consequences` (sentences to show before signing), `registered`, and
    `transactions`: [register (only for a listing not registered yet), safeTransferFrom], to
    send in order from the owner's wallet. 404 for anyone but the listing's owner."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        to = serializers.CharField(max_length=42)

    @extend_schema(request=InputSerializer, responses=OpenApiResponse(OpenApiTypes.OBJECT))
    def post(self, request, slug):
        listing = listing_selectors.listing_owned(owner=request.user, slug=slug)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(
            ownership.ownership_transfer_prepare(
                listing=listing, actor=request.user, to=serializer.validated_data["to"]
            )
        )
