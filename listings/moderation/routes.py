"""Every moderation route in one place. urls.py and api_urls.py are built from these lists, and
the permission test walks them (and fails on any /moderation/ route missing here), so a new
page or endpoint cannot ship without its 403 check.

Each route: (path, view, name, role, sample kwargs for the permission test)."""

from django.urls import path

from listings.moderation import apis, views
from listings.moderation.permissions import ADMIN, MODERATOR

SLUG = {"slug": "some-listing"}
PAGES = [
    ("", views.queue, "queue", MODERATOR, {}),
    ("listings/<slug:slug>/", views.review, "review", MODERATOR, SLUG),
    ("listings/<slug:slug>/act", views.act, "act", MODERATOR, SLUG),
    ("listings/<slug:slug>/rescan", views.rescan, "rescan", MODERATOR, SLUG),
    ("listings/<slug:slug>/chain-retry", views.chain_retry, "chain-retry", MODERATOR, SLUG),
    ("reports/", views.reports, "reports", MODERATOR, {}),
    ("reports/<int:pk>/resolve", views.resolve, "resolve", MODERATOR, {"pk": 1}),
    ("deny-list/", views.deny_list, "deny-list", ADMIN, {}),
    ("deny-list/lift", views.lift, "lift", ADMIN, {}),
    ("audit/", views.audit, "audit", ADMIN, {}),
    ("audit.csv", views.audit_csv, "audit-csv", ADMIN, {}),
]
ADDRESS = {"address": "0x" + "11" * 20}
API = [
    ("queue", apis.QueueApi.as_view(), "queue", MODERATOR, {}),
    ("listings/<slug:slug>", apis.ReviewApi.as_view(), "review", MODERATOR, SLUG),
    ("listings/<slug:slug>/actions", apis.ActionApi.as_view(), "act", MODERATOR, SLUG),
    ("listings/<slug:slug>/rescan", apis.RescanApi.as_view(), "rescan", MODERATOR, SLUG),
    ("reports", apis.ReportsApi.as_view(), "reports", MODERATOR, {}),
    ("reports/<int:pk>/resolve", apis.ReportResolveApi.as_view(), "resolve", MODERATOR, {"pk": 1}),
    ("denied-addresses", apis.DeniedAddressesApi.as_view(), "denied", ADMIN, {}),
    (
        "denied-addresses/<str:address>/lift",
        apis.DeniedAddressLiftApi.as_view(),
        "lift",
        ADMIN,
        ADDRESS,
    ),
    ("audit", apis.AuditApi.as_view(), "audit", ADMIN, {}),
]


def patterns(routes) -> list:
    return [path(route, view, name=name) for route, view, name, _, _ in routes]
