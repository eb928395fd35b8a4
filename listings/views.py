"""Listing pages: browse, detail, and the creator's pages (mine, new, edit). Each view parses
its input, calls one service or selector and renders; service errors (ApiError) come back as
form errors with their 4xx status, never as a 500."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import InvalidPage
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_POST

from core.errors import ApiError
from core.pages import show_error
from core.pagination import paginate
from listings import forms, model_tree, page_cache, preview, release_signing, selectors, services
from listings.cards import CardError, parse_card, render_markdown
from listings.models import Listing
from listings.moderation import checks
from listings.moderation import selectors as moderation_selectors
from listings.onchain import platform_fee_bps

PAGE_SIZE = 24
S = Listing.Status
# What a creator may do from the status panel, besides submitting (the tokenize step).
CREATOR_ACTIONS = {S.DRAFT: "Withdraw from review", S.DELISTED: "Delist"}
ACTION_DONE = {S.DRAFT: "Withdrawn from review: it is a draft again.", S.DELISTED: "Delisted."}


@page_cache.cached_page(page_cache.depends_on_list)
def browse(request):
    form = forms.BrowseForm(request.GET, options=selectors.listing_filter_options())
    if not form.is_valid():
        context = {"form": form, "page": None}
        return render(request, "listings/browse.html", context, status=400)
    try:
        page = paginate(
            selectors.listing_search(filters=form.filters()), request.GET.get("page"), PAGE_SIZE
        )
    except InvalidPage as exc:
        raise Http404(str(exc)) from None
    count, capped = selectors.listing_count_capped(selectors.listing_search(filters=form.filters()))
    context = {"form": form, "page": page, "result_count": count, "result_count_capped": capped}
    return render(request, "listings/browse.html", context)


@login_required
@require_POST
def like(request, slug: str):
    listing = selectors.listing_get_for_viewer(slug=slug, viewer=request.user)
    services.listing_like_set(
        listing=listing, user=request.user, liked=request.POST.get("liked") == "true"
    )
    return redirect(reverse("listings:detail", args=[listing.slug]) + "#likes")


def creator(request, address: str):
    """A creator's public page: name, avatar, bio, links, listings and total sales."""
    profile = selectors.creator_profile(address=address)
    return render(request, "listings/creator.html", {"profile": profile})


@page_cache.cached_page(page_cache.depends_on_listing)
def detail(request, slug: str):
    """The listing page. Its panels that other apps own come from their template tags, which
    the template loads (listings cannot import those apps; see docs/architecture.md):
    - access and downloads: payments.templatetags.access_tags (`listing_access`);
    - the buy box: payments.templatetags.purchase_tags (`purchase_config`,
      `purchase_max_quantity`), with the "on sale" rule from listings.sale (listing_tags);
    - compute: compute.templatetags.compute_tags (`compute_panel`, in compute/_panel.html)."""
    listing = selectors.listing_get_for_viewer(slug=slug, viewer=request.user)
    tag = request.GET.get("version") or None
    version = selectors.version_get(listing=listing, tag=tag)
    if tag and version is None:
        raise Http404("No such version.")
    context = {
        "listing": listing,
        "version": version,
        "card_html": _card_html(listing),
        "splits": _creator_first(listing),
        "platform_fee_bps": platform_fee_bps(),
        "is_creator": selectors.listing_controlled_by(listing=listing, user=request.user),
        "ownership": selectors.ownership_history(listing=listing),
        "lineage": model_tree.listing_model_tree(listing=listing),
        "liked": request.user.is_authenticated and listing.likes.filter(user=request.user).exists(),
        **_preview_context(listing, version, request.GET.get("preview")),
    }
    return render(request, "listings/detail.html", context)


def _preview_context(listing: Listing, version, chosen: str | None) -> dict:
    """The dataset viewer: the first rows of one tabular file (the chosen one, or the first)."""
    if not listing.preview_rows or version is None:
        return {}
    files = preview.previewable_files(version)
    if not files:
        return {}
    current = next((f for f in files if f.path == chosen), files[0])
    try:
        shown = preview.file_preview(version_file=current, rows=listing.preview_rows)
    except preview.PreviewError as exc:
        shown, problem = None, str(exc)
    else:
        problem = ""
    return {
        "preview_files": files,
        "preview": shown,
        "preview_file": current,
        "preview_error": problem,
    }


def _card_html(listing: Listing) -> str:
    try:
        body = parse_card(listing.card).body
    except CardError:  # stored before a stricter parser: show the text rather than fail
        body = listing.card
    return render_markdown(body)


def _creator_first(listing: Listing) -> list:
    return sorted(listing.splits.all(), key=lambda s: s.address != listing.owner_address)


@login_required
def mine(request):
    listings = selectors.listing_list_for_creator(creator=request.user)
    return render(request, "listings/mine.html", {"listings": listings})


@login_required
def create(request):
    form = forms.ListingCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            listing = services.listing_create(creator=request.user, **form.cleaned_data)
        except ApiError as exc:
            show_error(request, exc, form=form)
        else:
            messages.success(request, "Draft created. Add files, a card, tiers and the split.")
            return redirect("listings:edit", slug=listing.slug)
    status = 400 if form.errors else 200
    return render(request, "listings/create.html", {"form": form}, status=status)


@login_required
@ensure_csrf_cookie  # the edit page's scripts post JSON with the CSRF cookie's token
def edit(request, slug: str):
    listing = selectors.listing_get_owned(owner=request.user, slug=slug)
    return _render_edit(request, listing)


