from django.contrib import admin
from django.urls import include, path

from marketplace import views
from payments import apis_access

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.health, name="health"),
    path("livez", views.live, name="live"),
    path("accounts/", include("accounts.urls")),
    path("artifacts/", include("artifacts.urls")),
    path("listings/", include("listings.urls")),
    path("licences/", include("payments.urls")),
    # Downloads (/dl/...) and gated access pages (/listings/<slug>/requests/ ...).
    path("", include("payments.urls_access")),
    path("api/v1/", include("marketplace.api_urls")),
    # Token metadata: the contracts' URIs (chain/deploy.py) point here, outside /api/v1/.
    path("api/licenses/<str:token_id>.json", apis_access.license_metadata, name="license-metadata"),
    path(
        "api/listings/ownership/<str:listing_id>",
        apis_access.ownership_metadata,
        name="ownership-metadata",
    ),
    path("admin/", admin.site.urls),
]
