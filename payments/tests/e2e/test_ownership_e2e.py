"""Handing a listing over in headless Chromium, on anvil with the real indexer: the creator of a
listing that was never sold reviews what the transfer changes (and that it must be registered
first), signs the two transactions in the wallet, and once the indexer has the transfer the
new owner signs in, releases a version and signs its attestation, while the creator can no
longer manage it."""

import pytest
from django.conf import settings
from hexbytes import HexBytes
from playwright.sync_api import expect

from chain import client, provenance
from listings.models import LicenseTerms, Listing
from payments.tests.indexing import TierSpec, index, mine, tokenized_listing
from tests.e2e.helpers import flash, sign_in, snapshot

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def _terms(transactional_db, contracts):
    LicenseTerms.objects.get_or_create(owner=None, name="Open")


def _confirm_step(status, label: str) -> None:
    """The wallet sent step `label`: bury it under CONFIRMATIONS blocks."""
    expect(status).to_contain_text(f"Mined ({label})", timeout=20_000)
    mine(settings.CONFIRMATIONS)


def test_creator_hands_the_listing_over_and_the_new_owner_releases_a_version(
    signed_in_page, wallet, make_wallet, browser, live_server, tmp_path
):
    listing = tokenized_listing(
        creator_key=wallet.account, tiers=[TierSpec(name="Download", price_wei=10**16)]
    )
    heir = make_wallet(2)
    page = signed_in_page

    page.goto(f"/listings/{listing.slug}/")
    expect(page.get_by_test_id("ownership-unregistered")).to_be_visible()
    page.goto(f"/dashboard/listings/{listing.slug}/")
    panel = page.get_by_test_id("ownership-transfer")
    expect(panel.get_by_test_id("transfer-unregistered")).to_contain_text("registering it first")
    panel.get_by_test_id("transfer-to").fill(heir.address)
    panel.get_by_test_id("transfer-review").click()
    consequences = panel.get_by_test_id("transfer-consequences")
    expect(consequences).to_contain_text("not registered on-chain yet")
    expect(consequences).to_contain_text(f"{heir.address} becomes the listing's owner")
    expect(consequences).to_contain_text("You lose all of that")
    snapshot(page, "payments__ownership_transfer_review")
    send = panel.get_by_test_id("transfer-send")
    expect(send).to_be_disabled()  # not before the owner says they understood
    assert wallet.sent_transactions == []
    panel.get_by_test_id("transfer-confirm").check()
    send.click()
    status = panel.get_by_test_id("transfer-status")
    _confirm_step(status, "1/2")  # register, with the creator's signed offer
    _confirm_step(status, "2/2")  # safeTransferFrom
    expect(status).to_have_attribute("data-state", "confirmed", timeout=20_000)
    index(confirmations=settings.CONFIRMATIONS)
    expect(status).to_have_attribute("data-state", "indexed", timeout=20_000)
    assert len(wallet.sent_transactions) == 2
    assert Listing.objects.get(pk=listing.pk).owner_address == heir.address

    # The public page shows who holds it now, and the creator manages it no longer.
    page.goto(f"/listings/{listing.slug}/")
    history = page.get_by_test_id("ownership-history")
    expect(history.locator(f'[data-holder="{heir.address}"]')).to_contain_text("owner now")
    assert page.goto(f"/listings/{listing.slug}/edit/").status == 404

    # The new owner signs in with their own wallet and releases a version.
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    try:
        heir.install(context)
        owner_page = sign_in(context.new_page(), heir)
        owner_page.goto(f"/listings/{listing.slug}/edit/")
        notes = tmp_path / "NOTES.md"
        notes.write_text("Maintained by its new owner.\n")
        owner_page.locator("[data-upload-zone] input[type=file]").set_input_files(str(notes))
        item = owner_page.locator('[data-upload-item][data-filename="NOTES.md"]')
        expect(item).to_have_attribute("data-state", "done", timeout=30_000)
        owner_page.get_by_label("Version tag").fill("v2")
        owner_page.get_by_label("Changelog").fill("Released by the new owner.")
        owner_page.get_by_role("button", name="Release version").click()
        expect(flash(owner_page, "success")).to_have_text("Version v2 released.")
        # The new owner signs the release in their wallet; the marketplace relays it to EAS.
        owner_page.locator(
            'details.version[data-version="v2"] [data-testid="sign-release"]'
        ).click()
        expect(flash(owner_page, "success")).to_have_text("Version v2 signed and attested.")
        snapshot(owner_page, "payments__ownership_new_owner_release")
    finally:
        context.close()
    version = listing.versions.get(tag="v2")
    assert version.released_by == heir.address
    found = provenance.read_attestation(
        client.get_contract("EAS"), bytes(HexBytes(version.release_uid)), provenance.MODEL_RELEASE
    )
    assert found["attester"] == heir.address  # signed by the new owner, not the platform
    assert found["data"]["contentDigest"] == bytes(HexBytes(version.content_digest))
