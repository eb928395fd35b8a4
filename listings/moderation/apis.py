"""The moderation API (/api/v1/moderation/...), moderators only (the deny-list and the audit
log: admins only), and POST /api/v1/listings/<slug>/reports for any signed-in user."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import denylist
from accounts import selectors as account_selectors
from core.pagination import PageNumberNoCountPagination
from listings.models import Listing, Report
from listings.moderation import selectors, services
from listings.moderation.permissions import IsAdmin, IsModerator
from listings.selectors import listing_get_for_viewer


def _valid(serializer_class, request):
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


OBJECT = OpenApiResponse(OpenApiTypes.OBJECT)


def _paged(name: str, item) -> serializers.Serializer:
    return inline_serializer(
        name,
        {
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item(many=True),
        },
    )


class QueueItemSerializer(serializers.ModelSerializer):
    creator = serializers.CharField(source="creator.address")
    open_reports = serializers.IntegerField()

    class Meta:
        model = Listing
        fields = ["slug", "title", "kind", "status", "creator", "open_reports", "updated_at"]


class FileCheckSerializer(serializers.Serializer):
    path = serializers.CharField()
    size = serializers.IntegerField()
    cid = serializers.CharField()
    verdict = serializers.CharField()
    detected_type = serializers.CharField()
    detected_mime = serializers.CharField()
    findings = serializers.ListField(child=serializers.DictField())


class ReportSerializer(serializers.ModelSerializer):
    listing = serializers.CharField(source="listing.slug", read_only=True)
    reporter = serializers.CharField(source="reporter.address", read_only=True, default=None)
    resolved_by = serializers.CharField(source="resolved_by.address", read_only=True, default=None)

    class Meta:
        model = Report
        fields = [
            "id",
            "listing",
            "reporter",
            "category",
            "text",
            "status",
            "decision",
            "resolved_by",
            "resolved_at",
            "created_at",
        ]
        read_only_fields = fields


class QueueApi(APIView):
    """GET: listings pending review (oldest first) and listings with open reports."""

    permission_classes = [IsModerator]

    @extend_schema(
        responses=inline_serializer(
            "ModerationQueue",
            {"pending": QueueItemSerializer(many=True), "reported": QueueItemSerializer(many=True)},
        )
    )
    def get(self, request):
        return Response(
            {
                "pending": QueueItemSerializer(selectors.queue_pending()[:200], many=True).data,
                "reported": QueueItemSerializer(
                    selectors.reported_listings()[:200], many=True
                ).data,
            }
        )


class ReviewApi(APIView):
    """GET: one listing's review: files with scan results, metadata lint, reports, history."""

    permission_classes = [IsModerator]

    @extend_schema(responses=OBJECT)
    def get(self, request, slug):
        listing = selectors.listing_for_moderation(slug=slug)
        review = selectors.listing_review(listing=listing)
        history = review.history
        return Response(
            {
                "listing": {
                    "slug": listing.slug,
                    "title": listing.title,
                    "kind": listing.kind,
                    "status": listing.status,
                    "creator": listing.creator.address,
                    "owner": listing.owner_address,
                    "onchain_paused": listing.onchain_paused,
                },
                "chain_failure": review.chain_failure and review.chain_failure.reason,
                "files": FileCheckSerializer(review.files, many=True).data,
                "lint": review.lint,
                "publishable": not review.blocked,
                "reports": ReportSerializer(review.reports, many=True).data,
                "creator_history": {
                    "listings": [
                        {"slug": x.slug, "title": x.title, "status": x.status}
                        for x in history.listings
                    ],
                    "by_status": history.by_status,
                    "reports_total": history.reports_total,
                    "reports_actioned": history.reports_actioned,
                    "rejections": history.rejections,
                },
            }
        )


class ActionApi(APIView):
    """POST {action, reason}: approve | reject | request_changes | pause | unpause | delist."""

    permission_classes = [IsModerator]

    class InputSerializer(serializers.Serializer):
        action = serializers.ChoiceField(list(services.ACTIONS))
        reason = serializers.CharField(allow_blank=True, default="", max_length=2000)

    @extend_schema(
        request=InputSerializer,
        responses=inline_serializer(
            "ModerationActionResult",
            {"slug": serializers.CharField(), "status": serializers.CharField()},
        ),
    )
    def post(self, request, slug):
        listing = selectors.listing_for_moderation(slug=slug)
        data = _valid(self.InputSerializer, request)
        listing = services.listing_moderate(listing=listing, actor=request.user, **data)
        return Response({"slug": listing.slug, "status": listing.status})


