from django.contrib import admin
from django.urls import include, path

from marketplace import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.health, name="health"),
    path("livez", views.live, name="live"),
    path("accounts/", include("accounts.urls")),
    path("artifacts/", include("artifacts.urls")),
    path("listings/", include("listings.urls")),
    path("api/v1/", include("marketplace.api_urls")),
    path("admin/", admin.site.urls),
]
