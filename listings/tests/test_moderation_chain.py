"""Pausing a listing stops sales on-chain too (Marketplace.pauseListing with the platform's
moderator key), before or after its first sale; the indexer keeps `onchain_paused`."""

import pytest
from rest_framework.test import APIClient

from accounts.models import AuditEntry
from chain import client
from chain.tests.helpers import reverts
from listings.models import Listing
from listings.moderation import services as moderation
from listings.tests import factories
from payments.tests.buying import buyer_account, tokenized_listing
from payments.tests.indexing import buy, index

pytestmark = [pytest.mark.django_db, pytest.mark.chain]


@pytest.fixture
def chain(contracts, w3):
    return w3


def _paused_on_chain(listing: Listing) -> bool:
    return client.get_contract("Marketplace").functions.listing(listing.onchain_id).call()[-1]


def _moderate(listing, action, capture, **kwargs):
    with capture(execute=True):
        return moderation.listing_moderate(
            listing=listing, action=action, actor=factories.user(moderator=True), **kwargs
        )


def test_pause_stops_sales_on_chain_and_in_the_site(chain, django_capture_on_commit_callbacks):
    listing = tokenized_listing()  # not registered yet: the first purchase would register it
    buyer = buyer_account(2)
    _moderate(listing, "pause", django_capture_on_commit_callbacks, reason="Reported malware")
    assert _paused_on_chain(listing) is True
    with reverts("ListingIsPaused"):
        buy(listing, buyer)  # straight to the contract, past the site
    reply = APIClient().post(
        f"/api/v1/listings/{listing.slug}/purchase/prepare",
        {"tier": 0, "quantity": 1, "buyer": buyer.address},
        format="json",
    )
    assert reply.status_code == 409 and reply.json()["error"]["code"] == "paused"
    index()
    assert Listing.objects.get(pk=listing.pk).onchain_paused is True
    chain_entry = AuditEntry.objects.get(action="listing.chain_pause")
    assert chain_entry.data["tx"].startswith("0x") and chain_entry.actor is None

    _moderate(listing, "unpause", django_capture_on_commit_callbacks)
    assert _paused_on_chain(listing) is False
    assert buy(listing, buyer)["status"] == 1
    index()
    assert Listing.objects.get(pk=listing.pk).onchain_paused is False


def test_a_retried_pause_sends_nothing_twice(chain):
    from listings.moderation.chain import listing_pause_onchain

    listing = tokenized_listing()
    assert listing_pause_onchain(listing_id=listing.pk, paused=True).startswith("0x")
    assert listing_pause_onchain(listing_id=listing.pk, paused=True) == ""
