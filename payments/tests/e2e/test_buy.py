"""A buyer buys a licence on the listing page with their wallet (a real transaction on anvil),
watches it go through (submitted → confirming n/N → access granted, once the chain indexer
has recorded it), and finds it under My licences. Refusals and failures say what happened and
leave the Buy button usable."""

import pytest
from django.conf import settings
from eth_account import Account
from playwright.sync_api import expect

from chain import client
from listings.models import LicenseTerms
from payments.tests.buying import TierSpec, deploy_token, deployer, mint, tokenized_listing
from payments.tests.indexing import index, mine
from tests.e2e import wallet as wallet_module
from tests.e2e.helpers import flash, snapshot

pytestmark = pytest.mark.e2e
PARTNER = "0x" + "ab" * 20


@pytest.fixture(autouse=True)
def _terms(transactional_db):
    """A listing needs terms to be published; a live-server test before may have flushed them."""
    LicenseTerms.objects.get_or_create(owner=None, name="Open")


@pytest.fixture
def listing(contracts, wallet):
    creator = Account.create()
    return tokenized_listing(
        creator_key=creator,
        title="Tiny BERT",
        tiers=[
            TierSpec(name="Download", price_wei=10**16),
            TierSpec(
                name="Monthly compute",
                price_wei=5 * 10**17,
                kind="compute",
                duration_seconds=30 * 86400,
            ),
        ],
        splits=[(creator.address, 9000, ""), (PARTNER, 1000, "Data labelling")],
    )


def step(page, name: str):
    return page.get_by_test_id(f"buy-step-{name}")


def open_listing(page, listing):
    page.goto(f"/listings/{listing.slug}/")
    expect(page.get_by_test_id("buy-split")).to_contain_text("Data labelling")


def test_buy_a_licence_and_get_access(signed_in_page, wallet, listing):
    page = signed_in_page
    open_listing(page, listing)
    expect(page.get_by_test_id("buy-total")).to_have_text("0.01 ETH")
    page.get_by_test_id("buy-quantity").fill("3")
    expect(page.get_by_test_id("buy-total")).to_have_text("0.03 ETH")
    split = page.get_by_test_id("buy-split")
    # 2.5% fee, then 10% of the rest to the partner, the rest to the creator: to the wei.
    expect(split.locator('[data-role="platform"]')).to_contain_text("0.00075 ETH")
    expect(split.locator('[data-role="recipient"]')).to_contain_text("0.002925 ETH")
    expect(split.locator('[data-role="owner"]')).to_contain_text("0.026325 ETH")
    snapshot(page, "payments__buy_before")

    page.get_by_test_id("buy").click()
    expect(step(page, "submitted")).to_have_attribute("data-state", "done")
    (tx_hash,) = wallet.sent_transactions
    expect(page.get_by_test_id("buy-tx")).to_have_text(tx_hash)
    expect(step(page, "confirming")).to_have_attribute("data-state", "active")
    expect(page.get_by_test_id("buy-confirmations")).to_have_text("0/2")
    expect(page.get_by_test_id("buy")).to_be_disabled()
    snapshot(page, "payments__buy_confirming")

    # A reload keeps following the purchase (sessionStorage), without asking the wallet.
    page.reload()
    expect(page.get_by_test_id("buy-tx")).to_have_text(tx_hash)
    expect(page.get_by_test_id("buy-total")).to_have_text("0.03 ETH")
    mine(1)
    expect(page.get_by_test_id("buy-confirmations")).to_have_text("1/2")
    mine(1)
    expect(step(page, "confirming")).to_have_attribute("data-state", "done")
    expect(step(page, "access")).to_contain_text("Waiting for the marketplace")

    index(confirmations=settings.CONFIRMATIONS)  # what the beat's indexer task does
    expect(page.get_by_test_id("access-granted")).to_have_text("Access granted")
    expect(page.get_by_test_id("buy-access-link")).to_have_attribute(
        "href", f"/listings/{listing.slug}/#files"
    )
    expect(flash(page, "success")).to_contain_text("Access granted")
    expect(page.get_by_test_id("buy")).to_be_enabled()
    assert [m for m in wallet.methods_called() if m == "eth_sendTransaction"] == [
        "eth_sendTransaction"
    ]
    snapshot(page, "payments__buy_granted")

    page.get_by_test_id("buy-access-link").click()  # the page again, now with downloads
    expect(
        page.locator('[data-path="model.bin"]').get_by_role("link", name="Download")
    ).to_be_visible()

    page.get_by_role("link", name="My licences").click()
    row = page.locator(f'[data-licence="{listing.slug}:0"]')
    expect(row).to_contain_text("Tiny BERT")
    expect(row).to_contain_text("perpetual")
    expect(row.locator("td").nth(3)).to_have_text("3")
    expect(page.get_by_test_id("pending-purchases")).to_be_hidden()


def wait_for_access(page):
    mine(settings.CONFIRMATIONS)
    expect(page.get_by_test_id("buy-confirmations")).to_have_text("2/2")
    index(confirmations=settings.CONFIRMATIONS)
    expect(page.get_by_test_id("access-granted")).to_be_visible()


