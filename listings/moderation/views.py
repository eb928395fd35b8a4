"""Moderation pages (/moderation/...). Thin: parse a form, call one service or selector, render.
Service refusals (ApiError) come back as a message with their own 4xx status, never a 500."""

import csv

from django.contrib import messages
from django.core.paginator import InvalidPage
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts import denylist
from accounts import selectors as account_selectors
from core.errors import ApiError
from core.pages import show_error
from core.pagination import paginate
from listings.cards import CardError, parse_card, render_markdown
from listings.moderation import forms, selectors, services
from listings.moderation.permissions import ADMIN, MODERATOR, role_required

PAGE_SIZE = 50
DONE = {
    "approve": "Approved: the listing is published.",
    "reject": "Rejected: the creator sees your reason and can resubmit.",
    "request_changes": "Sent back to the creator with your request.",
    "pause": "Paused: sales stop now; the on-chain pause follows.",
    "unpause": "Sales resumed.",
    "delist": "Delisted.",
}


@role_required(MODERATOR)
def queue(request):
    context = {
        "pending": selectors.queue_pending(),
        "reported": selectors.reported_listings()[:50],
    }
    return render(request, "moderation/queue.html", context)


@role_required(MODERATOR)
def review(request, slug: str, *, status: int = 200, form=None):
    listing = _listing(slug)
    context = {
        "review": selectors.listing_review(listing=listing),
        "listing": listing,
        "card_html": card_html(listing),
        "form": form or forms.ActionForm(),
        "actions": _actions_for(listing),
    }
    return render(request, "moderation/review.html", context, status=status)


LABELS = {
    "approve": "Approve and publish",
    "reject": "Reject",
    "request_changes": "Request changes",
    "pause": "Pause sales",
    "unpause": "Resume sales",
    "delist": "Delist",
}


def card_html(listing) -> str:
    try:
        body = parse_card(listing.card).body
    except CardError:  # show what the creator wrote rather than fail the review
        body = listing.card
    return render_markdown(body)


def _actions_for(listing) -> list[tuple[str, str]]:
    return [
        (action, LABELS[action])
        for action, (sources, _) in services.ACTIONS.items()
        if listing.status in sources
    ]


def _listing(slug: str):
    try:
        return selectors.listing_for_moderation(slug=slug)
    except ApiError:
        raise Http404("No such listing.") from None


@role_required(MODERATOR)
@require_POST
def act(request, slug: str):
    listing = _listing(slug)
    form = forms.ActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose an action.")
        return review(request, slug, status=400, form=form)
    action = form.cleaned_data["action"]
    try:
        services.listing_moderate(
            listing=listing, action=action, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except ApiError as exc:
        return review(request, slug, status=show_error(request, exc), form=form)
    messages.success(request, DONE[action])
    if action in ("approve", "reject", "request_changes"):
        return redirect("moderation:queue")
    return redirect("moderation:review", slug=slug)


@role_required(MODERATOR)
@require_POST
def rescan(request, slug: str):
    listing = _listing(slug)
    try:
        queued = services.listing_rescan_files(listing=listing, actor=request.user)
    except ApiError as exc:
        show_error(request, exc)
    else:
        messages.success(request, f"Scanning {queued} file(s) again; reload in a moment.")
    return redirect("moderation:review", slug=slug)


@role_required(MODERATOR)
@require_POST
def chain_retry(request, slug: str):
    try:
        services.listing_chain_retry(listing=_listing(slug), actor=request.user)
    except ApiError as exc:
        show_error(request, exc)
    else:
        messages.success(request, "The on-chain transaction is sent again.")
    return redirect("moderation:review", slug=slug)


@role_required(MODERATOR)
def reports(request):
    return render(request, "moderation/reports.html", {"listings": _grouped_reports()})


def _grouped_reports():
    return list(selectors.reported_listings()[:100])


@role_required(MODERATOR)
@require_POST
def resolve(request, pk: int):
    try:
        report = selectors.report_get(pk=pk)
    except ApiError:
        raise Http404("No such report.") from None
    form = forms.ResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a resolution and write down the decision.")
        return render(
            request, "moderation/reports.html", {"listings": _grouped_reports()}, status=400
        )
    try:
        services.report_resolve(report=report, actor=request.user, **form.cleaned_data)
    except ApiError as exc:
        show_error(request, exc)
        return redirect("moderation:reports")
    messages.success(request, "Report resolved; the decision is recorded.")
    return redirect("moderation:reports")


@role_required(ADMIN)
def deny_list(request):
    form = forms.DenyForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                denylist.address_deny(actor=request.user, **form.cleaned_data)
            except ApiError as exc:
                status = show_error(request, exc, form=form)
            else:
                messages.success(request, f"{form.cleaned_data['address']} is denied.")
                return redirect("moderation:deny-list")
        else:
            status = 400
    context = {
        "form": form,
        "active": account_selectors.denied_addresses_active(),
        "history": account_selectors.denied_address_history().exclude(lifted_at=None)[:50],
    }
    return render(request, "moderation/deny_list.html", context, status=status)


@role_required(ADMIN)
@require_POST
def lift(request):
    form = forms.LiftForm(request.POST)
    if form.is_valid():
        try:
            denylist.address_lift(actor=request.user, **form.cleaned_data)
        except ApiError as exc:
            show_error(request, exc)
        else:
            messages.success(request, "The denial is lifted.")
    return redirect("moderation:deny-list")


@role_required(ADMIN)
def audit(request):
    form = forms.AuditFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    try:
        page = paginate(
            account_selectors.audit_entries(**filters), request.GET.get("page"), PAGE_SIZE
        )
    except InvalidPage as exc:
        raise Http404(str(exc)) from None
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "csv_url": reverse("moderation:audit-csv") + ("?" + query.urlencode() if query else ""),
    }
    return render(request, "moderation/audit.html", context)


class _Echo:
    def write(self, value):
        return value


@role_required(ADMIN)
def audit_csv(request):
    """The (filtered) audit log as CSV, streamed: it can be long."""
    form = forms.AuditFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = account_selectors.audit_entries(**filters)
    writer = csv.writer(_Echo())
    header = [
        "created_at",
        "actor",
        "action",
        "target_type",
        "target_id",
        "target",
        "reason",
        "data",
    ]

    def rows():
        yield writer.writerow(header)
        for e in entries.iterator(chunk_size=1000):
            actor = e.actor.address if e.actor else "system"
            yield writer.writerow(
                [
                    e.created_at.isoformat(),
                    actor,
                    e.action,
                    e.target_type,
                    e.target_id,
                    _csv_safe(e.target_label),
                    _csv_safe(e.reason),
                    e.data,
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response


def _csv_safe(text: str) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas; user text must not."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def report_listing(request, slug: str):
    """Any signed-in user reports a listing they can see (category + what is wrong)."""
    from django.contrib.auth.views import redirect_to_login

    from listings.selectors import listing_get_for_viewer

    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    listing = listing_get_for_viewer(slug=slug, viewer=request.user)
    form = forms.ReportForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.report_create(listing=listing, reporter=request.user, **form.cleaned_data)
            except ApiError as exc:
                status = show_error(request, exc, form=form)
            else:
                messages.success(request, "Thank you: moderators will look at your report.")
                return redirect("listings:detail", slug=slug)
    context = {"listing": listing, "form": form}
    return render(request, "moderation/report_form.html", context, status=status)
