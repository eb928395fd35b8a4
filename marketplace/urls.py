from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import views_avatar as avatar_views
from listings import views as listing_views
from marketplace import views
from payments.access import apis as access_apis

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.health, name="health"),
    path("livez", views.live, name="live"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("accounts/", include("accounts.urls")),
    path("artifacts/", include("artifacts.urls")),
    path("listings/", include("listings.urls")),
    # Listing pages payments serves (/listings/<slug>/download/..., access/request, requests/)
    # and the signed download URLs (/dl/...): payments/access/urls.py, mounted at the root.
    path("", include("payments.access.urls")),
    path("creators/<str:address>/", listing_views.creator, name="creator"),
    path("creators/<str:address>/avatar.svg", avatar_views.avatar, name="creator-avatar"),
    path("moderation/", include("listings.moderation.urls")),
    path("licences/", include("payments.urls")),
    path("compute/", include("compute.urls")),
    path("dashboard/", include("payments.dashboard.urls")),
    path("notifications/", include("notifications.urls")),
    path("api/v1/", include("marketplace.api_urls")),
    # The OpenAPI schema of /api/v1/ (YAML; ?format=json) and its browsable docs (Swagger UI,
    # self-hosted assets, no inline script: CSP holds there too).
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="api/swagger_ui.html"
        ),
        name="api-docs",
    ),
    # Token metadata: the contracts' URIs (chain/deploy.py) point here, outside /api/v1/.
    path("api/licenses/<str:token_id>.json", access_apis.license_metadata, name="license-metadata"),
    path(
        "api/listings/ownership/<str:listing_id>",
        access_apis.ownership_metadata,
        name="ownership-metadata",
    ),
    path("admin/", admin.site.urls),
]

# Under /api/, errors no view handled answer as JSON in the API's error format too.
handler400 = "marketplace.errors.bad_request"
handler403 = "marketplace.errors.permission_denied"
handler404 = "marketplace.errors.not_found"
handler500 = "marketplace.errors.server_error"
