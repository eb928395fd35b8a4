"""A creator makes a listing in the browser: creates the draft, uploads two files (one over
20 MB, interrupted by a reload and resumed), releases a version, writes the card, sets tiers and
the split, and sees on the public page the CIDs the server computed."""

import os
import re

import pytest
from hexbytes import HexBytes
from playwright.sync_api import expect

from artifacts.cid import hash_file
from artifacts.models import Artifact, Upload
from chain import client
from listings import services
from listings.models import LicenseTerms, Listing
from payments.models import ListingOffer
from tests.e2e.helpers import flash, snapshot

pytestmark = pytest.mark.e2e
CHUNK = 2 * 1024 * 1024
BIG = 21 * 1024 * 1024 + 12345  # > 20 MB, not a whole number of chunks
PARTNER = "0x" + "ab" * 20
TERMS = "Open (commercial, derivatives, AI training)"
CARD = """---
license: apache-2.0
pipeline_tag: fill-mask
library_name: transformers
base_model: bert-base-uncased
datasets: [wikipedia]
language: en
tags: [nlp, bert]
---
# Tiny BERT

A **small** BERT for tests.
"""


@pytest.fixture(autouse=True)
def _terms_preset(transactional_db):
    """The preset the creator picks. Migrations make it, but a live-server test before this
    one may have flushed the database."""
    LicenseTerms.objects.get_or_create(
        owner=None,
        name=TERMS,
        # As the migration makes it: it grants what the card's apache-2.0 grants (a card that
        # contradicts the terms is refused).
        defaults={
            "commercial_use": True,
            "derivatives_allowed": True,
            "ai_training_allowed": True,
            "redistribution_allowed": True,
        },
    )


@pytest.fixture(autouse=True)
def _small_chunks(settings):
    settings.UPLOAD_CHUNK_BYTES = CHUNK  # more chunks: a bar to watch and a place to stop


def upload_item(page, name):
    return page.locator(f'[data-upload-item][data-filename="{name}"]')


def progress(page, name) -> tuple[float, float]:
    bar = upload_item(page, name).locator("[data-upload-progress]")
    return bar.evaluate("el => [el.value, el.max]")


def create_draft(page) -> Listing:
    page.get_by_role("link", name="New listing").click()
    page.get_by_label("Model").check()
    page.get_by_label("Title").fill("Tiny BERT")
    page.get_by_label("Summary").fill("A small BERT for tests.")
    page.get_by_role("button", name="Create draft").click()
    expect(page).to_have_url(re.compile(r"/listings/tiny-bert/edit/$"))
    return Listing.objects.get(slug="tiny-bert")


def upload_with_a_reload(page, small, big):
    """The small file goes through; the big one stops at 8 MiB, the page is reloaded, and the
    same file selected again continues from there."""
    chooser = page.locator("[data-upload-zone] input[type=file]")
    chooser.set_input_files(str(small))
    expect(page.locator(f'[data-new-file] input[value="{small.name}"]')).to_be_visible()

    page.route(
        "**/chunk",
        lambda route: (
            route.abort("internetdisconnected")
            if int(route.request.headers["upload-offset"]) >= 4 * CHUNK
            else route.continue_()
        ),
    )
    chooser.set_input_files(str(big))
    seen = set()
    status = upload_item(page, big.name).locator("[data-upload-status]")
    for _ in range(500):
        seen.add(tuple(progress(page, big.name)))
        if "retrying" in status.inner_text():
            break
        page.wait_for_timeout(20)
    assert any(0 < value < maximum for value, maximum in seen), seen  # the bar moved
    assert Upload.objects.get(filename=big.name).received == 4 * CHUNK

    page.unroute("**/chunk")
    page.reload()
    expect(page.locator("[data-upload-notice]")).to_contain_text(big.name)
    offsets = []
    page.on(
        "request",
        lambda r: (
            offsets.append(int(r.headers["upload-offset"])) if r.url.endswith("/chunk") else 0
        ),
    )
    chooser.set_input_files(str(big))
    expect(upload_item(page, big.name)).to_have_attribute("data-state", "done", timeout=30_000)
    assert offsets[0] == 4 * CHUNK  # resumed, not restarted
    assert Upload.objects.filter(filename=big.name).count() == 1


