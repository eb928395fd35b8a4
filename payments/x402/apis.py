"""Resources paid with x402 v2 (payments.x402): the licence purchase itself and a licensed
file download. x402 lives in headers, and the file answer is the bytes.

- `GET x402/listings/<slug>/licence`: 402 with what each tier costs; paid: 200 JSON of the
  licence minted to the payer, with `PAYMENT-RESPONSE`. A holder (SIGN-IN-WITH-X) gets 200
  with `holds: true` and pays nothing.
- `GET x402/listings/<slug>/files/<path>[?version=<tag>]`: 402 unless the caller holds a
  download licence (SIGN-IN-WITH-X) or pays for one now; then the file's bytes."""

from pathlib import PurePosixPath

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import JsonResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from artifacts import serving
from artifacts.storage import ArtifactNotFound, StorageError
from chain import typed_data
from core.errors import ApiError
from listings import selectors as listing_selectors
from listings.models import Tier, VersionFile
from listings.moderation import checks
from listings.services import listing_count_download
from payments import selectors
from payments import x402 as paid  # its x402 package loads on first use

ALL_KINDS = tuple(Tier.Kind.values)


X402_RESPONSES = {
    200: OpenApiTypes.OBJECT,
    402: OpenApiResponse(OpenApiTypes.OBJECT, description="x402 v2 PaymentRequired"),
}


def _listing(slug: str):
    return listing_selectors.listing_get_for_viewer(slug=slug, viewer=AnonymousUser())


class X402Api(APIView):
    """Who pays or holds is in the x402 headers (and an optional bearer token, whose spend
    controls apply), not in a session."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_scope = "gasless"

    def paywall(self, request, **kwargs):
        return paid.x402_access(request._request, **kwargs)


class X402LicenceApi(X402Api):
    @extend_schema(
        responses=X402_RESPONSES,
        parameters=[OpenApiParameter("tier", int, required=False),
                    OpenApiParameter("PAYMENT-SIGNATURE", location="header", required=False),
                    OpenApiParameter("SIGN-IN-WITH-X", location="header", required=False)],
    )  # fmt: skip
    def get(self, request, slug: str):
        listing = _listing(slug)
        kinds, tier = ALL_KINDS, request.query_params.get("tier")
        if tier is not None:
            # One tier: only it is offered, and "holds" means a licence of its kind.
            position = int(tier) if tier.isascii() and tier.isdigit() and len(tier) <= 3 else -1
            found = listing.tiers.filter(position=position).first()
            if found is None:
                raise ApiError(f"This listing has no licence tier {tier}.", code="unknown_tier")
            kinds, tier = (found.kind,), found.position
        try:
            caller = self.paywall(
                request,
                listing=listing,
                kinds=kinds,
                tier=tier,
                description=f"A licence of {listing.title}",
            )
        except paid.PaymentRequiredError as exc:
            return exc.response()
        body = {"listing": listing.slug, "address": caller.address, "holds": True}
        if caller.relayed is not None:
            relayed = caller.relayed
            body.update(
                tier=relayed.tier_index,
                token_id=str(typed_data.token_id(listing.onchain_id, relayed.tier_index)),
                tx_hash=relayed.tx_hashes[-1],
                amount=str(relayed.amount),
                currency=relayed.currency,
            )
        return paid.x402_attach(JsonResponse(body), caller)


def _file(listing, path: str, tag: str) -> VersionFile:
    versions = listing.versions.order_by("-created_at", "-id")
    version = (versions.filter(tag=tag) if tag else versions).first()
    found = version and version.files.select_related("artifact").filter(path=path).first()
    if not found:
        raise ApiError("No such file in this version.", code="not_found", status=404)
    # Only bytes scanned clean are served (409 `scanning` while a scan is due).
    checks.check_files_cleared(checks.file_checks([found]))
    return found


class X402FileApi(X402Api):
    @extend_schema(
        responses={**X402_RESPONSES, 200: OpenApiTypes.BINARY},
        parameters=[OpenApiParameter("version", required=False),
                    OpenApiParameter("PAYMENT-SIGNATURE", location="header", required=False),
                    OpenApiParameter("SIGN-IN-WITH-X", location="header", required=False)],
    )  # fmt: skip
    def get(self, request, slug: str, path: str):
        listing = _listing(slug)
        file = _file(listing, path, request.query_params.get("version", ""))  # before paying
        try:
            caller = self.paywall(
                request,
                listing=listing,
                kinds=selectors.DOWNLOAD_KINDS,
                description=f"{file.path} of {listing.title}",
            )
        except paid.PaymentRequiredError as exc:
            return exc.response()
        try:
            response = serving.artifact_response(
                request._request,
                file.artifact,
                filename=PurePosixPath(file.path).name,
                accel=settings.DOWNLOADS_ACCEL_REDIRECT,
            )
        except ArtifactNotFound:
            raise ApiError(
                "This file is missing from the store.", code="not_found", status=404
            ) from None
        except StorageError:
            raise ApiError(
                "The file store is not reachable.", code="storage_unavailable", status=503
            ) from None
        listing_count_download(listing=listing, address=caller.address)
        return paid.x402_attach(response, caller)
