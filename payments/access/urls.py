"""Pages of downloads and gated access, mounted at the site root: signed download URLs under
/dl/, and the listing-scoped pages next to the listing's own (/listings/<slug>/...)."""

from django.urls import path

from payments.access import views

app_name = "access"

urlpatterns = [
    path("dl/<str:token>/<path:filename>", views.download, name="download"),
    path(
        "listings/<slug:slug>/download/<path:path>", views.listing_download, name="listing-download"
    ),
    path("listings/<slug:slug>/access/request", views.access_request, name="request"),
    path("listings/<slug:slug>/requests/", views.access_requests, name="requests"),
    path(
        "listings/<slug:slug>/requests/<int:pk>/decide",
        views.access_request_decide,
        name="decide",
    ),
]
