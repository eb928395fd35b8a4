"""The listings API shows what the pages show (issue 17): counts, the honest price, the creator's
name, avatar URL and ENS name; the list never pays a query or a chain call per row for them."""

import pytest
from django.core.cache import caches
from django.test import Client

from accounts.avatars import avatar_uri
from accounts.tests.ens_chain import ChainENS
from accounts.tests.factories import user_create
from listings import services
from listings.models import Listing
from listings.tests import factories

pytestmark = pytest.mark.django_db
TierSpec = services.TierSpec
ETH = "0x" + "00" * 20
LIST = "/api/v1/listings/"


def published(title: str, tiers=None, creator=None) -> Listing:
    listing = factories.listing(title=title, creator=creator)
    creator = listing.creator
    services.version_create(
        listing=listing, actor=creator, tag="v1", files=[("model.bin", factories.artifact())]
    )
    services.listing_set_tiers(
        listing=listing, actor=creator, tiers=tiers or [TierSpec(name="Open", price_wei=10**16)]
    )
    services.listing_submit(listing=listing, actor=creator)
    return services.listing_set_status(listing=listing, to_status="published", actor=None)


def listed(slug: str) -> dict:
    return next(row for row in Client().get(LIST).json()["results"] if row["slug"] == slug)


def detail(slug: str) -> dict:
    return Client().get(f"/api/v1/listings/{slug}").json()


def test_counts_honest_price_and_creator_in_list_and_detail():
    creator = user_create(display_name="Gate Labs")
    gated = published(
        "Gated model",
        [
            TierSpec(name="Research", price_wei=0, requires_approval=True),
            TierSpec(name="Commercial", price_wei=5 * 10**16),
        ],
        creator=creator,
    )
    Listing.objects.filter(pk=gated.pk).update(download_count=7, like_count=3)
    for row in (listed(gated.slug), detail(gated.slug)):
        assert row["min_price_wei"] == str(5 * 10**16)
        assert (row["min_price_currency"], row["is_free"], row["free_on_request"]) == (
            ETH,
            False,
            True,
        )
        assert (row["download_count"], row["like_count"]) == (7, 3)
        assert row["creator_name"] == "Gate Labs"
        assert row["creator_avatar_url"].endswith(f"/creators/{creator.address}/avatar.svg")
        assert row["creator_ens"] is None  # ENS is off here


def test_the_avatar_url_is_the_picture_the_pages_show():
    address = user_create().address
    reply = Client().get(f"/creators/{address}/avatar.svg")
    assert reply.status_code == 200
    assert reply["Content-Type"] == "image/svg+xml"
    assert "immutable" in reply["Cache-Control"]
    from base64 import b64encode

    assert avatar_uri(address).endswith(b64encode(reply.content).decode())
    assert Client().get("/creators/not-an-address/avatar.svg").status_code == 404
    assert Client().post(f"/creators/{address}/avatar.svg").status_code == 405


def test_ens_names_in_the_api_list_come_from_the_cache_only(
    w3, settings, django_assert_num_queries
):
    chain_ens = ChainENS(w3)
    settings.ENS_REGISTRY_ADDRESS = chain_ens.registry.address
    alice = chain_ens.funded()
    chain_ens.set_primary(alice, chain_ens.register("alice", points_to=alice.address))
    listing = published("Named", creator=user_create(address=alice.address))
    published("Another")

    with django_assert_num_queries(1):  # as test_page_cache counts it: no query per row
        assert listed(listing.slug)["creator_ens"] is None  # not resolved yet: no chain call
    assert detail(listing.slug)["creator_ens"] == "alice.eth"  # the detail resolves
    caches["pages"].clear()  # the anonymous list reply above is cached PAGE_CACHE_SECONDS
    assert listed(listing.slug)["creator_ens"] == "alice.eth"
