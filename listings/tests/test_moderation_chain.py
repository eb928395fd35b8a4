"""Pausing a listing stops sales on-chain too (Marketplace.pauseListing with the platform's
moderator key), before or after its first sale; the indexer keeps `onchain_paused`."""

import pytest
from django.test import Client
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


@pytest.fixture
def as_in_a_worker():
    """Eager tasks without propagating their exception: a worker records the failure and calls
    the task's on_failure (propagation, the tests' default, skips both)."""
    from marketplace.celery import app

    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = True


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


def test_a_failed_pause_is_recorded_shown_and_can_be_sent_again(
    chain, settings, django_capture_on_commit_callbacks, as_in_a_worker
):
    from eth_account import Account

    listing = tokenized_listing()
    moderator = factories.user(moderator=True)
    key = settings.CHAIN_MODERATOR_KEY
    settings.CHAIN_MODERATOR_KEY = Account.create().key.hex()  # no MODERATOR_ROLE: reverts
    _moderate(listing, "pause", django_capture_on_commit_callbacks, reason="Malware")
    assert _paused_on_chain(listing) is False
    failed = AuditEntry.objects.get(action="listing.chain_pause.failed")
    assert failed.target_id == str(listing.pk) and "ContractCustomError" in failed.reason
    page = Client()
    page.force_login(moderator)
    review = page.get(f"/moderation/listings/{listing.slug}/").content.decode()
    assert 'data-testid="chain-failure"' in review
    api = APIClient()
    api.force_authenticate(moderator)
    assert api.get(f"/api/v1/moderation/listings/{listing.slug}").json()["chain_failure"]

    settings.CHAIN_MODERATOR_KEY = key
    with django_capture_on_commit_callbacks(execute=True):
        reply = page.post(f"/moderation/listings/{listing.slug}/chain-retry")
    assert reply.status_code == 302 and _paused_on_chain(listing) is True
    assert AuditEntry.objects.filter(action="listing.chain_retry", actor=moderator).exists()


def test_a_pause_still_failing_on_its_last_retry_is_recorded(chain, settings, as_in_a_worker):
    from listings import tasks

    listing = tokenized_listing()
    settings.CHAIN_RPC_URL = "http://127.0.0.1:9"  # nothing listens: the node is down
    last = tasks.listing_pause_onchain_task.max_retries
    result = tasks.listing_pause_onchain_task.apply(args=(listing.pk, True), retries=last)
    assert isinstance(result.result, client.RPC_ERRORS)
    failed = AuditEntry.objects.get(action="listing.chain_pause.failed")
    assert failed.target_id == str(listing.pk) and "Connection" in failed.reason
