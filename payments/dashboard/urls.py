"""Dashboard pages, mounted at /dashboard/."""

from django.urls import path

from payments.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.dashboard_page, name="home"),
    path("listings/<slug:slug>/", views.dashboard_listing_page, name="listing"),
    path("export/<str:kind>.csv", views.export, name="export"),
    path("platform/", views.platform_page, name="platform"),
]