def release_version(page, big):
    rows = page.locator("[data-new-file]")
    expect(rows).to_have_count(2)  # the small file survived the reload
    page.locator(f'[data-new-file] input[value="{big.name}"]').fill(f"weights/{big.name}")
    page.get_by_label("Version tag").fill("v1.0.0")
    page.get_by_label("Changelog").fill("First release.")
    page.get_by_role("button", name="Release version").click()
    expect(flash(page, "success")).to_have_text("Version v1.0.0 released.")
    expect(page.locator('details.version[data-version="v1.0.0"]')).to_contain_text("2 files")
    expect(page.locator("[data-new-file]")).to_have_count(0)


def fill_details(page):
    page.get_by_label("Licence terms").select_option(label=TERMS)
    page.locator("#id_card").fill(CARD)
    page.get_by_role("tab", name="Preview").click()
    expect(page.locator("[data-card-preview] h1")).to_have_text("Tiny BERT")
    expect(page.locator("[data-card-preview-meta]")).to_contain_text("apache-2.0")
    page.get_by_role("button", name="Save details").click()
    expect(flash(page, "success")).to_have_text("Details saved.")


def set_tiers_and_split(page, wallet):
    tiers = page.get_by_test_id("tiers-form")
    tiers.locator('[name="tiers-0-name"]').fill("Download")
    tiers.locator('[name="tiers-0-price"]').fill("0.01")
    tiers.get_by_role("button", name="+ Add tier").click()
    tiers.locator('[name="tiers-1-name"]').fill("Monthly compute")
    tiers.locator('[name="tiers-1-price"]').fill("0.5")
    tiers.locator('[name="tiers-1-duration_days"]').fill("30")
    tiers.locator('[name="tiers-1-kind"]').select_option("compute")
    tiers.locator('[name="tiers-1-transferable"]').uncheck()
    tiers.locator('[name="tiers-1-supply_cap"]').fill("100")
    tiers.get_by_role("button", name="Save tiers").click()
    expect(flash(page, "success")).to_have_text("Tiers saved.")

    splits = page.get_by_test_id("splits-form")
    expect(splits.locator('[name="splits-0-address"]')).to_have_value(wallet.address)
    splits.locator('[name="splits-0-percent"]').fill("90")
    expect(splits.locator("[data-split-total]")).to_contain_text("must add up to 100%")
    splits.get_by_role("button", name="+ Add recipient").click()
    splits.locator('[name="splits-1-address"]').fill(PARTNER)
    splits.locator('[name="splits-1-percent"]').fill("10")
    splits.locator('[name="splits-1-label"]').fill("Data labelling")
    expect(splits.locator("[data-split-total]")).to_have_text("Total 100% ✓")
    splits.get_by_role("button", name="Save split").click()
    expect(flash(page, "success")).to_have_text("Split saved.")


def tokenize(page, wallet, listing, version):
    """The creator signs the listing offer in the wallet; the site keeps it, attests the
    release on chain and sends the listing to review. Declining first changes nothing."""
    page.goto(f"/listings/{listing.slug}/edit/#status")
    # Before signing, the page says which terms a first sale fixes for good (issue 14).
    expect(page.get_by_test_id("terms-fixed")).to_contain_text("After the first sale these never")
    wallet.reject_signatures = True
    page.get_by_test_id("tokenize").click()
    expect(flash(page, "error")).to_contain_text("You declined to sign the offer")
    assert not ListingOffer.objects.exists()
    wallet.reject_signatures = False
    page.get_by_test_id("tokenize").click()
    expect(flash(page, "success")).to_have_text(
        "Signed and submitted: a moderator will review your listing."
    )
    listing.refresh_from_db()
    assert listing.status == Listing.Status.PENDING_REVIEW
    offer = ListingOffer.objects.get(listing=listing)
    assert offer.message["contentDigest"] == version.content_digest
    version.refresh_from_db()
    assert version.release_uid
    page.goto(f"/listings/{listing.slug}/")
    expect(page.get_by_test_id("release-uid")).to_have_text(version.release_uid)


