"""Full-text search: PostgreSQL's tsvector/websearch when on PostgreSQL, substring matching
on SQLite (a working fallback for development; the site is measured on PostgreSQL)."""

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Left

from listings.models import Listing

CONFIG = "english"
CARD_CHARS = 4000


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _document():
    return (
        SearchVector("title", weight="A", config=CONFIG)
        + SearchVector("summary", "task", "license_id", weight="B", config=CONFIG)
        # The card's opening is what describes it; ranking cost grows with document size.
        + SearchVector(Left("card", CARD_CHARS), weight="C", config=CONFIG)
    )


def search_document_refresh(*, listing_ids: list[int] | None = None) -> None:
    """Recompute the stored search document (all listings when ids is None). No-op on SQLite."""
    if not is_postgres():
        return
    listings = Listing.objects.all()
    if listing_ids is not None:
        listings = listings.filter(pk__in=listing_ids)
    listings.update(search_document=_document())


def apply_text_search(listings: QuerySet, text: str) -> QuerySet:
    """Filter by a user's search text and annotate `rank` (higher is better)."""
    text = text.strip()[:200]
    if not text:
        return listings
    if is_postgres():
        query = SearchQuery(text, search_type="websearch", config=CONFIG)
        return listings.filter(search_document=query).annotate(
            rank=SearchRank(F("search_document"), query)
        )
    for term in text.split()[:10]:
        listings = listings.filter(
            Q(title__icontains=term) | Q(summary__icontains=term) | Q(card__icontains=term)
        )
    return listings.annotate(rank=F("sales_count"))
