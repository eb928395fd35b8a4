"""The anonymous page cache (listings/page_cache.py) and the query counts of the hot pages and
APIs: a cached reply must never outlive a change, and a fresh render must not grow a query per
listing (N+1). Counts are exact so that a regression shows here, not in a benchmark."""

import pytest
from django.core.cache import cache, caches
from django.test import Client

from accounts import denylist
from accounts.tokens import api_token_create
from listings import onchain, services
from listings.models import Listing
from listings.selectors import ListingFilters, listing_search
from listings.serializers import ListingSummarySerializer, listing_summaries
from listings.tests import factories

pytestmark = pytest.mark.django_db

API_LIST = "/api/v1/listings/"
API_SEARCH = "/api/v1/listings/?q=model&sort=price_low"
BROWSE = "/listings/"
BROWSE_SEARCH = "/listings/?q=model"


def published(n: int = 1, *, price_wei: int = 10**16) -> list[Listing]:
    rows = []
    for i in range(n):
        listing = factories.complete_listing(title=f"Model {i}", price_wei=price_wei)
        services.listing_submit(listing=listing, actor=listing.creator)
        rows.append(services.listing_set_status(listing=listing, to_status="published", actor=None))
    return rows


def shows_price(reply, wei: int, eth: str) -> bool:
    """The API gives wei as strings; the pages say ETH."""
    body = reply.content.decode()
    return f'"{wei}"' in body or eth in body


def pages_of(listing: Listing) -> list[str]:
    return [API_LIST, API_SEARCH, BROWSE, BROWSE_SEARCH, *detail_pages(listing)]


def detail_pages(listing: Listing) -> list[str]:
    return [f"/api/v1/listings/{listing.slug}", f"/listings/{listing.slug}/"]


# Fresh renders (the cache is empty), whatever the number of listings on the page. The browse
# page's filter options are cached on their own (selectors.listing_filter_options): 3 queries
# the first time, 1 after. Detail: the listing with creator and terms, tiers, splits, versions
# with manifests, their files with artifacts, the deny-list; the page adds the compute policy.
FRESH_QUERIES = {
    API_LIST: 1,
    API_SEARCH: 1,
    # Two filter facets, the page, and the capped result count (issue 17).
    BROWSE: 4,
    BROWSE_SEARCH: 2,
    # The detail replies also read the listing's ownership history (one prefetch); the API's
    # model tree reads the listings built on it and trained on it (issue 17), as the page does.
    "api-detail": 9,
    # The page also reads "more from this creator" and the lineage's fine-tunes (issue 17), and
    # the platform fee's row when the fee's own cache is cold (never the chain: issue 20).
    "page-detail": 11,
}


@pytest.mark.parametrize("count", [2, 8])
def test_query_counts_do_not_grow_with_the_listings(count, django_assert_num_queries):
    listing = published(count)[0]
    client = Client()
    expected = {
        **{url: FRESH_QUERIES[url] for url in (API_LIST, API_SEARCH, BROWSE, BROWSE_SEARCH)},
        detail_pages(listing)[0]: FRESH_QUERIES["api-detail"],
        detail_pages(listing)[1]: FRESH_QUERIES["page-detail"],
    }
    for url, queries in expected.items():
        with django_assert_num_queries(queries):
            assert client.get(url).status_code == 200, url
    # The same replies again come from the cache: no query at all.
    for url in expected:
        with django_assert_num_queries(0):
            assert client.get(url).status_code == 200, url


def test_a_price_change_is_visible_at_once_to_the_next_visitor():
    listing, other = published(2, price_wei=10**16)
    client = Client()
    for url in [*pages_of(listing), *detail_pages(other)]:
        assert shows_price(client.get(url), 10**16, "0.01 ETH"), url

    # The owner changes the price on-chain; the indexer applies it (listings.onchain).
    onchain.tier_apply_onchain_price(
        listing=listing, position=0, price=3 * 10**16, currency=onchain.ZERO
    )

    for url in pages_of(listing):
        reply = client.get(url)
        assert shows_price(reply, 3 * 10**16, "0.03 ETH"), url
    for url in detail_pages(listing):  # (the lists still show the other listing at 0.01)
        assert not shows_price(client.get(url), 10**16, "0.01 ETH"), url
    assert Listing.objects.get(pk=listing.pk).min_price_wei == 3 * 10**16


def test_a_change_keeps_the_other_listings_pages_cached(django_assert_num_queries):
    listing, other = published(2)
    client = Client()
    for url in detail_pages(other):
        client.get(url)
    onchain.tier_apply_onchain_price(
        listing=listing, position=0, price=2 * 10**16, currency=onchain.ZERO
    )
    with django_assert_num_queries(0):
        for url in detail_pages(other):
            assert client.get(url).status_code == 200


def test_delisting_and_denying_take_a_listing_off_the_cached_pages():
    listing, other = published(2)
    client = Client()
    for url in [*pages_of(listing), *detail_pages(other)]:
        assert client.get(url).status_code == 200
    services.listing_set_status(listing=listing, to_status="delisted", actor=listing.creator)
    assert listing.slug not in client.get(API_LIST).content.decode()
    assert listing.slug not in client.get(BROWSE).content.decode()
    for url in detail_pages(listing):
        assert client.get(url).status_code == 404, url

    moderator = factories.user(moderator=True)
    denylist.address_deny(address=other.creator.address, reason="spam", actor=moderator)
    assert other.slug not in client.get(API_LIST).content.decode()
    for url in detail_pages(other):
        assert client.get(url).status_code == 404, url