def safetensors_bytes(total: int) -> bytes:
    """A valid safetensors file of `total` bytes: one U8 tensor of random bytes."""
    width = 128  # the header is JSON padded with spaces, as the format allows
    n = total - 8 - width
    header = f'{{"w":{{"dtype":"U8","shape":[{n}],"data_offsets":[0,{n}]}}}}'.ljust(width)
    return width.to_bytes(8, "little") + header.encode() + os.urandom(n)


def test_create_a_listing_end_to_end(signed_in_page, wallet, tmp_path, contracts):
    page = signed_in_page
    page.on("dialog", lambda dialog: dialog.accept())  # "leave the page?" while uploading
    small = tmp_path / "config.json"
    small.write_text('{"hidden_size": 128}')
    big = tmp_path / "model.safetensors"
    big.write_bytes(safetensors_bytes(BIG))  # a real header: the automatic checks sniff it

    listing = create_draft(page)
    expect(page.get_by_test_id("tokenize")).to_be_disabled()
    upload_with_a_reload(page, small, big)
    release_version(page, big)
    fill_details(page)
    set_tiers_and_split(page, wallet)
    expect(page.get_by_test_id("tokenize")).to_be_enabled()
    snapshot(page, "listings__edit")

    page.get_by_test_id("view-page").click()
    version = listing.versions.get()
    files = page.get_by_test_id("files")
    for path, local in (("config.json", small), (f"weights/{big.name}", big)):
        computed = hash_file(local)
        artifact = Artifact.objects.get(cid=computed.cid)
        assert version.files.get(path=path).artifact == artifact
        row = files.locator(f'tr[data-path="{path}"]')
        expect(row.locator("[data-cid]")).to_have_text(artifact.cid)
        expect(row.locator("[data-sha256]")).to_have_text(artifact.sha256)
    expect(page.get_by_test_id("content-digest")).to_have_text(version.content_digest)
    expect(page.get_by_test_id("card-facts")).to_contain_text("transformers")
    expect(page.locator("[data-buy]")).to_contain_text("Purchases open when the listing")
    expect(page.locator("[data-buy]")).to_contain_text("30 days")
    expect(page.get_by_test_id("split")).to_contain_text("Data labelling")
    snapshot(page, "listings__detail")

    tokenize(page, wallet, listing, version)
    # A moderator approves (the moderation pages come with their own issue).
    services.listing_set_status(listing=listing, to_status="published", actor=None)
    page.goto("/listings/?q=tiny")
    card = page.locator('[data-listing="tiny-bert"]')
    expect(card).to_contain_text("from 0.01 ETH")
    expect(card).to_contain_text("fill-mask")
    snapshot(page, "listings__browse")

    page.set_viewport_size({"width": 390, "height": 844})  # a phone: one column, no overflow
    page.goto("/listings/tiny-bert/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    snapshot(page, "listings__detail_phone")

    renew_offer(page, listing)


def renew_offer(page, listing):
    """Offers are short-lived: the creator renews an unsold listing's offer from the edit page.
    The wallet signs the new offer and the cancellation of the old one, which the site relays,
    so the old offer can never register the listing (issue 14)."""
    old = ListingOffer.objects.get(listing=listing, status=ListingOffer.Status.ACTIVE)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"/listings/{listing.slug}/edit/#status")
    page.get_by_test_id("tokenize").click()
    expect(flash(page, "success")).to_have_text("Offer renewed: buyers can purchase it again.")
    old.refresh_from_db()
    assert old.status == ListingOffer.Status.SUPERSEDED and old.cancel_tx.startswith("0x")
    market = client.get_contract("Marketplace")
    assert market.functions.cancelledOffers(old.creator, HexBytes(old.digest)).call() is True
    listing.refresh_from_db()
    assert listing.status == Listing.Status.PUBLISHED
