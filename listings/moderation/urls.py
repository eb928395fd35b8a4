"""Pages, mounted at /moderation/ (the routes live in routes.py)."""

from listings.moderation.routes import PAGES, patterns

app_name = "moderation"
urlpatterns = patterns(PAGES)
