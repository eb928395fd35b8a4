"""Moderators' actions on listings and reports. Each one goes through `listing_set_status`
(the transition table) where it changes a status, and writes one audit entry."""

from datetime import timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.audit import audit_record
from artifacts.services import artifact_scan_schedule
from core.errors import ApiError
from listings.models import Listing, Report
from listings.moderation import checks
from listings.selectors import listing_controlled_by
from listings.services import listing_set_status
from notifications.models import Notification
from notifications.services import notify

S = Listing.Status
# action name → (from statuses, to status); the transition table still has the last word.
ACTIONS: dict[str, tuple[set[str], str]] = {
    "approve": ({S.PENDING_REVIEW}, S.PUBLISHED),
    "reject": ({S.PENDING_REVIEW}, S.DRAFT),
    "request_changes": ({S.PENDING_REVIEW}, S.DRAFT),
    "pause": ({S.PUBLISHED}, S.PAUSED),
    "unpause": ({S.PAUSED}, S.PUBLISHED),
    "delist": ({S.PUBLISHED, S.PAUSED}, S.DELISTED),
}
# Actions against a creator's listing say why (the review form promises it; the audit keeps it).
REASON_REQUIRED = {"reject", "request_changes", "pause", "delist"}
# Reports one person may file per hour, across all listings (one open per listing besides).
REPORTS_PER_HOUR = 10
REASON_PREFIX = {"reject": "Rejected: ", "request_changes": "Changes requested: "}


def _require_moderator(actor) -> None:
    if actor is None or not actor.is_authenticated or not actor.is_moderator:
        raise ApiError("Only moderators may do this.", code="permission_denied", status=403)


def listing_moderate(*, listing: Listing, action: str, actor, reason: str = "") -> Listing:
    """Approve, reject, request changes, pause, unpause or delist a listing.

    Approval re-runs the automatic checks (a flagged file or missing metadata refuses it with
    422). Pausing and unpausing also go on-chain, after commit, with the platform's moderator
    key (listings.tasks.listing_pause_onchain_task); the DB status changes at once, so the site
    stops selling before the transaction is mined."""
    _require_moderator(actor)
    if action not in ACTIONS:
        raise ApiError(f"Unknown moderation action {action!r}.", code="invalid_action")
    from_statuses, to_status = ACTIONS[action]
    reason = reason.strip()
    if action in REASON_REQUIRED and not reason:
        raise ApiError("Give a reason: the creator will see it.", code="reason_required")
    with transaction.atomic():
        listing = Listing.objects.select_for_update().select_related("creator").get(pk=listing.pk)
        if listing.status not in from_statuses:
            raise ApiError(
                f"A {listing.get_status_display().lower()} listing cannot be {_done(action)}.",
                code="invalid_transition",
                status=409,
            )
        if action == "approve":
            checks.check_publishable(listing=listing)
        listing = listing_set_status(
            listing=listing,
            to_status=to_status,
            actor=actor,
            reason=REASON_PREFIX.get(action, "") + reason if reason else "",
        )
        audit_record(actor=actor, action=f"listing.{action}", target=listing, reason=reason)
        if action in ("pause", "unpause", "delist"):
            _chain_pause_after_commit(listing, paused=action != "unpause")
        _notify_creator(listing, action, reason)
    return listing


def _notify_creator(listing: Listing, action: str, reason: str) -> None:
    """The creator hears every moderation outcome, with the moderator's reason."""
    change = listing.status_changes.order_by("-pk").values_list("pk", flat=True).first()
    notify(
        recipient=listing.creator,
        kind=Notification.Kind.MODERATION,
        title=f"{listing.title} was {_done(action)} by a moderator",
        body=reason,
        url=reverse("listings:edit", args=[listing.slug]) + "#status",
        key=f"moderation:{listing.pk}:{change}",
    )


def listing_rescan_files(*, listing: Listing, actor) -> int:
    """Scan again the latest version's files whose scan errored or never finished (the store
    was unreachable, the worker died). Returns how many scans were queued; audited."""
    _require_moderator(actor)
    latest = checks.latest_files(listing)
    files = [
        (vf.artifact_id, vf.path)
        for vf, row in zip(latest, checks.file_checks(latest), strict=True)
        if row.verdict in (checks.V.ERROR, checks.V.PENDING)
    ]
    if not files:
        raise ApiError(
            "Every file's automatic checks have finished; there is nothing to rescan.",
            code="nothing_to_rescan",
            status=409,
        )
    with transaction.atomic():
        artifact_scan_schedule(files=files, rescan=True)
        audit_record(
            actor=actor,
            action="listing.rescan",
            target=listing,
            data={"files": [path for _, path in files]},
        )
    return len(files)