@login_required
@require_POST
def edit_details(request, slug: str):
    listing = selectors.listing_get_owned(owner=request.user, slug=slug)
    form = forms.ListingDetailsForm(request.POST, user=request.user, listing=listing)
    if form.is_valid():
        try:
            services.listing_update(listing=listing, actor=request.user, **form.cleaned_data)
        except ApiError as exc:
            return _edit_error(request, listing, exc, details_form=form, field="card")
        return _saved(request, listing, "Details saved.", "details")
    return _render_edit(request, listing, status=400, details_form=form)


@login_required
@require_POST
def edit_tiers(request, slug: str):
    listing = selectors.listing_get_owned(owner=request.user, slug=slug)
    formset = forms.TierFormSet(request.POST, prefix="tiers")
    if formset.is_valid():
        try:
            services.listing_set_tiers(listing=listing, actor=request.user, tiers=formset.specs())
        except ApiError as exc:
            return _edit_error(request, listing, exc, tier_formset=formset)
        return _saved(request, listing, "Tiers saved.", "tiers")
    return _render_edit(request, listing, status=400, tier_formset=formset)


@login_required
@require_POST
def edit_splits(request, slug: str):
    listing = selectors.listing_get_owned(owner=request.user, slug=slug)
    formset = forms.SplitFormSet(request.POST, prefix="splits")
    if formset.is_valid():
        try:
            services.listing_set_splits(
                listing=listing, actor=request.user, splits=formset.shares()
            )
        except ApiError as exc:
            return _edit_error(request, listing, exc, split_formset=formset)
        return _saved(request, listing, "Split saved.", "splits")
    return _render_edit(request, listing, status=400, split_formset=formset)


@login_required
@require_POST
def edit_status(request, slug: str):
    listing = selectors.listing_get_owned(owner=request.user, slug=slug)
    form = forms.StatusForm(request.POST)
    if form.is_valid() and form.cleaned_data["to_status"] in CREATOR_ACTIONS:
        try:
            services.listing_set_status(listing=listing, actor=request.user, **form.cleaned_data)
        except ApiError as exc:
            return _render_edit(request, listing, status=show_error(request, exc))
        return _saved(request, listing, ACTION_DONE[form.cleaned_data["to_status"]], "status")
    messages.error(request, "Choose what to do with the listing.")
    return _render_edit(request, listing, status=400)


def _saved(request, listing: Listing, message: str, section: str):
    messages.success(request, message)
    return redirect(reverse("listings:edit", kwargs={"slug": listing.slug}) + f"#{section}")


def _edit_error(request, listing: Listing, exc: ApiError, *, field=None, **bound):
    """A service refused: show why on the section's form, with the error's own status."""
    form = next(iter(bound.values()))
    field = field if exc.code == "invalid_card" else None
    return _render_edit(
        request, listing, status=show_error(request, exc, form=form, field=field), **bound
    )


def _render_edit(request, listing: Listing, *, status: int = 200, **bound):
    """The edit page; `bound` holds the one section's form that was posted back with errors."""
    user = request.user
    context = {
        "listing": listing,
        "details_form": bound.get("details_form") or _details_form(listing, user),
        "tier_formset": bound.get("tier_formset")
        or forms.TierFormSet(prefix="tiers", initial=forms.tiers_initial(listing.tiers.all())),
        "split_formset": bound.get("split_formset")
        or forms.SplitFormSet(
            prefix="splits",
            initial=forms.split_initial(listing.splits.all(), listing.owner_address),
        ),
        "is_draft": listing.status == S.DRAFT,
        "incomplete": _incomplete_reason(listing),
        "status_actions": _status_actions(listing),
        "history": listing.status_changes.select_related("actor"),
        "platform_fee_bps": platform_fee_bps(),
        "upload": _upload_settings(),
        "moderator_note": moderation_selectors.last_moderator_note(listing=listing),
        "publication_checks": _publication_checks(listing),
        "owner_signs_releases": release_signing.owner_signs_releases(listing),
        "offer_validity_days": settings.OFFER_VALIDITY_SECONDS // 86_400,
        "split_notice_days": 14,  # Marketplace.SPLIT_NOTICE
    }
    return render(request, "listings/edit.html", context, status=status)


def _publication_checks(listing: Listing) -> list[str]:
    """What the automatic checks will refuse (flagged files, missing metadata), so the creator
    can fix it before a moderator has to say so."""
    problems = [
        f"{row.path}: " + "; ".join(f["message"] for f in row.findings if f["severity"] != "info")
        for row in checks.file_checks(checks.latest_files(listing))
        if row.blocks
    ]
    return problems + [f"add {problem}" for problem in checks.metadata_lint(listing)]


def _details_form(listing: Listing, user) -> forms.ListingDetailsForm:
    initial = {
        "title": listing.title,
        "summary": listing.summary,
        "license_terms": listing.license_terms_id,
        "card": listing.card,
        "preview_rows": listing.preview_rows,
    }
    return forms.ListingDetailsForm(initial=initial, user=user, listing=listing)


def _incomplete_reason(listing: Listing) -> str:
    """Why the listing cannot be submitted yet ('' when it can)."""
    try:
        services.listing_check_complete(listing=listing)
    except ApiError as exc:
        return exc.message
    return ""


def _status_actions(listing: Listing) -> list[tuple[str, str]]:
    return [
        (to_status, label)
        for to_status, label in CREATOR_ACTIONS.items()
        if services.CREATOR in services.TRANSITIONS.get((listing.status, to_status), ())
    ]


def _upload_settings() -> dict:
    return {
        "create_url": reverse("artifacts-api:upload-create"),
        "max_bytes": settings.UPLOAD_MAX_BYTES,
        "chunk_bytes": settings.UPLOAD_CHUNK_BYTES,
        "extensions": ",".join(settings.UPLOAD_ALLOWED_EXTENSIONS),
    }
