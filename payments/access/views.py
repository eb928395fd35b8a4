"""Pages of downloads and gated access. Each view parses its input and calls one service or
selector; a service's refusal (ApiError) is shown with its own 4xx status, never a 500."""

from pathlib import PurePosixPath

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from artifacts import serving
from artifacts.storage import ArtifactNotFound, StorageError
from core.errors import ApiError
from core.pages import show_error
from listings import selectors as listing_selectors
from listings.models import Listing
from payments import selectors
from payments.access import downloads, forms, gated

DONE = {"approved": "Approved", "denied": "Denied", "revoked": "Access revoked"}


@require_safe
def download(request, token: str, filename: str):
    """A signed download URL: the token says what and for whom; access is checked again now.
    The bytes go out through nginx (X-Accel-Redirect) when DOWNLOADS_ACCEL_REDIRECT is on."""
    try:
        artifact, path = downloads.download_resolve(token=token)
        return serving.artifact_response(
            request,
            artifact,
            filename=PurePosixPath(path).name,
            accel=settings.DOWNLOADS_ACCEL_REDIRECT,
        )
    except ApiError as exc:
        return _refused(request, exc.message, exc.status, exc.code)
    except ArtifactNotFound:
        return _refused(request, "This file is missing from the store.", 404, "not_found")
    except StorageError:
        message = "The file store is not reachable right now; try again in a moment."
        return _refused(request, message, 503, "storage_unavailable")


def _refused(request, message: str, status: int, code, listing: Listing | None = None):
    """Browsers get a page; API clients (curl, scripts asking for JSON) get the API's error."""
    if "text/html" not in request.headers.get("Accept", ""):
        body = {"error": {"code": code, "message": message, "fields": {}}}
        return JsonResponse(body, status=status)
    context = {"message": message, "listing": listing, "status": status}
    return render(request, "payments/download_refused.html", context, status=status)


@login_required
@require_safe
def listing_download(request, slug: str, path: str):
    """The listing page's download button: a fresh signed URL for the signed-in holder."""
    listing = listing_selectors.listing_get_for_viewer(slug=slug, viewer=request.user)
    tag = request.GET.get("version") or None
    try:
        link = downloads.download_link(
            listing=listing, address=request.user.address, path=path, tag=tag
        )
    except ApiError as exc:
        if exc.status == 404:
            raise Http404(exc.message) from None
        context = {"message": exc.message, "listing": listing, "status": exc.status}
        return render(request, "payments/download_refused.html", context, status=exc.status)
    return redirect(link.url)


@login_required
def access_request(request, slug: str):
    """Ask the creator for a tier that requires approval."""
    listing = listing_selectors.listing_get_for_viewer(slug=slug, viewer=request.user)
    tiers = [t for t in listing.tiers.all() if t.requires_approval]
    if not tiers:
        raise Http404("This listing takes no access requests.")
    initial = {"tier": request.GET.get("tier")}
    form = forms.AccessRequestForm(request.POST or None, tiers=tiers, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        tier = next((t for t in tiers if t.position == data["tier"]), None)
        try:
            gated.access_request_create(
                listing=listing,
                tier=tier,
                requester=request.user,
                intended_use=data["intended_use"],
                organisation=data["organisation"],
                accepted_terms=data["accept_terms"],
            )
        except ApiError as exc:
            status = show_error(request, exc, form=form)
        else:
            messages.success(request, "Request sent. You will see the creator's answer here.")
            return redirect(reverse("listings:detail", kwargs={"slug": slug}) + "#access")
    elif request.method == "POST":
        status = 400
    context = {"listing": listing, "form": form, "tiers": tiers}
    return render(request, "payments/access_request.html", context, status=status)


@login_required
@require_safe
def access_requests(request, slug: str):
    """The creator's review page: pending requests first, then the decided ones."""
    listing = listing_selectors.listing_get_owned(owner=request.user, slug=slug)
    return _render_requests(request, listing)


def _render_requests(request, listing: Listing, *, status: int = 200, errors=None):
    requests = list(selectors.access_request_list_for_listing(listing=listing))
    context = {
        "listing": listing,
        "pending": [r for r in requests if r.status == "pending"],
        "decided": [r for r in requests if r.status != "pending"],
        "errors": errors or {},
    }
    return render(request, "payments/access_requests.html", context, status=status)


@login_required
@require_POST
def access_request_decide(request, slug: str, pk: int):
    listing = listing_selectors.listing_get_owned(owner=request.user, slug=slug)
    access_request = selectors.access_request_get_for_creator(listing=listing, pk=pk)
    form = forms.DecisionForm(request.POST)
    if not form.is_valid():
        return _render_requests(request, listing, status=400, errors={pk: "Choose a decision."})
    decision = form.cleaned_data["decision"]
    try:
        gated.access_request_set_status(
            access_request=access_request,
            to_status=decision,
            actor=request.user,
            reason=form.cleaned_data["reason"],
        )
    except ApiError as exc:
        errors = {pk: exc.message}
        return _render_requests(request, listing, status=exc.status, errors=errors)
    messages.success(request, f"{DONE[decision]}: {access_request.requester}'s request.")
    return redirect("access:requests", slug=slug)