class RescanApi(APIView):
    """POST: scan again the latest version's files whose scan errored or is still pending."""

    permission_classes = [IsModerator]

    @extend_schema(
        request=None,
        responses={202: inline_serializer("RescanResult", {"queued": serializers.IntegerField()})},
    )
    def post(self, request, slug):
        listing = selectors.listing_for_moderation(slug=slug)
        queued = services.listing_rescan_files(listing=listing, actor=request.user)
        return Response({"queued": queued}, status=202)


class ReportsApi(APIView):
    """GET: open reports, grouped per listing (most reported first)."""

    permission_classes = [IsModerator]

    @extend_schema(responses=OBJECT)
    def get(self, request):
        groups = []
        for listing in selectors.reported_listings()[:100]:
            groups.append(
                {
                    "listing": listing.slug,
                    "title": listing.title,
                    "open_reports": listing.open_reports,
                    "reports": ReportSerializer(listing.open_report_rows, many=True).data,
                }
            )
        return Response({"results": groups})


class ReportResolveApi(APIView):
    """POST {status: actioned|dismissed, decision}: close a report with the decision."""

    permission_classes = [IsModerator]

    class InputSerializer(serializers.Serializer):
        status = serializers.ChoiceField([Report.Status.ACTIONED, Report.Status.DISMISSED])
        decision = serializers.CharField(max_length=4000)

    @extend_schema(request=InputSerializer, responses=ReportSerializer)
    def post(self, request, pk):
        report = selectors.report_get(pk=pk)
        data = _valid(self.InputSerializer, request)
        report = services.report_resolve(report=report, actor=request.user, **data)
        return Response(ReportSerializer(report).data)


class DeniedAddressSerializer(serializers.Serializer):
    address = serializers.CharField()
    reason = serializers.CharField()
    created_by = serializers.CharField(source="created_by.address", default=None)
    created_at = serializers.DateTimeField()


class DeniedAddressesApi(APIView):
    """GET: active denials. POST {address, reason}: deny an address (admins)."""

    permission_classes = [IsAdmin]

    class InputSerializer(serializers.Serializer):
        address = serializers.CharField(max_length=64)
        reason = serializers.CharField(max_length=2000)

    @extend_schema(responses=_paged("DeniedAddressPage", DeniedAddressSerializer))
    def get(self, request):
        paginator = PageNumberNoCountPagination()
        page = paginator.paginate_queryset(
            account_selectors.denied_addresses_active(), request, view=self
        )
        return paginator.get_paginated_response(DeniedAddressSerializer(page, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: DeniedAddressSerializer})
    def post(self, request):
        data = _valid(self.InputSerializer, request)
        entry = denylist.address_deny(actor=request.user, **data)
        return Response(DeniedAddressSerializer(entry).data, status=201)


class DeniedAddressLiftApi(APIView):
    """POST {reason?}: lift the denial of an address (admins)."""

    permission_classes = [IsAdmin]

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(allow_blank=True, default="", max_length=2000)

    @extend_schema(request=InputSerializer, responses={204: None})
    def post(self, request, address):
        data = _valid(self.InputSerializer, request)
        denylist.address_lift(address=address, actor=request.user, **data)
        return Response(status=204)


class AuditEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor.address", default=None)
    action = serializers.CharField()
    target_type = serializers.CharField()
    target_id = serializers.CharField()
    target_label = serializers.CharField()
    reason = serializers.CharField()
    data = serializers.JSONField()


class AuditApi(APIView):
    """GET ?action=&actor=&target=: the audit log, newest first (admins)."""

    permission_classes = [IsAdmin]

    class FilterSerializer(serializers.Serializer):
        action = serializers.CharField(required=False, default="", max_length=64)
        actor = serializers.CharField(required=False, default="", max_length=64)
        target = serializers.CharField(required=False, default="", max_length=64)

    @extend_schema(
        parameters=[FilterSerializer], responses=_paged("AuditEntryPage", AuditEntrySerializer)
    )
    def get(self, request):
        params = self.FilterSerializer(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        paginator = PageNumberNoCountPagination()
        page = paginator.paginate_queryset(
            account_selectors.audit_entries(**params.validated_data), request, view=self
        )
        return paginator.get_paginated_response(AuditEntrySerializer(page, many=True).data)


class ListingReportApi(APIView):
    """POST {category, text}: report a listing (any signed-in user)."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        category = serializers.ChoiceField(Report.Category.choices)
        text = serializers.CharField(max_length=4000)

    @extend_schema(request=InputSerializer, responses={201: ReportSerializer})
    def post(self, request, slug):
        listing = listing_get_for_viewer(slug=slug, viewer=request.user)
        data = _valid(self.InputSerializer, request)
        report = services.report_create(listing=listing, reporter=request.user, **data)
        return Response(ReportSerializer(report).data, status=201)