def test_buy_with_a_token_approve_first_then_a_permit(signed_in_page, wallet, contracts):
    """The first purchase registers the listing, which a permit purchase cannot: approve, then
    buy. Once registered, the wallet signs an ERC-2612 permit instead (no approval gas)."""
    token = deploy_token("Permit Token", "PRMT", permit=True)
    mint(token, wallet.address, 100 * 10**18)
    tiers = [TierSpec(name="Download", price_wei=5 * 10**18, currency=token.address)]
    listing = tokenized_listing(title="Token model", tiers=tiers)
    page = signed_in_page
    page.goto(f"/listings/{listing.slug}/")
    expect(page.get_by_test_id("buy-total")).to_have_text("5 PRMT")

    page.get_by_test_id("buy").click()
    expect(step(page, "approve")).to_have_attribute("data-state", "done")
    expect(step(page, "permit")).to_be_hidden()
    expect(step(page, "submitted")).to_have_attribute("data-state", "done")
    wait_for_access(page)
    assert len(wallet.sent_transactions) == 2  # approve, purchase

    page.get_by_test_id("buy").click()
    expect(step(page, "permit")).to_have_attribute("data-state", "done")
    expect(step(page, "approve")).to_be_hidden()
    expect(step(page, "submitted")).to_have_attribute("data-state", "done")
    wait_for_access(page)
    assert "eth_signTypedData_v4" in wallet.methods_called()
    assert len(wallet.sent_transactions) == 3  # no second approval
    assert token.functions.balanceOf(wallet.address).call() == 90 * 10**18


def test_pending_purchase_shows_on_my_licences(signed_in_page, wallet, listing):
    page = signed_in_page
    open_listing(page, listing)
    page.get_by_test_id("buy").click()
    expect(page.get_by_test_id("buy-confirmations")).to_have_text("0/2")
    page.goto("/licences/")
    pending = page.get_by_test_id("pending-purchases")
    expect(pending).to_contain_text("Tiny BERT · Download × 1")
    expect(pending).to_contain_text("0.01 ETH")
    expect(page.get_by_test_id("no-licences")).to_be_visible()


@pytest.mark.parametrize("refusal", ["transaction", "chain_switch"])
def test_refusals_in_the_wallet_say_so_and_the_button_works_again(
    signed_in_page, wallet, listing, refusal
):
    page = signed_in_page
    open_listing(page, listing)
    if refusal == "transaction":
        wallet.reject_transactions = True
        expected = "You rejected the purchase in your wallet. Nothing was sent"
    else:
        wallet.chain_id, wallet.known_chains = 1, {1}  # on mainnet, declines to switch
        wallet.reject_chain_switch = True
        expected = "You declined the switch"
    page.get_by_test_id("buy").click()
    expect(flash(page, "error")).to_contain_text(expected)
    expect(page.get_by_test_id("buy")).to_be_enabled()
    expect(step(page, "sign")).to_have_attribute("data-state", "failed")
    assert wallet.sent_transactions == []

    wallet.reject_transactions = wallet.reject_chain_switch = False
    page.get_by_test_id("buy").click()
    expect(step(page, "submitted")).to_have_attribute("data-state", "done")


def test_paused_listing_says_so(signed_in_page, wallet, listing):
    market = client.get_contract("Marketplace")
    client.transact(market.functions.pauseListing(listing.onchain_id), account=deployer())
    page = signed_in_page
    page.goto(f"/listings/{listing.slug}/")
    expect(page.get_by_test_id("buy-note")).to_have_text("Sales of this listing are paused.")
    page.get_by_test_id("buy").click()
    expect(flash(page, "error")).to_have_text("Sales of this listing are paused.")
    expect(page.get_by_test_id("buy")).to_be_enabled()
    assert wallet.sent_transactions == []


def test_not_enough_eth_is_said_before_the_wallet_is_asked(signed_in_page, wallet, listing):
    client.get_web3().provider.make_request("anvil_setBalance", [wallet.address, hex(10**15)])
    page = signed_in_page
    open_listing(page, listing)
    page.get_by_test_id("buy").click()
    expect(flash(page, "error")).to_contain_text("Insufficient funds: this purchase costs 0.01 ETH")
    expect(page.get_by_test_id("buy")).to_be_enabled()
    assert "eth_sendTransaction" not in wallet.methods_called()


def test_a_reverted_purchase_says_why(signed_in_page, wallet, listing, monkeypatch):
    """A moderator pauses the listing after the wallet estimated the purchase's gas and before
    it is mined: the transaction goes out and reverts on chain."""
    page = signed_in_page
    open_listing(page, listing)
    fill = wallet_module._transaction_fill

    def fill_then_pause(*args, **kwargs):
        tx = fill(*args, **kwargs)  # estimated while still on sale
        pause = client.get_contract("Marketplace").functions.pauseListing(listing.onchain_id)
        client.transact(pause, account=deployer())
        return tx

    monkeypatch.setattr(wallet_module, "_transaction_fill", fill_then_pause)
    page.get_by_test_id("buy").click()
    expect(flash(page, "error")).to_have_text(
        "The transaction was reverted: Sales of this listing are paused. Nothing was bought; "
        "only the gas was spent."
    )
    expect(step(page, "confirming")).to_have_attribute("data-state", "failed")
    expect(page.get_by_test_id("buy")).to_be_enabled()
    receipt = client.get_web3().eth.get_transaction_receipt(wallet.sent_transactions[0])
    assert receipt["status"] == 0
