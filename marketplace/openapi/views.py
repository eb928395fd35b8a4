"""Schema descriptions of the API views written before the schema existed (plain APIViews with
nested Input/Output serializers that drf-spectacular cannot find by itself).

They live here, as OpenApiViewExtensions keyed by the view's dotted path, rather than as
decorators in each app, so the descriptions do not touch code other people are changing; a view
that carries its own `@extend_schema` needs no entry. Free-form documents (EIP-712 typed data,
server-built transactions, quotes) are described as objects; their fields are in the views'
docstrings and docs/api.md."""

from drf_spectacular.extensions import OpenApiViewExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers

NO_BODY = OpenApiResponse(description="No content.")


def paginated(name: str, item) -> serializers.Serializer:
    """The no-COUNT page (core.pagination) around `item`."""
    return inline_serializer(
        name=f"Paginated{name}",
        fields={
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item(many=True),
        },
    )


def _describe(path: str, **methods):
    """Register an extension that wraps the view at `path` in extend_schema_view(**methods)."""

    class Extension(OpenApiViewExtension):
        target_class = path

        def view_replacement(self):
            return extend_schema_view(**methods)(self.target_class)

    Extension.__name__ = Extension.__qualname__ = "Schema_" + path.replace(".", "_")
    return Extension


# --- accounts ---------------------------------------------------------------------------------
def _accounts():
    from accounts import apis

    nonce = inline_serializer(
        name="SiweNonce",
        fields={
            "nonce": serializers.CharField(),
            "message": serializers.CharField(),
            "expires_at": serializers.DateTimeField(),
        },
    )
    signed_in = inline_serializer(
        name="SignedInUser",
        fields={
            "address": serializers.CharField(),
            "display_name": serializers.CharField(),
            "email": serializers.CharField(),
            "roles": serializers.ListField(child=serializers.CharField()),
            "token": serializers.CharField(
                required=False, help_text='Only with "token": true: the API token (once).'
            ),
        },
    )
    user = apis.UserOutputSerializer
    _describe(
        "accounts.apis.SiweNonceApi",
        post=extend_schema(request=apis.SiweNonceApi.InputSerializer, responses={201: nonce}),
    )
    _describe(
        "accounts.apis.SiweVerifyApi",
        post=extend_schema(request=apis.SiweVerifyApi.InputSerializer, responses=signed_in),
    )
    _describe("accounts.apis.SignOutApi", post=extend_schema(request=None, responses={204: None}))
    _describe(
        "accounts.apis.MeApi",
        get=extend_schema(responses=user),
        patch=extend_schema(request=apis.MeApi.InputSerializer, responses=user),
    )


# --- artifacts --------------------------------------------------------------------------------
def _artifacts():
    from artifacts import apis

    upload = apis.UploadOutputSerializer
    chunk = extend_schema(
        request={"application/offset+octet-stream": OpenApiTypes.BINARY},
        parameters=[
            OpenApiParameter("Upload-Offset", int, OpenApiParameter.HEADER, required=True),
            OpenApiParameter("Upload-Checksum", str, OpenApiParameter.HEADER),
        ],
        responses=upload,
    )
    _describe(
        "artifacts.apis.UploadCreateApi",
        post=extend_schema(request=apis.UploadCreateApi.InputSerializer, responses={201: upload}),
    )
    _describe("artifacts.apis.UploadDetailApi", get=extend_schema(responses=upload))
    _describe("artifacts.apis.UploadChunkApi", patch=chunk, put=chunk)
    _describe(
        "artifacts.apis.UploadFinishApi",
        post=extend_schema(request=apis.UploadFinishApi.InputSerializer, responses=upload),
    )
    _describe("artifacts.apis.UploadCancelApi", post=extend_schema(request=None, responses=upload))
    _describe(
        "artifacts.apis.ArtifactDetailApi",
        get=extend_schema(responses=apis.ArtifactOutputSerializer),
    )


