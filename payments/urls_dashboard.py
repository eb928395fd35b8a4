"""Dashboard pages, mounted at /dashboard/."""

from django.urls import path

from payments import views_dashboard

app_name = "dashboard"

urlpatterns = [
    path("", views_dashboard.dashboard_page, name="home"),
    path("listings/<slug:slug>/", views_dashboard.dashboard_listing_page, name="listing"),
    path("export/<str:kind>.csv", views_dashboard.export, name="export"),
    path("platform/", views_dashboard.platform_page, name="platform"),
]
