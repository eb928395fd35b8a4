"""The dashboard in headless Chromium, with real purchases on anvil and the real indexer.

Creator: every figure on the page equals the sums computed from the contract's events, to the
wei; the revenue chart draws real data (screenshot in test-artifacts/); the split editor shows
the current and the new split side by side before the wallet sends setSplits, and the sale
after the change is paid by the new split. Contributor: a credited ETH balance is withdrawn
from the browser, and goes to zero on-chain and on the page. Admin: the platform fee is set
within the contract's cap from the browser, refused clearly without the contract's role."""

import json

import pytest
from django.conf import settings
from playwright.sync_api import expect

from accounts.models import User
from chain import client
from listings.models import LicenseTerms
from payments.tests.buying import deployer, received
from payments.tests.dashboard_helpers import ETH, chain_sums, days_later, sell
from payments.tests.indexing import buy, index, mine, wallets
from tests.e2e.helpers import flash, snapshot

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def _terms(transactional_db, contracts):
    LicenseTerms.objects.get_or_create(owner=None, name="Open")


def wei_of(locator) -> int:
    return int(locator.get_attribute("data-wei"))


def check_figures(page, sales) -> None:
    """Each revenue row, total and recipient row on the page equals the chain's sums."""
    sums = chain_sums(sales.listing)
    expect(page.get_by_test_id("sales-count")).to_have_text(str(sums["sales"]))
    for (tier, currency), amount in sums["revenue"].items():
        row = page.locator(
            f'[data-testid=revenue-row][data-tier="{tier}"][data-currency="{currency}"]'
        )
        assert wei_of(row.locator("[data-revenue]")) == amount
    for currency, amount in sums["totals"].items():
        total = page.locator(f'[data-testid=revenue-total][data-currency="{currency}"]')
        assert wei_of(total) == amount
    rows = page.get_by_test_id("recipient-row")
    seen = {}
    for i in range(rows.count()):
        row = rows.nth(i)
        account, currency = row.get_attribute("data-account"), row.get_attribute("data-currency")
        for cell, name in (("[data-paid]", "Paid"), ("[data-credited]", "Credited")):
            amount = wei_of(row.locator(cell))
            if amount:
                seen[(account, currency, name)] = amount
    assert seen == sums["received"]


def chart_pixels(page) -> list[int]:
    """Painted pixels per chart canvas: a chart with real lines has thousands."""
    return page.evaluate(
        """() => [...document.querySelectorAll('[data-charts] canvas')].map((c) => {
            const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let painted = 0;
            for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
            return painted;
        })"""
    )


def test_creator_dashboard_matches_the_chain_and_a_split_change_applies_after(
    signed_in_page, wallet
):
    sales = sell(creator=wallet.account)
    index()
    page = signed_in_page
    page.get_by_test_id("nav-dashboard").click()
    check_figures(page, sales)

    charts = page.get_by_test_id("charts")
    expect(charts).to_have_attribute("data-rendered", "true")
    expect(page.get_by_test_id("revenue-chart")).to_have_count(2)  # ETH and the token
    assert all(pixels > 500 for pixels in chart_pixels(page)), chart_pixels(page)
    config = json.loads(page.locator("#dashboard-config").text_content())
    drawn = {c["currency"]["address"]: sum(int(w) for s in c["series"] for w in s["wei"])
             for c in config["charts"]}  # fmt: skip
    assert drawn == chain_sums(sales.listing)["totals"]
    snapshot(page, "payments__dashboard_chart")
    page.get_by_test_id("period-weekly").click()
    expect(page.get_by_test_id("charts")).to_have_attribute("data-rendered", "true")
    check_figures(page, sales)

    # Change the split from the listing's dashboard page: review, then the wallet sends it.
    page.get_by_test_id("dashboard-listing-link").first.click()
    editor = page.get_by_test_id("split-editor")
    rows = editor.locator("[data-split-row]")
    expect(rows).to_have_count(3)
    rows.nth(0).locator("[name=percent]").fill("50")  # the creator: 70% → 50%
    rows.nth(1).locator("[name=percent]").fill("40")  # the partner: 20% → 40%
    page.get_by_test_id("split-review").click()
    compare = page.get_by_test_id("split-compare")
    partner = compare.locator(f'tr[data-address="{sales.partner}"]')
    expect(partner.locator("[data-old]")).to_have_attribute("data-old", "2000")
    expect(partner.locator("[data-new]")).to_have_attribute("data-new", "4000")
    snapshot(page, "payments__split_review")
    assert wallet.sent_transactions == []  # nothing sent before the review is confirmed
    page.get_by_test_id("split-send").click()
    status = page.get_by_test_id("split-status")
    expect(status).to_have_attribute("data-state", "confirming")
    mine(settings.CONFIRMATIONS)
    expect(status).to_have_attribute("data-state", "confirmed")
    index(confirmations=settings.CONFIRMATIONS)
    expect(status).to_have_attribute("data-state", "indexed")
    (change_tx,) = wallet.sent_transactions

    # The next sale pays the new split; the earlier ones keep the old one.
    after = buy(sales.listing, sales.buyers[0])
    index()
    market = client.get_contract("Marketplace")
    total = 10**16 + 7
    net = total - total * market.functions.feeBps().call() // 10_000
    # Measured on chain: the partner's balance grew by its new share.
    assert received(after)[(sales.partner, ETH, "Paid")] == net * 4_000 // 10_000
    page.goto("/dashboard/")
    check_figures(page, sales)  # now with the fourth sale, paid by the new split
    assert chain_sums(sales.listing)["sales"] == 4
    page.goto(f"/dashboard/listings/{sales.listing.slug}/")
    history = page.get_by_test_id("change-row").first
    expect(history).to_contain_text(change_tx)
    expect(history).to_contain_text("40%")


