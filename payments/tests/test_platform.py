"""The platform fee page and API: site admins only; the transaction only for an address with
the contract's admin role and within its cap; once indexed, the fee the site shows follows.
Platform revenue: fees credited and withdrawn, exact, per currency and period."""

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.models import User
from chain import client
from listings import onchain
from payments.dashboard import platform
from payments.models import PlatformFeeChange
from payments.tests.buying import deployer, send_step
from payments.tests.dashboard_helpers import ETH, chain_sums, sell
from payments.tests.indexing import index, mine, revert, snapshot, wallets

pytestmark = [pytest.mark.django_db, pytest.mark.chain]


@pytest.fixture
def admin_user(contracts, w3):
    user = User.objects.create_user(deployer().address)
    user.is_staff = True
    user.save()
    return user


@pytest.fixture(autouse=True)
def _fee_cache():
    """The fee the pages show is cached; the chain is rolled back after each test, so is it."""
    cache.delete(onchain.FEE_CACHE_KEY)
    yield
    cache.delete(onchain.FEE_CACHE_KEY)


def client_for(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def test_only_site_admins_see_the_fee(admin_user):
    stranger = User.objects.create_user(wallets(1)[0].address)
    assert client_for(stranger).get("/api/v1/platform/fee").status_code == 403
    assert client_for(stranger).get("/dashboard/platform/").status_code == 403
    assert Client().get("/api/v1/platform/fee").status_code in (401, 403)
    reply = client_for(admin_user).get("/api/v1/platform/fee")
    assert reply.status_code == 200
    market = client.get_contract("Marketplace")
    assert reply.json()["bps"] == market.functions.feeBps().call()
    assert reply.json()["cap_bps"] == 1000
    assert reply.json()["can_set"] is True


def test_a_staff_address_without_the_contract_role_is_refused_clearly(contracts, w3):
    staff = User.objects.create_user(wallets(1)[0].address)
    staff.is_staff = True
    staff.save()
    reply = client_for(staff).post(
        "/api/v1/platform/fee/prepare", {"bps": 100}, content_type="application/json"
    )
    assert reply.status_code == 403
    assert reply.json()["error"]["code"] == "not_contract_admin"
    page = client_for(staff).get("/dashboard/platform/")
    assert page.status_code == 200
    assert b"does not hold the contract" in page.content


def test_admin_sets_the_fee_and_the_site_shows_it_once_indexed(
    admin_user, django_capture_on_commit_callbacks
):
    browser = client_for(admin_user)
    above = browser.post(
        "/api/v1/platform/fee/prepare", {"bps": 1001}, content_type="application/json"
    )
    assert above.status_code == 400
    assert above.json()["error"]["code"] == "fee_above_cap"
    before = onchain.platform_fee_bps()
    rise = browser.post(
        "/api/v1/platform/fee/prepare", {"bps": 420}, content_type="application/json"
    )
    assert rise.status_code == 200, rise.content
    assert rise.json()["announced"] is True  # a rise is announced, then applied (test_attacks)
    reply = browser.post(
        "/api/v1/platform/fee/prepare", {"bps": 120}, content_type="application/json"
    )
    assert reply.status_code == 200, reply.content
    assert reply.json()["old_bps"] == before and reply.json()["announced"] is False
    receipt = send_step(reply.json()["transaction"], deployer())
    assert receipt.status == 1
    assert onchain.platform_fee_bps() == before  # cached until the indexer sees the event
    with django_capture_on_commit_callbacks(execute=True):  # the cache is set after commit
        index()
    latest = PlatformFeeChange.objects.order_by("-block_number").first()
    assert (latest.bps, latest.tx_hash) == (120, receipt.transactionHash.to_0x_hex())
    assert onchain.platform_fee_bps() == 120


def test_pages_show_the_indexed_fee_without_calling_the_chain_and_a_reorg_takes_it_back(
    admin_user, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        index()  # the deployment's fee
    deployed = onchain.platform_fee_bps()
    fork = snapshot()
    reply = client_for(admin_user).post(
        "/api/v1/platform/fee/prepare", {"bps": 120}, content_type="application/json"
    )
    assert send_step(reply.json()["transaction"], deployer()).status == 1
    with django_capture_on_commit_callbacks(execute=True):
        index()

    def chain_call(*args, **kwargs):
        raise AssertionError("a page read the fee from the chain")

    with monkeypatch.context() as patched:
        patched.setattr(client, "get_contract", chain_call)
        patched.setattr(client, "get_web3", chain_call)
        cache.delete(onchain.FEE_CACHE_KEY)  # cold: another process, or the cache ran out
        assert onchain.platform_fee_bps() == 120
    # The fee change's block is replaced: the page's fee goes back with the ledger.
    revert(fork)
    mine(3)
    with django_capture_on_commit_callbacks(execute=True):
        index()
    assert onchain.platform_fee_bps() == deployed


def test_platform_revenue_is_the_fees_credited_exactly(admin_user):
    sales = sell()
    index()
    fee_recipient = client.get_contract("Marketplace").functions.feeRecipient().call()
    sums = chain_sums(sales.listing)
    revenue = platform.platform_revenue(period="weekly")
    totals = {row["currency"]["address"]: row for row in revenue["totals"]}
    assert totals[ETH]["credited_wei"] == sums["received"][(fee_recipient, ETH, "Credited")]
    token_fee = sums["received"][(fee_recipient, sales.token.address, "Credited")]
    assert totals[sales.token.address]["credited_wei"] == token_fee
    assert (
        sum(p["credited_wei"] for p in revenue["periods"] if p["currency"]["address"] == ETH)
        == (totals[ETH]["credited_wei"])
    )
    reply = client_for(admin_user).get("/api/v1/platform/revenue?period=daily")
    assert reply.status_code == 200
    assert reply.json()["totals"][0]["credited"]["wei"] == str(totals[ETH]["credited_wei"])
    assert client_for(admin_user).get("/api/v1/platform/revenue?period=yearly").status_code == 400


def test_the_platform_page_shows_the_fee_and_its_cap(admin_user):
    page = client_for(admin_user).get("/dashboard/platform/?period=weekly")
    assert page.status_code == 200
    fee = client.get_contract("Marketplace").functions.feeBps().call()
    assert f'data-bps="{fee}"' in page.content.decode()
    assert b"1000 bps (10%)" in page.content
    assert b"data-fee-form" in page.content  # the deployer holds the admin role
