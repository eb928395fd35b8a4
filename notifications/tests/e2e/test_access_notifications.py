"""Notifications in the browser (issue 17): a person asks for access to a gated tier; the
creator sees the badge in the header, the request in the inbox (and gets it by e-mail, having
given an address), approves it; the requester sees the badge, reads the decision, and finds the
access under My licences."""

import pytest
from django.core import mail
from eth_account import Account
from playwright.sync_api import expect

from accounts.models import User
from listings.models import LicenseTerms
from payments.tests.buying import TierSpec, tokenized_listing
from tests.e2e.helpers import sign_in, snapshot

pytestmark = pytest.mark.e2e


@pytest.fixture
def gated(contracts, transactional_db, make_wallet):
    LicenseTerms.objects.get_or_create(owner=None, name="Open")  # a flushed DB loses presets
    creator_wallet = make_wallet(2)
    creator = User.objects.create_user(creator_wallet.address)
    User.objects.filter(pk=creator.pk).update(email="creator@example.org")
    listing = tokenized_listing(
        creator_key=Account.from_key(creator_wallet.account.key),
        title="Gated corpus",
        tiers=[
            TierSpec(name="Research", price_wei=0, requires_approval=True),
            TierSpec(name="Commercial", price_wei=5 * 10**16),
        ],
    )
    return listing, creator_wallet


def badge(page):
    return page.get_by_test_id("inbox-badge")


def test_access_request_and_approval_are_notified(signed_in_page, browser, gated):
    listing, creator_wallet = gated
    requester = signed_in_page
    requester.goto(f"/listings/{listing.slug}/")
    requester.get_by_test_id("request-access-0").click()
    requester.get_by_label("How will you use it?").fill("Benchmarking tokenizers for a paper.")
    requester.get_by_label("I accept").check()
    requester.get_by_role("button", name="Send request").click()
    expect(requester.get_by_test_id("access-status")).to_have_attribute("data-status", "pending")
    expect(badge(requester)).to_have_count(0)

    # The creator, in another browser: a badge, the request in the inbox, and an e-mail.
    creator_context = browser.new_context(base_url=requester.url.split("/listings")[0])
    creator_wallet.install(creator_context)
    creator = sign_in(creator_context.new_page(), creator_wallet)
    expect(badge(creator)).to_contain_text("1")
    creator.get_by_test_id("inbox-link").click()
    item = creator.locator('[data-notification="access_request"]')
    expect(item).to_contain_text("asks for access to Gated corpus (Research)")
    expect(item).to_contain_text("Benchmarking tokenizers")
    assert [m.to for m in mail.outbox] == [["creator@example.org"]]
    assert "Gated corpus" in mail.outbox[0].subject
    snapshot(creator, "notifications__inbox_creator")
    creator.get_by_test_id("mark-all-read").click()
    expect(badge(creator)).to_have_count(0)

    item = creator.locator('[data-notification="access_request"]')
    item.get_by_role("link").click()
    creator.get_by_role("button", name="Approve").click()
    expect(creator.locator("[data-request]")).to_have_attribute("data-status", "approved")
    creator_context.close()

    # The requester: told of the decision, and the access is a licence like the others.
    requester.reload()
    expect(badge(requester)).to_contain_text("1")
    requester.get_by_test_id("inbox-link").click()
    decision = requester.locator('[data-notification="access_decision"]')
    expect(decision).to_contain_text("Your access to Gated corpus (Research) was approved")
    decision.get_by_role("link").click()
    row = requester.locator(f'[data-licence="{listing.slug}:0"]')
    expect(row).to_contain_text("Research")
    expect(row).to_contain_text("approved request")
    expect(row).to_have_attribute("data-grant", "")
    assert len(mail.outbox) == 1  # the requester gave no address: no mail for them