def test_etag_answers_304_and_a_change_gives_a_new_one():
    listing = published(1)[0]
    client = Client()
    for url in pages_of(listing):
        first = client.get(url)
        etag = first["ETag"]
        again = client.get(url, HTTP_IF_NONE_MATCH=etag)
        assert (again.status_code, again.content, again["ETag"]) == (304, b"", etag), url
    etags = {url: client.get(url)["ETag"] for url in pages_of(listing)}
    onchain.tier_apply_onchain_price(listing=listing, position=0, price=1, currency=onchain.ZERO)
    for url, etag in etags.items():
        reply = client.get(url, HTTP_IF_NONE_MATCH=etag)
        assert reply.status_code == 200 and reply["ETag"] != etag, url


def test_signed_in_visitors_and_api_clients_never_share_the_anonymous_replies():
    listing = published(1)[0]
    anonymous = Client()
    anonymous.get(f"/listings/{listing.slug}/")
    signed_in = Client()
    signed_in.force_login(listing.creator)
    body = signed_in.get(f"/listings/{listing.slug}/").content.decode()
    assert "Edit listing" in body and 'data-testid="sign-out"' in body
    assert "Edit listing" not in anonymous.get(f"/listings/{listing.slug}/").content.decode()
    # A token bearer's reply is built for them, and the anonymous entry stays anonymous.
    token = api_token_create(user=listing.creator, name="t").secret
    reply = Client().get(API_LIST, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert reply.status_code == 200
    assert "Cookie" in reply["Vary"] and "Authorization" in reply["Vary"]


def test_a_missing_generation_never_brings_back_an_old_reply():
    listing = published(1)[0]
    client = Client()
    client.get(API_LIST)
    Listing.objects.filter(pk=listing.pk).update(title="Renamed quietly")  # no signal
    caches["pages"].delete_many(["pages:gen:list", "pages:gen:site"])  # as if evicted
    assert "Renamed quietly" in client.get(API_LIST).content.decode()


def test_the_lean_summaries_match_the_summary_serializer():
    published(3)
    rows = list(listing_search(filters=ListingFilters()))
    assert listing_summaries(rows) == ListingSummarySerializer(rows, many=True).data


def test_cached_replies_live_apart_from_the_rate_limit_counters():
    """Asking for many URLs fills the page cache, never the cache that counts requests: a
    client must not be able to push its throttle counters out by requesting pages."""
    published(1)
    cache.set("throttle-counter-probe", 1, 60)
    client = Client()
    for n in range(1, 40):
        assert client.get(f"{API_LIST}?page_size={n}").status_code == 200
    assert cache.get("throttle-counter-probe") == 1
    assert not any(key.startswith(":1:pages:") for key in cache._cache)  # LocMem's own store


def visit_together(page, visitors: int = 8) -> list:
    """`visitors` threads GET `page` at the same moment; their replies."""
    import threading

    from django.test import RequestFactory

    replies, start = [], threading.Barrier(visitors)

    def visit():
        start.wait()
        replies.append(page(RequestFactory().get("/popular/")))

    threads = [threading.Thread(target=visit) for _ in range(visitors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a visitor is still waiting"
    return replies


def slow_view(status: int, renders: list):
    import time

    from django.http import HttpResponse

    from listings.page_cache import cached_page, depends_on_list

    @cached_page(depends_on_list)
    def page(request):
        renders.append(1)
        time.sleep(0.3)  # a render that takes a while (a search over many listings)
        return HttpResponse(b"the page", status=status)

    return page


def test_many_visitors_missing_the_cache_at_once_render_the_reply_once():
    """A stampede: after a change, the next 8 visitors of a popular page arrive together. One
    renders; the others wait for its reply instead of each rendering it again."""
    renders = []
    replies = visit_together(slow_view(200, renders))
    assert [reply.content for reply in replies] == [b"the page"] * 8
    assert len(renders) == 1


def test_waiting_visitors_render_themselves_when_no_reply_is_stored(monkeypatch):
    """A reply that is not cached (a 404) leaves nothing to wait for: the others render at once
    instead of waiting out RENDER_WAIT_SECONDS (made long here, so that a wait would show)."""
    from listings import page_cache

    monkeypatch.setattr(page_cache, "RENDER_WAIT_SECONDS", 600)
    renders = []
    replies = visit_together(slow_view(404, renders), visitors=4)
    assert [reply.status_code for reply in replies] == [404] * 4
    assert len(renders) == 4


def test_a_rate_limited_visitor_waiting_for_a_render_gets_its_429():
    """A request that waited for another's render is still counted by its rate limits."""
    import threading
    import time

    from django.test import RequestFactory
    from rest_framework.response import Response
    from rest_framework.throttling import BaseThrottle
    from rest_framework.views import APIView

    from listings.page_cache import cached_page, depends_on_list

    limited = "10.6.6.6"

    class DenyOne(BaseThrottle):
        def allow_request(self, request, view):
            return request.META.get("REMOTE_ADDR") != limited

    class Slow(APIView):
        authentication_classes: list = []
        permission_classes: list = []
        throttle_classes = [DenyOne]

        def get(self, request):
            time.sleep(0.5)
            return Response({"page": 1})

    page = cached_page(depends_on_list)(Slow.as_view())
    got = {}

    def visit(name, address, delay):
        time.sleep(delay)
        got[name] = page(RequestFactory().get("/slow/", REMOTE_ADDR=address))

    visitors = [
        threading.Thread(target=visit, args=("renderer", "10.0.0.1", 0)),
        threading.Thread(target=visit, args=("limited", limited, 0.1)),
    ]
    for visitor in visitors:
        visitor.start()
    for visitor in visitors:
        visitor.join(timeout=60)
    assert (got["renderer"].status_code, got["limited"].status_code) == (200, 429)
