"""The edit page is several forms that each post and reload the page. Saving one section must not
drop what was typed in another, and a version (immutable once released) cannot be released while
one of its files is still uploading."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from listings.tests import factories
from tests.e2e.helpers import flash, snapshot

pytestmark = pytest.mark.e2e
CARD = "---\npipeline_tag: text-classification\n---\n# Kept\n\nTyped before saving the tiers.\n"


@pytest.fixture
def draft(wallet, transactional_db):
    creator, _ = User.objects.get_or_create(address=wallet.address)
    return factories.listing(creator=creator, title="Drafty model")


def test_unsaved_card_survives_saving_the_tiers(signed_in_page, draft):
    page = signed_in_page
    page.goto(f"/listings/{draft.slug}/edit/")
    page.locator("#id_card").fill(CARD)  # typed, not saved
    tiers = page.get_by_test_id("tiers-form")
    tiers.locator('[name="tiers-0-name"]').fill("Download")
    tiers.locator('[name="tiers-0-price"]').fill("0.02")
    page.get_by_test_id("splits-form").locator('[name="splits-0-label"]').fill("Me, unsaved")
    tiers.get_by_role("button", name="Save tiers").click()

    expect(flash(page, "success")).to_have_text("Tiers saved.")
    assert [t.name for t in draft.tiers.all()] == ["Download"]
    details = page.get_by_test_id("details-form")
    expect(page.locator("#id_card")).to_have_value(CARD)  # the other section kept its input
    expect(details.locator("[data-draft-note]")).to_contain_text("unsaved changes here were kept")
    expect(page.get_by_test_id("tiers-form").locator("[data-draft-note]")).to_have_count(0)
    snapshot(page, "listings__edit_draft_kept")

    details.get_by_role("button", name="Save details").click()
    expect(flash(page, "success")).to_have_text("Details saved.")
    draft.refresh_from_db()
    assert draft.card.replace("\r\n", "\n").strip() == CARD.strip()  # forms post CRLF
    expect(page.locator("[data-draft-note]")).to_have_count(1)  # only the split's, still unsaved
    page.get_by_test_id("splits-form").get_by_role("button", name="discard them").click()
    expect(page.locator("[data-draft-note]")).to_have_count(0)
    page.reload()
    expect(page.locator("[data-draft-note]")).to_have_count(0)


def test_release_waits_for_every_upload(signed_in_page, draft, tmp_path):
    page = signed_in_page
    page.goto(f"/listings/{draft.slug}/edit/")
    first, second = tmp_path / "config.json", tmp_path / "weights.bin"
    first.write_text('{"a": 1}')
    second.write_bytes(b"\0" * 4096)
    chooser = page.locator("[data-upload-zone] input[type=file]")
    release = page.get_by_role("button", name="Release version")

    chooser.set_input_files(str(first))
    expect(page.locator("[data-new-file]")).to_have_count(1)
    expect(release).to_be_enabled()

    held = []  # the second file's chunk waits here, as on a slow connection
    page.route("**/chunk", lambda route: held.append(route))
    with page.expect_request("**/chunk"):
        chooser.set_input_files(str(second))
    expect(release).to_be_disabled()
    expect(page.locator("[data-release-waiting]")).to_have_text(
        "Waiting for 1 upload to finish before releasing."
    )
    for _ in range(100):  # the route handler runs on the next turn of Playwright's loop
        if held:
            break
        page.wait_for_timeout(20)
    assert held, "the chunk request never reached the route"
    for route in held:
        route.continue_()
    page.unroute("**/chunk")
    expect(page.locator("[data-new-file]")).to_have_count(2)
    expect(release).to_be_enabled()
    expect(page.locator("[data-release-waiting]")).to_have_text("")
