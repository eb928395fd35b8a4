"""Dashboard API (/api/v1/dashboard/...): the signed-in user's figures as creator and as
contributor, their credited balances and withdrawal transaction, CSV exports; a listing's
split and tier price changes (prepare the transaction or relay a signed update) and their
history; the platform fee and revenue for site admins. Amounts are decimal strings."""

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import ApiError
from core.fields import AddressField, WeiField
from listings import selectors as listing_selectors
from payments.dashboard import exports, figures, payouts, platform, serialize
from payments.offers import history, updates


class PeriodSerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=figures.PERIODS, default="daily")


PERIOD = OpenApiParameter("period", str, enum=list(figures.PERIODS), default="daily")
# Free-form documents (figures, server-built transactions, typed data): their fields are in
# each view's docstring; amounts are decimal strings.
OBJECT = OpenApiResponse(OpenApiTypes.OBJECT)
CSV = OpenApiResponse(OpenApiTypes.STR, description="text/csv, streamed")


def _period(request) -> str:
    serializer = PeriodSerializer(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data["period"]


class DashboardApi(APIView):
    """GET ?period=daily|weekly: revenue per listing and tier, sales, licences, recipients,
    the chart's series, and what the user received on others' listings."""

    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[PERIOD], responses=OBJECT)
    def get(self, request):
        data = figures.dashboard_for_user(user=request.user, period=_period(request))
        return Response(serialize.dashboard_json(data))


class DashboardListingApi(APIView):
    """GET ?period=: one of the user's listings, per tier."""

    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[PERIOD], responses=OBJECT)
    def get(self, request, slug):
        listing = listing_selectors.listing_owned(owner=request.user, slug=slug)
        data = figures.dashboard_for_listing(listing=listing, period=_period(request))
        return Response(serialize.dashboard_json(data))


class BalancesApi(APIView):
    """GET: credited (withdrawable) balances per currency, from the contract and the ledger."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=OBJECT)
    def get(self, request):
        rows = payouts.credited_balances(account=request.user.address)
        return Response({"account": request.user.address,
                         "balances": [serialize.balance_json(r) for r in rows]})  # fmt: skip


class WithdrawPrepareApi(APIView):
    """POST {currency, to?}: the withdraw transaction for the user's wallet to send."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        currency = AddressField()
        to = AddressField(required=False)

    @extend_schema(request=InputSerializer, responses=OBJECT)
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(
            payouts.withdraw_prepare(account=request.user.address, **serializer.validated_data)
        )


class ExportApi(APIView):
    """GET: sales.csv or payouts.csv of the user (streamed)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={(200, "text/csv"): CSV})
    def get(self, request, kind):
        return export_response(kind=kind, user=request.user)


def export_response(*, kind: str, user) -> StreamingHttpResponse:
    if kind not in exports.EXPORTS:
        raise ApiError("Exports are sales.csv and payouts.csv.", code="not_found", status=404)
    response = StreamingHttpResponse(
        exports.export_stream(kind=kind, user=user), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{kind}.csv"'
    return response


class SplitEntrySerializer(serializers.Serializer):
    address = AddressField()
    bps = serializers.IntegerField(min_value=1, max_value=10_000)


class SplitPrepareApi(APIView):
    """POST {splits: [{address, bps}]}: old vs new split, the setSplits transaction for the
    owner's wallet, and the SplitUpdate typed data to sign for a relayed change."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        splits = SplitEntrySerializer(many=True, allow_empty=False)

    @extend_schema(request=InputSerializer, responses=OBJECT)
    def post(self, request, slug):
        listing = listing_selectors.listing_owned(owner=request.user, slug=slug)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pairs = [(s["address"], s["bps"]) for s in serializer.validated_data["splits"]]
        return Response(
            updates.split_update_prepare(listing=listing, actor=request.user, splits=pairs)
        )


class SplitRelayApi(APIView):
    """POST {message, signature}: relay the owner's signed SplitUpdate (the server pays gas)."""

    permission_classes = [IsAuthenticated]
    # Its own strict scope: every update that passes the checks costs the relayer gas.
    throttle_scope = "relay"

    class InputSerializer(serializers.Serializer):
        message = serializers.DictField()
        signature = serializers.CharField(max_length=1024)

    @extend_schema(request=InputSerializer, responses=OBJECT)
    def post(self, request, slug):
        listing = listing_selectors.listing_owned(owner=request.user, slug=slug)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(
            updates.split_update_relay(
                listing=listing, actor=request.user, **serializer.validated_data
            )
        )


class TierPricePrepareApi(APIView):
    """POST {price_wei}: the setTierPrice transaction for tier `position`."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        price_wei = WeiField()

    @extend_schema(request=InputSerializer, responses=OBJECT)
    def post(self, request, slug, position):
        listing = listing_selectors.listing_owned(owner=request.user, slug=slug)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(
            updates.tier_price_prepare(
                listing=listing,
                actor=request.user,
                position=position,
                price_wei=serializer.validated_data["price_wei"],
            )
        )


class ChangesApi(APIView):
    """GET: the listing's split and price changes on-chain, newest first."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=OBJECT)
    def get(self, request, slug):
        listing = listing_selectors.listing_owned(owner=request.user, slug=slug)
        return Response({"changes": history.changes_json(listing=listing)})


class PlatformFeeApi(APIView):
    """GET: the fee, its cap, and whether the admin's address may set it (site admins only)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=OBJECT)
    def get(self, request):
        status = platform.fee_status(user=request.user)
        status["history"] = [
            {"bps": c.bps, "recipient": c.recipient, "tx_hash": c.tx_hash,
             "block": c.block_number, "at": c.block_time}
            for c in status["history"]
        ]  # fmt: skip
        return Response(status)


class PlatformFeePrepareApi(APIView):
    """POST {bps, recipient?}: the setPlatformFee transaction for the admin's wallet."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        bps = serializers.IntegerField(min_value=0, max_value=10_000)
        recipient = AddressField(required=False)

    @extend_schema(request=InputSerializer, responses=OBJECT)
    def post(self, request):
        platform.require_site_admin(request.user)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(platform.fee_prepare(user=request.user, **serializer.validated_data))


class PlatformRevenueApi(APIView):
    """GET ?period=: platform fees credited and withdrawn per currency and period."""

    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[PERIOD], responses=OBJECT)
    def get(self, request):
        platform.require_site_admin(request.user)
        data = platform.platform_revenue(period=_period(request))
        for row in data["totals"]:
            _money_fields(row)
        for row in data["periods"]:
            _money_fields(row)
        return Response(data)


def _money_fields(row: dict) -> None:
    currency = row["currency"]["address"]
    for key in [k for k in row if k.endswith("_wei")]:
        row[key.removesuffix("_wei")] = serialize.money(row.pop(key), currency)