def test_contributor_withdraws_a_credited_balance_from_the_browser(signed_in_page, wallet):
    creator = wallets(1)[0]
    sales = sell(creator=creator, contributor=wallet.account)
    index()
    sums = chain_sums(sales.listing)
    credited = sums["received"][(wallet.address, ETH, "Credited")]
    market = client.get_contract("Marketplace")
    assert market.functions.credits(wallet.address, ETH).call() == credited > 0

    page = signed_in_page
    page.goto("/dashboard/")
    contributed = page.locator(f'[data-testid=contributor-row][data-currency="{ETH}"]')
    assert wei_of(contributed.locator("[data-credited]")) == credited
    row = page.get_by_test_id("balance-ETH")
    assert wei_of(row.locator("[data-balance-onchain]")) == credited
    assert wei_of(row.locator("[data-balance-ledger]")) == credited

    row.get_by_test_id("withdraw").click()
    status = row.get_by_test_id("withdraw-status")
    expect(status).to_have_attribute("data-state", "confirming")
    (tx_hash,) = wallet.sent_transactions
    expect(row.get_by_test_id("withdraw-tx")).to_have_text(tx_hash)
    snapshot(page, "payments__withdraw_pending")
    mine(settings.CONFIRMATIONS)
    expect(status).to_have_attribute("data-state", "confirmed")
    assert market.functions.credits(wallet.address, ETH).call() == 0  # on-chain at once
    index(confirmations=settings.CONFIRMATIONS)
    expect(status).to_have_attribute("data-state", "indexed")
    expect(row.locator("[data-balance-onchain]")).to_have_attribute("data-wei", "0")
    expect(row.locator("[data-balance-ledger]")).to_have_attribute("data-wei", "0")
    expect(flash(page, "success")).to_contain_text("Withdrawn")
    snapshot(page, "payments__withdraw_done")

    page.reload()  # the server's view agrees
    expect(page.get_by_test_id("balance-ETH").locator("[data-balance-onchain]")).to_have_attribute(
        "data-wei", "0"
    )
    expect(page.get_by_test_id("balance-ETH").get_by_test_id("withdraw")).to_have_count(0)


def test_an_admin_sets_the_platform_fee_from_the_browser(signed_in_page, wallet):
    market = client.get_contract("Marketplace")
    User.objects.filter(address=wallet.address).update(is_staff=True)
    page = signed_in_page
    page.goto("/dashboard/platform/")
    expect(page.get_by_test_id("fee-not-admin")).to_contain_text(wallet.address)  # no role yet

    # The admin role moves in two steps with a delay (contracts v2): the deployer begins, the
    # new admin accepts once the delay has passed.
    client.transact(market.functions.beginDefaultAdminTransfer(wallet.address), account=deployer())
    days_later(3)
    mine(1)  # the delay has passed in a mined block, so the transaction's estimate sees it
    client.transact(market.functions.acceptDefaultAdminTransfer(), account=wallet.account)
    page.reload()
    expect(page.get_by_test_id("fee-cap")).to_contain_text("1000 bps")
    page.get_by_test_id("fee-input").fill("1001")  # above the cap: the server refuses
    page.get_by_test_id("fee-input").evaluate("input => input.removeAttribute('max')")
    page.get_by_test_id("fee-send").click()
    expect(page.get_by_test_id("fee-status")).to_have_attribute("data-state", "failed")
    expect(flash(page, "error")).to_contain_text("1000 basis points")
    assert wallet.sent_transactions == []

    # A lower fee applies once mined and indexed.
    page.get_by_test_id("fee-input").fill("200")
    page.get_by_test_id("fee-send").click()
    expect(page.get_by_test_id("fee-status")).to_have_attribute("data-state", "confirming")
    mine(settings.CONFIRMATIONS)
    index(confirmations=settings.CONFIRMATIONS)
    expect(page.get_by_test_id("fee-status")).to_have_attribute("data-state", "indexed")
    assert market.functions.feeBps().call() == 200
    page.reload()
    expect(page.get_by_test_id("fee-bps")).to_have_attribute("data-bps", "200")

    # A rise is only announced: the fee stays until the notice period is over.
    page.get_by_test_id("fee-input").fill("300")
    page.get_by_test_id("fee-send").click()
    expect(page.get_by_test_id("fee-status")).to_have_attribute("data-state", "confirming")
    mine(settings.CONFIRMATIONS)
    expect(page.get_by_test_id("fee-status")).to_have_attribute("data-state", "announced")
    assert market.functions.feeBps().call() == 200
    page.reload()
    expect(page.get_by_test_id("fee-bps")).to_have_attribute("data-bps", "200")
    expect(page.get_by_test_id("fee-pending")).to_have_attribute("data-bps", "300")
    snapshot(page, "payments__platform_fee")
    days_later(8)
    mine(1)
    client.transact(market.functions.applyPlatformFee(), account=deployer())  # anyone may
    index(confirmations=0)
    page.reload()
    expect(page.get_by_test_id("fee-bps")).to_have_attribute("data-bps", "300")
    expect(page.get_by_test_id("fee-pending")).to_have_count(0)
