"""Full-text search: PostgreSQL's tsvector/websearch when on PostgreSQL, substring matching
on SQLite (a working fallback for development; the site is measured on PostgreSQL)."""

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Left

from listings.models import Listing

CONFIG = "english"
CARD_CHARS = 4000
# At most this many matches are ranked for one search (see apply_text_search).
RANK_CANDIDATES = 2000


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


def apply_text_search(listings: QuerySet, text: str, *, ranked: bool = True) -> QuerySet:
    """Filter by a user's search text; with `ranked`, annotate `rank` (higher is better).
    Give it the queryset with every other filter applied (see RANK_CANDIDATES)."""
    text = text.strip()[:200]
    if not text:
        return listings
    if is_postgres():
        query = SearchQuery(text, search_type="websearch", config=CONFIG)
        matches = listings.filter(search_document=query)
        if not ranked:
            return matches
        # Ranking reads every match's document from the table: a term in a tenth of a million
        # listings is 100k heap rows (~1 s). Rank only the first RANK_CANDIDATES matches the
        # index yields (every filter applied, so none is lost to a later one): exact below
        # that many matches, the best of a sample above it (docs/performance.md).
        candidates = matches.order_by().values("pk")[:RANK_CANDIDATES]
        return Listing.objects.filter(pk__in=candidates).annotate(
            rank=SearchRank(F("search_document"), query)
        )
    for term in text.split()[:10]:
        listings = listings.filter(
            Q(title__icontains=term) | Q(summary__icontains=term) | Q(card__icontains=term)
        )
    return listings.annotate(rank=F("sales_count")) if ranked else listings
