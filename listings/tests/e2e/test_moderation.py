"""Moderators in the browser: approve and reject from the queue (the creator sees the reason),
a reported listing reaches the queue, a pause stops a buyer who already had the page open
(on-chain as well), and a denied wallet cannot sign in."""

import pytest
from django.contrib.auth.models import Group
from eth_account import Account
from playwright.sync_api import expect

from accounts.denylist import address_deny
from accounts.models import MODERATORS_GROUP, User
from chain import client
from chain.tests.helpers import reverts
from listings import services
from listings.models import LicenseTerms, Listing, Report
from listings.tests import factories
from payments.tests.buying import buyer_account, tokenized_listing
from payments.tests.indexing import buy
from tests.e2e.helpers import flash, sign_in, snapshot

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def _terms(transactional_db):
    """Live-server tests flush the database: recreate what migrations made."""
    LicenseTerms.objects.get_or_create(owner=None, name="Open")
    Group.objects.get_or_create(name=MODERATORS_GROUP)


def make_moderator(address: str) -> User:
    user = User.objects.filter(address=address).first() or User.objects.create_user(address)
    user.groups.add(Group.objects.get(name=MODERATORS_GROUP))
    return user


@pytest.fixture
def other_page(browser, live_server, make_wallet):
    """A second person in their own browser context, with anvil dev wallet #3."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15_000)
    wallet = make_wallet(3)
    wallet.install(context)
    yield context.new_page(), wallet
    context.close()


def submitted(*, title: str, creator: User | None = None) -> Listing:
    # Stored bytes: a file the scanner cannot read blocks approval.
    listing = factories.complete_listing(title=title, creator=creator, stored=True)
    return services.listing_submit(listing=listing, actor=listing.creator)


def test_moderator_approves_and_rejects_in_the_browser(page, wallet, other_page):
    creator_page, creator_wallet = other_page
    creator = User.objects.create_user(creator_wallet.address)
    good = submitted(title="Well described model", creator=creator)
    bad = submitted(title="Copied model", creator=creator)
    make_moderator(wallet.address)
    sign_in(page, wallet)
    page.get_by_test_id("nav-moderation").click()
    queue = page.get_by_test_id("queue")
    expect(queue.locator(f'[data-listing="{good.slug}"]')).to_be_visible()
    expect(queue.locator(f'[data-listing="{bad.slug}"]')).to_be_visible()
    snapshot(page, "moderation__queue")

    page.get_by_test_id(f"review-{good.slug}").click()
    expect(page.get_by_test_id("files")).to_contain_text("model.bin")
    expect(page.get_by_test_id("creator-history")).to_contain_text("Copied model")
    page.get_by_test_id("action-approve").click()
    expect(flash(page, "success")).to_contain_text("Approved")
    expect(queue.locator(f'[data-listing="{good.slug}"]')).to_have_count(0)

    page.get_by_test_id(f"review-{bad.slug}").click()
    page.get_by_test_id("action-reject").click()  # no reason: refused, nothing changes
    expect(flash(page, "error")).to_contain_text("Give a reason")
    page.get_by_test_id("moderate-reason").fill("The card is copied from another model.")
    page.get_by_test_id("action-reject").click()
    expect(flash(page, "success")).to_contain_text("Rejected")
    snapshot(page, "moderation__rejected")
    statuses = dict(Listing.objects.values_list("slug", "status"))
    assert statuses == {good.slug: "published", bad.slug: "draft"}

    sign_in(creator_page, creator_wallet, start=f"/listings/{bad.slug}/edit/")
    expect(creator_page.get_by_test_id("moderator-note")).to_contain_text(
        "The card is copied from another model."
    )
    snapshot(creator_page, "moderation__creator_sees_reason")


def test_a_reported_listing_shows_in_the_queue(signed_in_page, wallet):
    listing = submitted(title="Suspicious weights")
    services.listing_set_status(listing=listing, to_status="published", actor=None)
    page = signed_in_page
    page.goto(f"/listings/{listing.slug}/")
    page.get_by_test_id("report-listing").click()
    page.locator("#id_category").select_option("malware")
    page.locator("#id_text").fill("The checkpoint downloads a binary when loaded.")
    page.get_by_test_id("report-submit").click()
    expect(flash(page, "success")).to_contain_text("moderators will look at your report")
    report = Report.objects.get()
    assert (report.category, report.reporter.address) == ("malware", wallet.address)

    make_moderator(wallet.address)
    page.goto("/moderation/")
    expect(
        page.get_by_test_id("reported").locator(f'[data-listing="{listing.slug}"]')
    ).to_contain_text("1 open report")
    page.goto("/moderation/reports/")
    group = page.locator(f'[data-testid="report-group"][data-listing="{listing.slug}"]')
    expect(group).to_contain_text("The checkpoint downloads a binary when loaded.")
    snapshot(page, "moderation__reports")
    page.get_by_test_id(f"decision-{report.pk}").fill("Paused pending a rescan.")
    page.get_by_test_id(f"actioned-{report.pk}").click()
    expect(flash(page, "success")).to_contain_text("Report resolved")
    report.refresh_from_db()
    assert (report.status, report.decision) == ("actioned", "Paused pending a rescan.")


def test_a_pause_makes_the_purchase_fail_in_the_page_and_on_chain(
    signed_in_page, wallet, other_page, contracts
):
    listing = tokenized_listing(creator_key=Account.create(), title="Pausable model")
    buyer_page = signed_in_page
    buyer_page.goto(f"/listings/{listing.slug}/")
    expect(buyer_page.get_by_test_id("buy")).to_be_enabled()  # the buyer has the page open

    moderator_page, moderator_wallet = other_page
    make_moderator(moderator_wallet.address)
    sign_in(moderator_page, moderator_wallet, start=f"/moderation/listings/{listing.slug}/")
    moderator_page.get_by_test_id("moderate-reason").fill("Reported as malware")
    moderator_page.get_by_test_id("action-pause").click()
    expect(flash(moderator_page, "success")).to_contain_text("Paused")
    expect(moderator_page.get_by_test_id("review-status")).to_have_text("Paused")
    market = client.get_contract("Marketplace")
    assert market.functions.listing(listing.onchain_id).call()[-1] is True  # paused on-chain

    buyer_page.get_by_test_id("buy").click()
    expect(flash(buyer_page, "error")).to_have_text("Sales of this listing are paused.")
    assert wallet.sent_transactions == []
    snapshot(buyer_page, "moderation__paused_purchase")
    with reverts("ListingIsPaused"):
        buy(listing, buyer_account(2))  # straight to the contract: refused there too


def test_a_denied_address_cannot_sign_in(page, wallet):
    admin = User.objects.create_superuser("0x" + "ad" * 20)
    address_deny(address=wallet.address, reason="Phishing links in cards", actor=admin)
    page.goto("/")
    page.get_by_test_id("sign-in").click()
    expect(flash(page, "error")).to_contain_text("This wallet address is blocked")
    expect(page.get_by_test_id("account")).to_have_count(0)
    snapshot(page, "moderation__denied_sign_in")
