"""search_listings takes the REST API's filters and answers its summaries, a page at a time."""

import pytest

from agents.tests.mcp_live import Agent, McpServerThread
from listings.models import Listing
from listings.services import TierSpec
from payments.tests.access_helpers import published_listing


@pytest.fixture
def mcp_url():
    server = McpServerThread().start()
    yield server.url
    server.stop()


def test_search_filters_and_pages(mcp_url, transactional_db):
    cheap = published_listing(title="Cheap weather model", tiers=[TierSpec("A", price_wei=10)])
    dear = published_listing(title="Dear weather model", tiers=[TierSpec("B", price_wei=10**18)])
    data = published_listing(title="Weather dataset", tiers=[TierSpec("C", price_wei=10**18)])
    Listing.objects.filter(pk=data.pk).update(kind=Listing.Kind.DATASET)
    agent = Agent(mcp_url)

    def slugs(**filters):
        return sorted(row["slug"] for row in agent.call("search_listings", **filters)["results"])

    assert slugs(query="weather") == sorted([cheap.slug, dear.slug, data.slug])
    assert slugs(query="weather", kind="dataset") == [data.slug]
    assert slugs(max_price_wei="1000") == [cheap.slug]
    assert slugs(min_price_wei=str(10**18), kind="model") == [dear.slug]
    first = agent.call("search_listings", sort="newest", page_size=2)
    second = agent.call("search_listings", sort="newest", page_size=2, page=2)
    assert first["has_next"] is True and second["has_next"] is False
    assert len(first["results"]) == 2 and len(second["results"]) == 1
    row = first["results"][0]
    assert set(row) >= {"slug", "kind", "title", "min_price_wei", "has_compute", "creator"}
    assert "min_price_wei" in agent.error("search_listings", min_price_wei="-5")
