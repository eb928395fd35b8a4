"""Dashboard pages (/dashboard/...): the signed-in user's sales and payouts, credited balances
with withdraw buttons, one listing's breakdown with its split / price editor and history, CSV
exports, and the platform fee and revenue for site admins. Thin: each calls one selector and
renders; transactions are built by the API and sent by the person's wallet (static/js)."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from core.errors import ApiError
from listings import selectors as listing_selectors
from listings.onchain import platform_fee_bps
from payments.dashboard import figures, payouts, platform, serialize
from payments.dashboard.apis import export_response
from payments.offers import history


def _period(request) -> str:
    period = request.GET.get("period", "daily")
    return period if period in figures.PERIODS else "daily"


def _balances(user) -> tuple[list, str]:
    """Credited balances, or why they cannot be read now (the page still renders)."""
    try:
        return payouts.credited_balances(account=user.address), ""
    except ApiError as exc:
        return [], exc.message


@login_required
@require_safe
def dashboard_page(request):
    data = figures.dashboard_for_user(user=request.user, period=_period(request))
    balances, balances_error = _balances(request.user)
    config = {
        "account": request.user.address,
        "confirmations": settings.CONFIRMATIONS,
        "charts": serialize.chart_json(data["series"]),
        "api": {
            "balances": reverse("dashboard-balances"),
            "withdraw": reverse("dashboard-withdraw-prepare"),
        },
    }
    context = {**data, "balances": balances, "balances_error": balances_error,
               "dashboard_config": config}  # fmt: skip
    return render(request, "payments/dashboard.html", context)


@login_required
@require_safe
def dashboard_listing_page(request, slug: str):
    listing = listing_selectors.listing_get_owned(owner=request.user, slug=slug)
    data = figures.dashboard_for_listing(listing=listing, period=_period(request))
    config = {
        "account": request.user.address,
        "confirmations": settings.CONFIRMATIONS,
        "charts": serialize.chart_json(data["series"]),
        "api": {
            "splits": reverse("listing-splits-prepare", kwargs={"slug": slug}),
            "relay": reverse("listing-splits-relay", kwargs={"slug": slug}),
            "changes": reverse("listing-changes", kwargs={"slug": slug}),
            "price": reverse("listing-tier-price-prepare", kwargs={"slug": slug, "position": 0}),
            "transfer": reverse("listing-ownership-transfer-prepare", kwargs={"slug": slug}),
            "listing": reverse("listing-detail", kwargs={"slug": slug}),
        },
        "public_url": reverse("listings:detail", kwargs={"slug": slug}),
    }
    context = {
        **data,
        "splits": list(listing.splits.all()),
        "tiers": list(listing.tiers.filter(active=True).order_by("position")),
        "changes": history.changes_for_listing(listing=listing),
        "registered": listing.ownership_transfers.exists(),
        "fee_bps": platform_fee_bps(),
        "dashboard_config": config,
    }
    return render(request, "payments/dashboard_listing.html", context)


@login_required
@require_safe
def export(request, kind: str):
    try:
        return export_response(kind=kind, user=request.user)
    except ApiError as exc:
        raise Http404(exc.message) from None


@login_required
@require_safe
def platform_page(request):
    try:
        status = platform.fee_status(user=request.user)
    except ApiError as exc:
        context = {"message": exc.message}
        return render(request, "payments/platform_refused.html", context, status=exc.status)
    revenue = platform.platform_revenue(period=_period(request))
    config = {
        "account": request.user.address,
        "confirmations": settings.CONFIRMATIONS,
        "api": {"fee": reverse("platform-fee"), "prepare": reverse("platform-fee-prepare")},
    }
    context = {"fee": status, "revenue": revenue, "period": revenue["period"],
               "platform_config": config}  # fmt: skip
    return render(request, "payments/platform.html", context)
