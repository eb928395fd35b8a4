from django.urls import path

from listings import apis
from listings.moderation import apis as moderation_apis
from listings.page_cache import cached_page, depends_on_list, depends_on_listing

urlpatterns = [
    # Anonymous GETs of the list/search and detail replies are cached (listings/page_cache.py).
    path("listings/", cached_page(depends_on_list)(apis.ListingsApi.as_view()), name="listings"),
    # Before <slug>: "preview-card" is a reserved slug (services.RESERVED_SLUGS).
    path("listings/preview-card", apis.CardPreviewApi.as_view(), name="card-preview"),
    path(
        "listings/<slug:slug>",
        cached_page(depends_on_listing)(apis.ListingDetailApi.as_view()),
        name="listing-detail",
    ),
    path("listings/<slug:slug>/tiers", apis.ListingTiersApi.as_view(), name="listing-tiers"),
    path("listings/<slug:slug>/splits", apis.ListingSplitsApi.as_view(), name="listing-splits"),
    path("listings/<slug:slug>/versions", apis.VersionCreateApi.as_view(), name="version-create"),
    path(
        "listings/<slug:slug>/versions/<str:tag>/release-signature/prepare",
        apis.ReleaseSignaturePrepareApi.as_view(),
        name="version-release-signature-prepare",
    ),
    path(
        "listings/<slug:slug>/versions/<str:tag>/release-signature",
        apis.ReleaseSignatureApi.as_view(),
        name="version-release-signature",
    ),
    path("listings/<slug:slug>/status", apis.ListingStatusApi.as_view(), name="listing-status"),
    path(
        "listings/<slug:slug>/reports",
        moderation_apis.ListingReportApi.as_view(),
        name="listing-report",
    ),
    path("license-terms/", apis.LicenseTermsApi.as_view(), name="license-terms"),
]
