"""Review fixes: a scan that could not look blocks approval until a moderator rescans, pause and
delist need a reason, reports are rate-limited, flagged bytes never make a release or a
download."""

import pytest
from django.test import Client

from accounts.models import AuditEntry
from artifacts.storage import storage_for
from artifacts.tests.pickles import malicious_pickle
from core.errors import ApiError
from listings import services
from listings.models import Listing, Report
from listings.moderation import services as moderation
from listings.tests import factories
from listings.tests.moderation_helpers import listing_with_file, scan_files
from payments.access import downloads

pytestmark = pytest.mark.django_db
S = Listing.Status


@pytest.fixture
def moderator():
    return factories.user(moderator=True)


def _scanned_while_the_store_was_away(listing: Listing) -> None:
    """Scan the listing's files while their bytes are unreachable: an "error" verdict."""
    artifact = listing.versions.get().files.get().artifact
    path = storage_for(artifact).local_path(artifact.cid)
    hidden = path.with_name(path.name + ".away")
    path.rename(hidden)
    try:
        scan_files(listing)
    finally:
        hidden.rename(path)


def test_an_errored_scan_blocks_approval_until_a_moderator_rescans(
    moderator, django_capture_on_commit_callbacks
):
    listing = factories.complete_listing(stored=True)
    _scanned_while_the_store_was_away(listing)
    listing = services.listing_submit(listing=listing, actor=listing.creator)
    with pytest.raises(ApiError) as error:
        moderation.listing_moderate(listing=listing, action="approve", actor=moderator)
    assert (error.value.status_code, error.value.get_codes()) == (409, "scan_error")
    assert "model.bin" in str(error.value.detail)

    client = Client()
    client.force_login(moderator)
    review = client.get(f"/moderation/listings/{listing.slug}/").content.decode()
    assert 'data-verdict="error"' in review and 'data-testid="rescan"' in review
    with django_capture_on_commit_callbacks(execute=True):
        reply = client.post(f"/moderation/listings/{listing.slug}/rescan")
    assert reply.status_code == 302
    assert AuditEntry.objects.filter(action="listing.rescan", actor=moderator).exists()
    listing = moderation.listing_moderate(listing=listing, action="approve", actor=moderator)
    assert listing.status == S.PUBLISHED
    # Nothing left to rescan: a clear 409, not a 500.
    api = client.post(f"/api/v1/moderation/listings/{listing.slug}/rescan")
    assert api.status_code == 409 and api.json()["error"]["code"] == "nothing_to_rescan"
    assert client.post("/moderation/listings/no-such-listing/rescan").status_code == 404


def test_without_review_an_errored_scan_waits_in_review(settings):
    settings.LISTINGS_REQUIRE_REVIEW = False
    listing = factories.complete_listing(stored=True)
    _scanned_while_the_store_was_away(listing)
    assert services.listing_submit(listing=listing, actor=listing.creator).status == (
        S.PENDING_REVIEW
    )


def test_pause_and_delist_need_a_reason(moderator):
    listing = factories.complete_listing(stored=True)
    scan_files(listing)
    services.listing_submit(listing=listing, actor=listing.creator)
    moderation.listing_moderate(listing=listing, action="approve", actor=moderator)
    for action in ("pause", "delist"):
        with pytest.raises(ApiError) as error:
            moderation.listing_moderate(listing=listing, action=action, actor=moderator)
        assert error.value.get_codes() == "reason_required"
    client = Client()
    client.force_login(moderator)
    reply = client.post(f"/moderation/listings/{listing.slug}/act", {"action": "pause"})
    assert reply.status_code == 400 and "Give a reason" in reply.content.decode()
    assert Listing.objects.get(pk=listing.pk).status == S.PUBLISHED


def test_reports_are_rate_limited_per_person():
    reporter = factories.user()
    listings = [factories.listing(title=f"Listing {n}") for n in range(moderation.REPORTS_PER_HOUR)]
    for listing in listings:
        moderation.report_create(
            listing=listing, reporter=reporter, category="spam", text="Looks like spam to me"
        )
    one_more = factories.complete_listing(title="One more")
    Listing.objects.filter(pk=one_more.pk).update(status=S.PUBLISHED)  # reportable by anyone
    client = Client()
    client.force_login(reporter)
    reply = client.post(
        f"/api/v1/listings/{one_more.slug}/reports",
        {"category": "spam", "text": "Looks like spam to me"},
        content_type="application/json",
    )
    assert reply.status_code == 429 and reply.json()["error"]["code"] == "too_many_reports"
    assert Report.objects.filter(reporter=reporter).count() == moderation.REPORTS_PER_HOUR


def test_known_flagged_bytes_cannot_make_a_new_release(django_capture_on_commit_callbacks):
    listing = listing_with_file(
        path="model.pkl", content=malicious_pickle(), capture=django_capture_on_commit_callbacks
    )  # v1 was released before its scan finished: the scan flagged it afterwards
    flagged = listing.versions.get().files.get().artifact
    with pytest.raises(ApiError) as error:
        services.version_create(
            listing=listing, actor=listing.creator, tag="v2", files=[("weights.pkl", flagged)]
        )
    assert error.value.get_codes() == "file_flagged" and "weights.pkl" in str(error.value.detail)
    assert listing.versions.count() == 1


def test_flagged_bytes_are_never_served(django_capture_on_commit_callbacks):
    listing = listing_with_file(
        path="model.pkl", content=malicious_pickle(), capture=django_capture_on_commit_callbacks
    )
    link = downloads.download_link(
        listing=listing, address=listing.creator.address, path="model.pkl"
    )
    reply = Client().get(link.url)
    assert reply.status_code == 403 and reply.json()["error"]["code"] == "file_flagged"
