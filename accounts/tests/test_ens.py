"""ENS names on a real chain (accounts/ens.py, chain/ens.py): a minimal ENS (registry, resolver,
reverse registrar: contracts/src/test/TestENS.sol) deployed on the test anvil. A name shows only
when its reverse record and its forward addr() agree; a chain that is down shows the address."""

import pytest
from django.core.cache import cache
from django.test import Client
from eth_account import Account

from accounts import ens
from accounts.tests.ens_chain import ChainENS
from accounts.tests.factories import user_create
from chain.anvil import free_port
from chain.ens import primary_name
from listings import services
from listings.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain_ens(w3, settings):
    deployed = ChainENS(w3)
    settings.ENS_REGISTRY_ADDRESS = deployed.registry.address
    return deployed


def test_a_name_whose_records_agree_both_ways_is_the_primary_name(chain_ens, w3):
    alice = chain_ens.funded()
    chain_ens.set_primary(alice, chain_ens.register("alice", points_to=alice.address))
    registry = chain_ens.registry.address
    assert primary_name(w3, registry=registry, address=alice.address) == "alice.eth"
    assert ens.ens_name(alice.address.lower()) == "alice.eth"


def test_a_reverse_record_claiming_someone_elses_name_shows_nothing(chain_ens, w3):
    alice, mallory = chain_ens.funded(), chain_ens.funded()
    name = chain_ens.register("alice", points_to=alice.address, owner=alice)
    chain_ens.set_primary(mallory, name)  # anyone can write any name in their reverse record
    registry = chain_ens.registry.address
    assert primary_name(w3, registry=registry, address=mallory.address) is None
    assert ens.ens_name(mallory.address) == ""


def test_no_reverse_record_or_a_name_not_in_normal_form_shows_nothing(chain_ens, w3):
    plain, shouty = chain_ens.funded(), chain_ens.funded()
    assert ens.ens_name(plain.address) == ""
    # Both records agree on "Shouty.eth" (the registry takes any label), but it is not in
    # ENSIP-15 normal form: wallets would resolve "shouty.eth", another name, so it is not shown.
    chain_ens.register("Shouty", points_to=shouty.address, owner=shouty)
    chain_ens.set_primary(shouty, "Shouty.eth")
    assert ens.ens_name(shouty.address) == ""


def published(creator):
    listing = factories.complete_listing(creator=creator, title=f"Model by {creator.address}")
    services.listing_submit(listing=listing, actor=creator)
    return services.listing_set_status(listing=listing, to_status="published", actor=None)


def short(address: str) -> str:
    return f"{address[:6]}…{address[-4:]}"


def test_the_profile_and_the_listing_show_the_verified_name(chain_ens):
    alice = chain_ens.funded()
    chain_ens.set_primary(alice, chain_ens.register("alice", points_to=alice.address))
    listing = published(user_create(address=alice.address))
    client = Client()

    page = client.get(f"/creators/{alice.address}/").content.decode()
    assert '<h1 data-testid="creator-name">alice.eth</h1>' in page
    assert 'data-testid="creator-ens"' in page

    page = client.get(f"/listings/{listing.slug}/").content.decode()
    assert 'data-testid="creator-label">alice.eth</code>' in page


def test_a_name_that_does_not_point_back_is_never_shown(chain_ens):
    alice, mallory = chain_ens.funded(), chain_ens.funded()
    chain_ens.set_primary(alice, chain_ens.register("alice", points_to=alice.address))
    chain_ens.set_primary(mallory, "alice.eth")
    listing = published(user_create(address=mallory.address))
    client = Client()

    for url in (f"/creators/{mallory.address}/", f"/listings/{listing.slug}/", "/listings/"):
        page = client.get(url).content.decode()
        assert "alice.eth" not in page, url
        assert short(mallory.address) in page, url


def test_cards_show_only_names_already_resolved(chain_ens):
    """The browse page never asks the chain per card: a name appears on cards once a page
    that resolves (the profile) has put it in the cache."""
    alice = chain_ens.funded()
    chain_ens.set_primary(alice, chain_ens.register("alice", points_to=alice.address))
    published(user_create(address=alice.address))
    client = Client()

    assert "alice.eth" not in client.get("/listings/").content.decode()
    assert ens.ens_names_cached([alice.address]) == {}
    client.get(f"/creators/{alice.address}/")
    assert ens.ens_names_cached([alice.address]) == {alice.address: "alice.eth"}
    cache_of_pages_cleared()
    assert "alice.eth" in client.get("/listings/").content.decode()


def cache_of_pages_cleared():
    from django.core.cache import caches

    caches["pages"].clear()


def test_answers_are_cached_until_they_expire(chain_ens):
    alice = chain_ens.funded()
    chain_ens.set_primary(alice, chain_ens.register("alice", points_to=alice.address))
    assert ens.ens_name(alice.address) == "alice.eth"
    chain_ens.set_primary(alice, "")  # cleared on chain: the cached answer stands until it expires
    assert ens.ens_name(alice.address) == "alice.eth"
    cache.clear()
    assert ens.ens_name(alice.address) == ""


def test_a_chain_that_is_down_shows_the_address_and_no_error(chain_ens, settings):
    alice = chain_ens.funded()
    chain_ens.set_primary(alice, chain_ens.register("alice", points_to=alice.address))
    listing = published(user_create(address=alice.address))
    settings.ENS_RPC_URL = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    client = Client()

    for url in (f"/creators/{alice.address}/", f"/listings/{listing.slug}/"):
        reply = client.get(url)
        assert reply.status_code == 200, url
        assert short(alice.address) in reply.content.decode()
        assert "alice.eth" not in reply.content.decode()
    # The failure is remembered briefly (one attempt per address per ENS_FAILURE_CACHE_SECONDS),
    # unlike an answer.
    assert cache.get(ens._key(alice.address)) == ""
    assert ens._lookup(alice.address) == ("", settings.ENS_FAILURE_CACHE_SECONDS)
    settings.ENS_RPC_URL = ""  # the chain's own node: up
    assert ens._lookup(alice.address) == ("alice.eth", settings.ENS_CACHE_SECONDS)


def test_off_without_a_registry(settings):
    settings.ENS_REGISTRY_ADDRESS = ""
    assert ens.ens_name(Account.create().address) == ""
    assert ens.ens_names_cached([Account.create().address]) == {}
