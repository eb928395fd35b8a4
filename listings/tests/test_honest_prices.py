"""Cards and search results say what a listing really costs now (issue 17): a free tier that needs
the creator's approval is "free on request", never "Free", and the price shown is the cheapest
tier one can simply buy."""

import re

import pytest
from django.test import Client

from listings import services
from listings.models import Listing
from listings.onchain import tier_apply_onchain_price
from listings.tests import factories

pytestmark = pytest.mark.django_db
TierSpec = services.TierSpec
TOKEN = "0x" + "cd" * 20


def published(title: str, tiers: list[TierSpec]) -> Listing:
    listing = factories.listing(title=title)
    creator = listing.creator
    services.version_create(
        listing=listing, actor=creator, tag="v1", files=[("model.bin", factories.artifact())]
    )
    services.listing_set_tiers(listing=listing, actor=creator, tiers=tiers)
    services.listing_submit(listing=listing, actor=creator)
    return services.listing_set_status(listing=listing, to_status="published", actor=None)


def card_price(page: str, listing: Listing) -> str:
    card = page.split(f'data-listing="{listing.slug}"', 1)[1]
    return re.search(r"data-price>([^<]*)<", card).group(1)


def test_a_free_tier_behind_approval_is_free_on_request_not_free():
    gated = published(
        "Gated model",
        [
            TierSpec(name="Research", price_wei=0, requires_approval=True),
            TierSpec(name="Commercial", price_wei=5 * 10**16),
        ],
    )
    only_gated = published(
        "Only on request", [TierSpec(name="Research", price_wei=0, requires_approval=True)]
    )
    free = published("Really free", [TierSpec(name="Open", price_wei=0)])

    for url in ("/listings/", "/listings/?q=model", "/"):
        reply = Client().get(url)
        assert reply.status_code == 200
        page = reply.content.decode()
        if f'data-listing="{gated.slug}"' in page:
            assert card_price(page, gated) == "from 0.05 ETH · free on request"
    page = Client().get("/listings/").content.decode()
    assert card_price(page, only_gated) == "Free on request"
    assert card_price(page, free) == "Free"

    # "Free" filters and the API agree: what is free is free without asking.
    page = Client().get("/listings/?free=on").content.decode()
    assert free.title in page and gated.title not in page and only_gated.title not in page
    reply = Client().get("/api/v1/listings/?free=true")
    assert reply.status_code == 200
    assert {item["title"] for item in reply.json()["results"]} == {"Really free"}


def test_token_prices_are_not_called_eth_and_chain_updates_keep_the_rule():
    mixed = published(
        "Token and ETH",
        [
            TierSpec(name="Token", price_wei=5, currency=TOKEN),
            TierSpec(name="ETH", price_wei=2 * 10**16),
            TierSpec(name="Research", price_wei=0, requires_approval=True),
        ],
    )
    assert card_price(Client().get("/listings/").content.decode(), mixed) == (
        "from 0.02 ETH · free on request"
    )
    token_only = published("Token only", [TierSpec(name="Token", price_wei=7, currency=TOKEN)])
    page = Client().get("/listings/").content.decode()
    assert card_price(page, token_only) == "from 7 units of token 0xCdCD…CDcD"

    # The indexer applies a price change made on chain: the approval tier still does not count.
    assert tier_apply_onchain_price(
        listing=mixed, position=1, price=10**16, currency="0x" + "00" * 20
    )
    mixed.refresh_from_db()
    assert (int(mixed.min_price_wei), mixed.is_free, mixed.free_on_request) == (10**16, False, True)
