"""Downloads API (/api/v1/...) and the token metadata endpoints (/api/licenses/, outside v1:
the contracts' URIs are fixed at deployment). See payments/access/downloads.py for who may download.

- `GET listings/<slug>/downloads?version=<tag>` (session or token auth):
  `[{path, cid, size, sha256, url, expires_at}]` for the version (default: the latest).
- `GET downloads/request?holder=<address>&cid=<cid>`: the EIP-712 DownloadRequest to sign,
  with a fresh nonce and expiry (a convenience: clients may build it themselves).
- `POST downloads` `{request: {holder, cid, expiry, nonce}, signature}`: one
  `{path, cid, size, sha256, url, expires_at}`; GET the url (Range works) before it expires.
- `GET /api/licenses/<64 hex>.json`, `GET /api/listings/ownership/<decimal>`: metadata JSON,
  404 JSON for unknown ids.

Signed requests answer a URL rather than the bytes: one POST stays cheap and idempotent to
retry, and the bytes then come from the same /dl/ path as in the browser (Range requests,
X-Accel-Redirect to nginx in production). Errors: `request_malformed` 400,
`request_expiry_too_far` 400, `request_expired` 403, `signature_invalid` 403,
`licence_required` 403 (the message names the tiers that give access), `nonce_used` 409,
`not_found` 404, `chain_unavailable` 503."""

from django.http import JsonResponse
from django.views.decorators.http import require_safe
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
)
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from listings import selectors as listing_selectors
from payments.access import downloads, metadata, signed_requests

METADATA_MAX_AGE = 300  # wallets re-read it; titles and statuses change now and then


class DownloadLinkSerializer(serializers.Serializer):
    path = serializers.CharField()
    cid = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    url = serializers.SerializerMethodField()
    expires_at = serializers.DateTimeField()

    def get_url(self, link) -> str:
        return self.context["request"].build_absolute_uri(link.url)


class ListingDownloadsApi(APIView):
    """GET: signed URLs for the files of one version, for a holder or the creator."""

    permission_classes = [IsAuthenticated]

    class FilterSerializer(serializers.Serializer):
        version = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")

    @extend_schema(parameters=[FilterSerializer], responses=DownloadLinkSerializer(many=True))
    def get(self, request, slug):
        params = self.FilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        listing = listing_selectors.listing_get_for_viewer(slug=slug, viewer=request.user)
        links = downloads.download_links(
            listing=listing, address=request.user.address, tag=params.validated_data["version"]
        )
        context = {"request": request}
        return Response(DownloadLinkSerializer(links, many=True, context=context).data)


class DownloadRequestApi(APIView):
    """POST a signed DownloadRequest, get a signed URL. No session needed (nor CSRF)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        request = serializers.DictField()
        signature = serializers.CharField(max_length=4200)

    @extend_schema(request=InputSerializer, responses=DownloadLinkSerializer)
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        link = signed_requests.download_request_redeem(
            message=data.validated_data["request"], signature=data.validated_data["signature"]
        )
        return Response(DownloadLinkSerializer(link, context={"request": request}).data)


class DownloadRequestPrepareApi(APIView):
    """GET the typed data to sign for one file, with a fresh nonce and expiry."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        holder = serializers.CharField(max_length=42)
        cid = serializers.CharField(max_length=100)

    @extend_schema(
        parameters=[InputSerializer],
        responses=OpenApiResponse(OpenApiTypes.OBJECT, "EIP-712 typed data"),
    )
    def get(self, request):
        data = self.InputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        message = signed_requests.download_request_new(**data.validated_data)
        document = signed_requests.download_request_typed_data(message)
        # uint64 as a decimal string, like every uint the site hands to wallets.
        document["message"]["expiry"] = str(message.expiry)
        return Response(document)


def _metadata_response(document: dict | None, what: str) -> JsonResponse:
    if document is None:
        body = {"error": {"code": "not_found", "message": f"No such {what}.", "fields": {}}}
        response = JsonResponse(body, status=404)
        response["Cache-Control"] = "public, max-age=60"
    else:
        response = JsonResponse(document, json_dumps_params={"ensure_ascii": False})
        response["Cache-Control"] = f"public, max-age={METADATA_MAX_AGE}"
    # Public data: dapps read it from other origins.
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
def license_metadata(request, token_id: str):
    parsed = metadata.parse_token_id(token_id)
    document = None if parsed is None else metadata.license_metadata(parsed)
    return _metadata_response(document, "licence token")


@require_safe
def ownership_metadata(request, listing_id: str):
    parsed = metadata.parse_decimal_id(listing_id)
    document = None if parsed is None else metadata.ownership_metadata(parsed)
    return _metadata_response(document, "listing")
