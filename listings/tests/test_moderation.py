import pytest
from django.test import Client

from accounts.models import AuditEntry
from artifacts.tests.pickles import malicious_pickle, malicious_protocol0_pickle, safe_pickle
from core.errors import ApiError
from listings import services
from listings.models import Listing, Report
from listings.moderation import services as moderation
from listings.tests import factories
from listings.tests.moderation_helpers import listing_with_file, scan_files

pytestmark = pytest.mark.django_db
S = Listing.Status


@pytest.fixture
def moderator():
    return factories.user(moderator=True)


def _submitted(**kwargs) -> Listing:
    listing = factories.complete_listing(stored=True, **kwargs)
    scan_files(listing)
    return services.listing_submit(listing=listing, actor=listing.creator)


def test_a_malicious_pickle_blocks_submission_naming_the_file(django_capture_on_commit_callbacks):
    listing = listing_with_file(
        path="model.pkl", content=malicious_pickle(), capture=django_capture_on_commit_callbacks
    )
    with pytest.raises(ApiError) as error:
        services.listing_submit(listing=listing, actor=listing.creator)
    assert error.value.status_code == 422
    assert "model.pkl" in str(error.value.detail) and "system" in str(error.value.detail)
    assert Listing.objects.get(pk=listing.pk).status == S.DRAFT


def test_a_safe_pickle_passes_and_can_be_approved(django_capture_on_commit_callbacks, moderator):
    listing = listing_with_file(
        path="model.pkl", content=safe_pickle(), capture=django_capture_on_commit_callbacks
    )
    services.listing_submit(listing=listing, actor=listing.creator)
    listing = moderation.listing_moderate(listing=listing, action="approve", actor=moderator)
    assert listing.status == S.PUBLISHED


def test_a_pickle_disguised_as_safetensors_is_flagged(django_capture_on_commit_callbacks):
    listing = listing_with_file(
        path="model.safetensors", content=safe_pickle(), capture=django_capture_on_commit_callbacks
    )
    with pytest.raises(ApiError) as error:
        services.listing_submit(listing=listing, actor=listing.creator)
    assert "named .safetensors but the bytes are pickle" in str(error.value.detail)


def test_approval_refuses_missing_metadata(moderator):
    listing = _submitted(card="", summary="")
    with pytest.raises(ApiError) as error:
        moderation.listing_moderate(listing=listing, action="approve", actor=moderator)
    assert error.value.status_code == 422
    assert "a task" in str(error.value.detail) and "a description" in str(error.value.detail)


def test_reject_needs_a_reason_and_the_creator_sees_it_and_resubmits(moderator):
    listing = _submitted()
    with pytest.raises(ApiError):
        moderation.listing_moderate(listing=listing, action="reject", actor=moderator)
    moderation.listing_moderate(
        listing=listing, action="reject", actor=moderator, reason="The card copies another model"
    )
    assert Listing.objects.get(pk=listing.pk).status == S.DRAFT
    client = Client()
    client.force_login(listing.creator)
    page = client.get(f"/listings/{listing.slug}/edit/").content.decode()
    assert "A moderator sent this listing back" in page and "The card copies another model" in page
    assert (
        services.listing_submit(listing=listing, actor=listing.creator).status == S.PENDING_REVIEW
    )
    entry = AuditEntry.objects.get(action="listing.reject")
    assert (entry.actor, entry.target_id, entry.reason) == (
        moderator,
        str(listing.pk),
        "The card copies another model",
    )


def test_request_changes_pause_unpause_delist_are_audited(moderator):
    listing = _submitted()
    moderation.listing_moderate(
        listing=listing, action="request_changes", actor=moderator, reason="Add an eval table"
    )
    services.listing_submit(listing=listing, actor=listing.creator)
    moderation.listing_moderate(listing=listing, action="approve", actor=moderator)
    moderation.listing_moderate(listing=listing, action="pause", actor=moderator, reason="Report")
    moderation.listing_moderate(listing=listing, action="unpause", actor=moderator)
    moderation.listing_moderate(listing=listing, action="delist", actor=moderator, reason="Gone")
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == [
        "listing.request_changes",
        "listing.approve",
        "listing.pause",
        "listing.unpause",
        "listing.delist",
    ]
    with pytest.raises(ApiError) as error:
        moderation.listing_moderate(listing=listing, action="approve", actor=moderator)
    assert error.value.status_code == 409


def test_non_moderators_cannot_moderate():
    listing = _submitted()
    for actor in (listing.creator, factories.user()):
        with pytest.raises(ApiError) as error:
            moderation.listing_moderate(listing=listing, action="approve", actor=actor)
        assert error.value.status_code == 403


def test_reports_are_created_once_and_resolved_with_a_decision(moderator):
    listing = _submitted()
    reporter = factories.user()
    report = moderation.report_create(
        listing=listing, reporter=reporter, category="copyright", text="This is my dataset."
    )
    with pytest.raises(ApiError) as error:
        moderation.report_create(
            listing=listing, reporter=reporter, category="spam", text="Reporting it again"
        )
    assert error.value.status_code == 409
    with pytest.raises(ApiError):
        moderation.report_create(
            listing=listing, reporter=listing.creator, category="spam", text="my own listing"
        )
    moderation.report_resolve(
        report=report, actor=moderator, status="dismissed", decision="The licence allows it."
    )
    report.refresh_from_db()
    assert (report.status, report.decision, report.resolved_by) == (
        Report.Status.DISMISSED,
        "The licence allows it.",
        moderator,
    )
    assert AuditEntry.objects.filter(action="report.dismissed", reason="The licence allows it.")
    with pytest.raises(ApiError) as error:
        moderation.report_resolve(report=report, actor=moderator, status="actioned", decision="x")
    assert error.value.status_code == 409