# --- listings ---------------------------------------------------------------------------------
def _listings():
    from listings import apis

    detail = apis.ListingDetailSerializer
    _describe(
        "listings.apis.ListingsApi",
        get=extend_schema(
            parameters=[apis.ListingsApi.FilterSerializer],
            responses=paginated("ListingSummaryList", apis.ListingSummarySerializer),
        ),
        post=extend_schema(request=apis.ListingsApi.CreateSerializer, responses={201: detail}),
    )
    _describe(
        "listings.apis.ListingDetailApi",
        get=extend_schema(responses=detail),
        patch=extend_schema(request=apis.ListingDetailApi.UpdateSerializer, responses=detail),
    )
    _describe(
        "listings.apis.ListingTiersApi",
        put=extend_schema(request=apis.TierSerializer(many=True), responses=detail),
    )
    _describe(
        "listings.apis.ListingSplitsApi",
        put=extend_schema(request=apis.SplitSerializer(many=True), responses=detail),
    )
    _describe(
        "listings.apis.VersionCreateApi",
        post=extend_schema(request=apis.VersionSerializer, responses={201: detail}),
    )
    _describe(
        "listings.apis.ListingStatusApi",
        post=extend_schema(request=apis.ListingStatusApi.InputSerializer, responses=detail),
    )
    preview = inline_serializer(
        name="CardPreview",
        fields={"html": serializers.CharField(), "metadata": serializers.DictField()},
    )
    # Described here, not on the views: an @extend_schema on a listings.apis method would load
    # this module while listings.apis is half-imported (it reads listings.apis).
    _describe(
        "listings.apis.ReleaseSignaturePrepareApi",
        post=extend_schema(request=None, responses=OpenApiResponse(OpenApiTypes.OBJECT)),
    )
    _describe(
        "listings.apis.ReleaseSignatureApi",
        post=extend_schema(
            request=apis.ReleaseSignatureApi.InputSerializer,
            responses={201: OpenApiResponse(OpenApiTypes.OBJECT)},
        ),
    )
    _describe(
        "listings.apis.CardPreviewApi",
        post=extend_schema(request=apis.CardPreviewApi.InputSerializer, responses=preview),
    )
    _describe(
        "listings.apis.LicenseTermsApi",
        get=extend_schema(responses=apis.LicenseTermsSerializer(many=True)),
        post=extend_schema(
            request=apis.LicenseTermsSerializer, responses={201: apis.LicenseTermsSerializer}
        ),
    )


# --- payments ---------------------------------------------------------------------------------
def _payments():
    from payments.access import apis as apis_access
    from payments.offers import apis
    from payments.purchase import apis as apis_purchase

    document = OpenApiResponse(OpenApiTypes.OBJECT, description="See the view's docstring.")
    submitted = inline_serializer(
        name="OfferSubmitted",
        fields={"offer": apis.OfferSerializer(), "listing_status": serializers.CharField()},
    )
    _describe(
        "payments.offers.apis.OfferPrepareApi",
        post=extend_schema(
            request=None, responses=OpenApiResponse(OpenApiTypes.OBJECT, "EIP-712 typed data")
        ),
    )
    _describe(
        "payments.offers.apis.OfferApi",
        get=extend_schema(responses=apis.OfferSerializer),
        post=extend_schema(request=apis.OfferApi.InputSerializer, responses={201: submitted}),
    )
    _describe(
        "payments.purchase.apis.PurchaseQuoteApi",
        get=extend_schema(
            parameters=[apis_purchase.PurchaseQuoteApi.InputSerializer], responses=document
        ),
    )
    _describe(
        "payments.purchase.apis.PurchasePrepareApi",
        post=extend_schema(
            request=apis_purchase.PurchasePrepareApi.InputSerializer, responses=document
        ),
    )
    access = inline_serializer(
        name="ListingAccess",
        fields={
            "address": serializers.CharField(),
            "has_download": serializers.BooleanField(),
            "has_compute": serializers.BooleanField(),
            "entitlements": serializers.ListField(child=serializers.DictField()),
        },
    )
    _describe(
        "payments.purchase.apis.ListingAccessApi",
        get=extend_schema(
            parameters=[OpenApiParameter("address", str, description="0x address")],
            responses=access,
        ),
    )
    link = apis_access.DownloadLinkSerializer
    _describe(
        "payments.access.apis.ListingDownloadsApi",
        get=extend_schema(
            parameters=[apis_access.ListingDownloadsApi.FilterSerializer],
            responses=link(many=True),
        ),
    )
    _describe(
        "payments.access.apis.DownloadRequestApi",
        post=extend_schema(request=apis_access.DownloadRequestApi.InputSerializer, responses=link),
    )
    _describe(
        "payments.access.apis.DownloadRequestPrepareApi",
        get=extend_schema(
            parameters=[apis_access.DownloadRequestPrepareApi.InputSerializer],
            responses=OpenApiResponse(OpenApiTypes.OBJECT, "EIP-712 typed data"),
        ),
    )


for _register in (_accounts, _artifacts, _listings, _payments):
    _register()
