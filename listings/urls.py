"""Pages, mounted at /listings/. The fixed paths come before <slug>; the slugs "mine" and "new"
must never be given to a listing (see services.RESERVED_SLUGS)."""

from django.urls import path

from listings import views
from listings.moderation import views as moderation_views

app_name = "listings"

urlpatterns = [
    path("", views.browse, name="browse"),
    path("mine/", views.mine, name="mine"),
    path("new/", views.create, name="create"),
    path("<slug:slug>/", views.detail, name="detail"),
    path("<slug:slug>/edit/", views.edit, name="edit"),
    path("<slug:slug>/edit/details", views.edit_details, name="edit-details"),
    path("<slug:slug>/edit/tiers", views.edit_tiers, name="edit-tiers"),
    path("<slug:slug>/edit/splits", views.edit_splits, name="edit-splits"),
    path("<slug:slug>/edit/status", views.edit_status, name="edit-status"),
    path("<slug:slug>/report", moderation_views.report_listing, name="report"),
    path("<slug:slug>/like", views.like, name="like"),
]