def test_report_page_and_api(moderator):
    listing = _submitted()
    moderation.listing_moderate(listing=listing, action="approve", actor=moderator)
    client = Client()
    client.force_login(factories.user())
    page = client.get(f"/listings/{listing.slug}/")
    assert f'href="/listings/{listing.slug}/report"' in page.content.decode()
    reply = client.post(
        f"/listings/{listing.slug}/report", {"category": "malware", "text": "It runs a miner."}
    )
    assert reply.status_code == 302
    reply = client.post(
        f"/api/v1/listings/{listing.slug}/reports",
        {"category": "spam", "text": "Spam, reported twice"},
        content_type="application/json",
    )
    assert reply.status_code == 409  # one open report per person
    assert reply.json()["error"]["code"] == "already_reported"
    client.force_login(moderator)
    queue = client.get("/moderation/").content.decode()
    assert listing.title in queue and "1 open report" in queue
    grouped = client.get("/api/v1/moderation/reports").json()["results"]
    assert (
        grouped[0]["listing"] == listing.slug and grouped[0]["reports"][0]["category"] == "malware"
    )


def test_queue_and_review_show_files_scans_and_creator_history(
    django_capture_on_commit_callbacks, moderator
):
    listing = listing_with_file(
        path="weights.pt", content=malicious_pickle(), capture=django_capture_on_commit_callbacks
    )
    Listing.objects.filter(pk=listing.pk).update(status=S.PENDING_REVIEW)
    factories.listing(creator=listing.creator, title="Earlier model")
    client = Client()
    client.force_login(moderator)
    assert listing.title in client.get("/moderation/").content.decode()
    review = client.get(f"/moderation/listings/{listing.slug}/").content.decode()
    assert "weights.pt" in review and 'data-verdict="flagged"' in review
    assert "Earlier model" in review
    reply = client.get(f"/api/v1/moderation/listings/{listing.slug}").json()
    assert reply["files"][0]["verdict"] == "flagged" and reply["publishable"] is False
    reply = client.post(
        f"/api/v1/moderation/listings/{listing.slug}/actions",
        {"action": "approve"},
        content_type="application/json",
    )
    assert reply.status_code == 422 and reply.json()["error"]["code"] == "file_flagged"
    page = client.post(f"/moderation/listings/{listing.slug}/act", {"action": "approve"})
    assert page.status_code == 422


def test_moderator_pages_approve_and_reject(moderator):
    approved, rejected = _submitted(title="Good one"), _submitted(title="Bad one")
    client = Client()
    client.force_login(moderator)
    assert (
        client.post(f"/moderation/listings/{approved.slug}/act", {"action": "approve"}).status_code
        == 302
    )
    reply = client.post(f"/moderation/listings/{rejected.slug}/act", {"action": "reject"})
    assert reply.status_code == 400  # no reason
    client.post(f"/moderation/listings/{rejected.slug}/act", {"action": "reject", "reason": "Spam"})
    statuses = dict(Listing.objects.values_list("title", "status"))
    assert statuses == {"Good one": S.PUBLISHED, "Bad one": S.DRAFT}


def test_approval_waits_for_the_scans(moderator):
    listing = factories.complete_listing(
        stored=True
    )  # its scan is scheduled after commit: still pending
    services.listing_submit(listing=listing, actor=listing.creator)
    with pytest.raises(ApiError) as error:
        moderation.listing_moderate(listing=listing, action="approve", actor=moderator)
    assert (error.value.status_code, error.value.get_codes()) == (409, "scan_pending")
    scan_files(listing)
    assert (
        moderation.listing_moderate(listing=listing, action="approve", actor=moderator).status
        == S.PUBLISHED
    )


def test_a_text_like_pickle_named_pkl_is_flagged(django_capture_on_commit_callbacks):
    listing = listing_with_file(
        path="model.pkl",
        content=malicious_protocol0_pickle(),
        capture=django_capture_on_commit_callbacks,
    )
    with pytest.raises(ApiError) as error:
        services.listing_submit(listing=listing, actor=listing.creator)
    assert error.value.get_codes() == "file_flagged"


def test_the_generic_status_endpoint_moderates_through_the_same_checks(
    django_capture_on_commit_callbacks, moderator
):
    listing = listing_with_file(
        path="model.pkl", content=malicious_pickle(), capture=django_capture_on_commit_callbacks
    )
    Listing.objects.filter(pk=listing.pk).update(status=S.PENDING_REVIEW)  # as if scanned late
    client = Client()
    client.force_login(moderator)
    url = f"/api/v1/listings/{listing.slug}/status"
    reply = client.post(url, {"status": "published"}, content_type="application/json")
    assert reply.status_code == 422 and reply.json()["error"]["code"] == "file_flagged"
    reply = client.post(
        url, {"status": "draft", "reason": "Remove the pickle"}, content_type="application/json"
    )
    assert reply.status_code == 200 and reply.json()["status"] == S.DRAFT
    assert AuditEntry.objects.filter(action="listing.reject", reason="Remove the pickle").exists()
