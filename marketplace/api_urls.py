"""Everything under /api/v1/: each app contributes its own routes."""

from django.urls import include, path

urlpatterns = [
    path("auth/", include("accounts.api_urls")),
    path("artifacts/", include("artifacts.api_urls")),
    path("", include("listings.api_urls")),
    path("moderation/", include("listings.moderation.api_urls")),
    path("", include("payments.api_urls")),
    path("compute/", include("compute.api_urls")),
]
