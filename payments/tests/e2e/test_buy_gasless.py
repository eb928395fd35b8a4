"""A buyer whose wallet holds tUSDC and 0 ETH buys on the listing page with one signature: no
transaction leaves the wallet, the marketplace's relayer pays the gas, and the same live steps
follow (submitted → confirming → access granted)."""

import pytest
from django.conf import settings
from eth_account import Account
from playwright.sync_api import expect

from chain import client
from listings.models import LicenseTerms
from payments.models import RelayedPurchase
from payments.tests.buying import TierSpec, mint, tokenized_listing
from payments.tests.indexing import index, mine
from tests.e2e.helpers import sign_in, snapshot
from tests.e2e.wallet import InjectedWallet

pytestmark = pytest.mark.e2e
PRICE = 5 * 10**6  # 5 tUSDC


@pytest.fixture(autouse=True)
def _terms(transactional_db):
    LicenseTerms.objects.get_or_create(owner=None, name="Open")


@pytest.fixture
def poor_wallet(w3):
    """A wallet with no ETH at all."""
    return InjectedWallet(Account.create(), settings.CHAIN_RPC_URL, settings.CHAIN_ID)


def step(page, name: str):
    return page.get_by_test_id(f"buy-step-{name}")


def test_a_buyer_with_no_eth_buys_with_one_signature(context, contracts, poor_wallet):
    usdc = client.get_contract("TestAuthToken")
    mint(usdc, poor_wallet.address, 20 * PRICE)
    tiers = [TierSpec(name="Download", price_wei=PRICE, currency=usdc.address)]
    listing = tokenized_listing(title="Gasless model", tiers=tiers)
    poor_wallet.install(context)
    page = sign_in(context.new_page(), poor_wallet)

    page.goto(f"/listings/{listing.slug}/")
    expect(page.get_by_test_id("buy-total")).to_have_text("5 tUSDC")
    expect(page.get_by_test_id("gasless-0")).to_have_text("one signature, no gas")
    page.get_by_test_id("buy").click()
    expect(step(page, "submitted")).to_have_attribute("data-state", "done")
    relayed = RelayedPurchase.objects.get()
    expect(page.get_by_test_id("buy-tx")).to_have_text(relayed.tx_hashes[-1])
    assert poor_wallet.sent_transactions == []  # the wallet only signed
    assert poor_wallet.methods_called().count("eth_signTypedData_v4") == 1
    snapshot(page, "payments__buy_gasless_submitted")

    mine(settings.CONFIRMATIONS)
    expect(page.get_by_test_id("buy-confirmations")).to_have_text(f"{settings.CONFIRMATIONS}/2")
    index(confirmations=settings.CONFIRMATIONS)
    expect(page.get_by_test_id("access-granted")).to_have_text("Access granted")
    assert client.get_web3().eth.get_balance(poor_wallet.address) == 0
    assert usdc.functions.balanceOf(poor_wallet.address).call() == 19 * PRICE


def test_a_buyer_with_no_eth_buys_a_permit_token_tier_with_two_signatures(
    context, contracts, poor_wallet
):
    """A token with only an ERC-2612 permit: the wallet signs the permit and the purchase
    intent; the relayer sends both (and registers the listing on its first sale)."""
    dollar = client.get_contract("TestPermitToken")
    mint(dollar, poor_wallet.address, 20 * PRICE)
    tiers = [TierSpec(name="Download", price_wei=PRICE, currency=dollar.address)]
    listing = tokenized_listing(title="Permit model", tiers=tiers)
    poor_wallet.install(context)
    page = sign_in(context.new_page(), poor_wallet)

    page.goto(f"/listings/{listing.slug}/")
    expect(page.get_by_test_id("gasless-0")).to_have_text("no ETH needed")
    page.get_by_test_id("buy").click()
    expect(step(page, "submitted")).to_have_attribute("data-state", "done")
    assert poor_wallet.sent_transactions == []
    assert poor_wallet.methods_called().count("eth_signTypedData_v4") == 2
    assert RelayedPurchase.objects.get().method == RelayedPurchase.Method.PERMIT

    mine(settings.CONFIRMATIONS)
    index(confirmations=settings.CONFIRMATIONS)
    expect(page.get_by_test_id("access-granted")).to_have_text("Access granted")
    assert client.get_web3().eth.get_balance(poor_wallet.address) == 0
    assert dollar.functions.balanceOf(poor_wallet.address).call() == 19 * PRICE
