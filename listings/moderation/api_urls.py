"""Mounted at /api/v1/moderation/ (the routes live in routes.py)."""

from listings.moderation.routes import API, patterns

app_name = "moderation-api"
urlpatterns = patterns(API)
