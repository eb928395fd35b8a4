"""Reads for moderators: the queue, one listing's review, reports grouped per listing."""

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet

from accounts.models import AuditEntry
from core.errors import ApiError
from listings.models import Listing, ListingStatusChange, Report
from listings.moderation import checks
from listings.moderation.chain import listing_chain_failure

S = Listing.Status
UNCHECKED = ("pending", "error")  # scan verdicts that say nothing about the bytes


def queue_pending() -> QuerySet[Listing]:
    """Listings waiting for review, oldest submission first (first come, first served)."""
    return (
        Listing.objects.filter(status=S.PENDING_REVIEW)
        .select_related("creator", "license_terms")
        .annotate(open_reports=Count("reports", filter=Q(reports__status=Report.Status.OPEN)))
        .order_by("updated_at", "id")
    )


def reported_listings() -> QuerySet[Listing]:
    """Listings with open reports, the most reported first; `open_report_rows` holds them."""
    open_reports = Report.objects.filter(status=Report.Status.OPEN).select_related("reporter")
    return (
        Listing.objects.filter(pk__in=open_reports.values("listing_id"))
        .select_related("creator")
        .annotate(open_reports=Count("reports", filter=Q(reports__status=Report.Status.OPEN)))
        .prefetch_related(Prefetch("reports", queryset=open_reports, to_attr="open_report_rows"))
        .order_by("-open_reports", "id")
    )


@dataclass
class CreatorHistory:
    listings: list[Listing]
    by_status: dict[str, int]
    reports_total: int
    reports_actioned: int
    rejections: int


def creator_history(*, creator, exclude: Listing | None = None) -> CreatorHistory:
    """What a moderator should know about a creator: their other listings and how they fared."""
    others = Listing.objects.filter(creator=creator).order_by("-created_at")
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    by_status = dict(
        Listing.objects.filter(creator=creator)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    reports = Report.objects.filter(listing__creator=creator)
    rejections = ListingStatusChange.objects.filter(
        listing__creator=creator, from_status=S.PENDING_REVIEW, to_status=S.DRAFT
    ).exclude(actor=creator)
    return CreatorHistory(
        listings=list(others[:20]),
        by_status=by_status,
        reports_total=reports.count(),
        reports_actioned=reports.filter(status=Report.Status.ACTIONED).count(),
        rejections=rejections.count(),
    )


@dataclass
class Review:
    listing: Listing
    files: list[checks.FileCheck]
    lint: list[str]
    reports: list[Report]
    history: CreatorHistory
    changes: list[ListingStatusChange]
    chain_failure: AuditEntry | None = None  # an on-chain pause/unpause that failed

    @property
    def blocked(self) -> bool:
        return bool(self.lint) or any(f.blocks or f.verdict in UNCHECKED for f in self.files)

    @property
    def rescannable(self) -> bool:
        """A file whose scan errored (or never finished) can be scanned again."""
        return any(f.verdict in UNCHECKED for f in self.files)


def listing_review(*, listing: Listing) -> Review:
    return Review(
        listing=listing,
        files=checks.file_checks(checks.latest_files(listing)),
        lint=checks.metadata_lint(listing),
        reports=list(listing.reports.select_related("reporter", "resolved_by")),
        history=creator_history(creator=listing.creator, exclude=listing),
        changes=list(listing.status_changes.select_related("actor")[:20]),
        chain_failure=listing_chain_failure(listing=listing),
    )


def listing_for_moderation(*, slug: str) -> Listing:
    listing = Listing.objects.select_related("creator", "license_terms").filter(slug=slug).first()
    if listing is None:
        raise ApiError("No such listing.", code="not_found", status=404)
    return listing


def report_get(*, pk: int) -> Report:
    report = Report.objects.select_related("listing").filter(pk=pk).first()
    if report is None:
        raise ApiError("No such report.", code="not_found", status=404)
    return report


def last_moderator_note(*, listing: Listing) -> ListingStatusChange | None:
    """The latest reason a moderator gave when sending the listing back (for the creator)."""
    return (
        listing.status_changes.filter(from_status=S.PENDING_REVIEW, to_status=S.DRAFT)
        .exclude(actor=listing.creator)
        .exclude(reason="")
        .select_related("actor")
        .first()
    )
