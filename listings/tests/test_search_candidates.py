"""Ranked search ranks at most RANK_CANDIDATES matches (listings/search.py): with every filter
applied before the cap, a filter never hides a match that a broad term pushed out."""

import pytest
from django.db import connection

from listings import search, services
from listings.selectors import ListingFilters, listing_search
from listings.tests import factories

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full text only"),
]


def publish(title: str, kind: str = "model"):
    listing = factories.complete_listing(title=title, kind=kind)
    services.listing_submit(listing=listing, actor=listing.creator)
    return services.listing_set_status(listing=listing, to_status="published", actor=None)


def test_filters_apply_before_the_candidate_cap(monkeypatch):
    monkeypatch.setattr(search, "RANK_CANDIDATES", 3)
    for n in range(6):
        publish(f"Bert encoder {n}")
    dataset = publish("Bert corpus", kind="dataset")
    search.search_document_refresh()
    ranked = list(listing_search(filters=ListingFilters(text="bert", kind="dataset")))
    assert [row.pk for row in ranked] == [dataset.pk]
    assert len(list(listing_search(filters=ListingFilters(text="bert")))) == 3  # the cap
    # Other sorts are not capped: every match, in that order.
    newest = listing_search(filters=ListingFilters(text="bert", sort="newest"))
    assert len(list(newest)) == 7