def listing_chain_retry(*, listing: Listing, actor) -> None:
    """Send again the on-chain pause (or unpause) that failed, matching the site's status."""
    _require_moderator(actor)
    from listings.moderation.chain import listing_chain_failure

    if listing_chain_failure(listing=listing) is None:
        raise ApiError(
            "The contract already matches this listing's status.",
            code="nothing_to_retry",
            status=409,
        )
    with transaction.atomic():
        audit_record(actor=actor, action="listing.chain_retry", target=listing)
        _chain_pause_after_commit(listing, paused=listing.status in (S.PAUSED, S.DELISTED))


def listing_status_request(*, listing: Listing, to_status: str, actor, reason: str = "") -> Listing:
    """The generic status endpoint: a creator's own change goes straight to the transition
    table; a moderator's goes through `listing_moderate`, so it gets the same checks (no
    approval past a flagged file) and the same audit entry as the moderation pages."""
    from listings.services import CREATOR, TRANSITIONS

    own_change = listing_controlled_by(listing=listing, user=actor) and CREATOR in TRANSITIONS.get(
        (listing.status, to_status), set()
    )
    action = next(
        (
            a
            for a, (sources, target) in ACTIONS.items()
            if listing.status in sources and target == to_status
        ),
        None,
    )
    if own_change or action is None or not actor.is_moderator:
        return listing_set_status(listing=listing, to_status=to_status, actor=actor, reason=reason)
    return listing_moderate(listing=listing, action=action, actor=actor, reason=reason)


def _done(action: str) -> str:
    return {"request_changes": "sent back for changes", "reject": "rejected"}.get(
        action, f"{action.rstrip('e')}ed"
    )


def _chain_pause_after_commit(listing: Listing, *, paused: bool) -> None:
    from listings import tasks  # tasks import services

    if paused == listing.onchain_paused:
        return  # the indexer already saw the chain in that state
    tasks.listing_pause_onchain_task.delay_on_commit(listing.pk, paused)


@transaction.atomic
def report_create(*, listing: Listing, reporter, category: str, text: str) -> Report:
    """A signed-in user reports a listing. One open report per person and listing."""
    if category not in Report.Category.values:
        raise ApiError("Choose what is wrong with the listing.", code="invalid_category")
    text = text.strip()
    if not 10 <= len(text) <= 4000:
        raise ApiError("Describe the problem in 10 to 4000 characters.", code="invalid_text")
    if reporter.is_authenticated and reporter.address == listing.owner_address:
        raise ApiError("You cannot report your own listing.", code="own_listing", status=409)
    recent = Report.objects.filter(
        reporter=reporter, created_at__gte=timezone.now() - timedelta(hours=1)
    )
    if recent.count() >= REPORTS_PER_HOUR:
        raise ApiError(
            "You have sent many reports in the last hour; try again later.",
            code="too_many_reports",
            status=429,
        )
    open_reports = Report.objects.select_for_update().filter(
        listing=listing, reporter=reporter, status=Report.Status.OPEN
    )
    if open_reports.exists():
        raise ApiError(
            "You have reported this listing already; moderators will look at it.",
            code="already_reported",
            status=409,
        )
    report = Report.objects.create(listing=listing, reporter=reporter, category=category, text=text)
    notify(  # the reporter stays anonymous to the creator
        recipient=listing.creator,
        kind=Notification.Kind.REPORT,
        title=f"{listing.title} was reported: {report.get_category_display().lower()}",
        body="A moderator will look at the report; you will hear of any action taken.",
        url=reverse("listings:detail", args=[listing.slug]),
        key=f"report:{report.pk}",
    )
    audit_record(
        actor=reporter,
        action="report.create",
        target=listing,
        reason=text,
        data={"report": report.pk, "category": category},
    )
    return report


@transaction.atomic
def report_resolve(*, report: Report, actor, status: str, decision: str) -> Report:
    """Close a report with the moderator's decision (action taken, or dismissed), recorded."""
    _require_moderator(actor)
    if status not in (Report.Status.ACTIONED, Report.Status.DISMISSED):
        raise ApiError("Resolve a report as actioned or dismissed.", code="invalid_status")
    if not decision.strip():
        raise ApiError("Write down the decision.", code="decision_required")
    report = Report.objects.select_for_update().select_related("listing").get(pk=report.pk)
    if report.status != Report.Status.OPEN:
        raise ApiError("This report is resolved already.", code="already_resolved", status=409)
    report.status = status
    report.decision = decision.strip()
    report.resolved_by = actor
    report.resolved_at = timezone.now()
    report.save(update_fields=["status", "decision", "resolved_by", "resolved_at"])
    audit_record(
        actor=actor,
        action=f"report.{status}",
        target=report.listing,
        reason=report.decision,
        data={"report": report.pk, "category": report.category},
    )
    return report
