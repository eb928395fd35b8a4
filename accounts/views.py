"""Pages: sign-in (the wallet does the work, see static/js/sign-in.js), sign-out, profile."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_POST

from accounts import selectors, services
from accounts.forms import ProfileForm
from core.errors import ApiError
from core.pages import show_error


def _safe_next(request) -> str:
    """Where to go after signing in: the `next` parameter when it points at this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else reverse("home")


@ensure_csrf_cookie
def sign_in_page(request):
    next_url = _safe_next(request)
    if request.user.is_authenticated:
        return redirect(next_url)
    return render(request, "accounts/sign_in.html", {"next_url": next_url})


@require_POST
def sign_out(request):
    logout(request)
    messages.info(request, "You are signed out.")
    return redirect("home")


@login_required
@ensure_csrf_cookie
def profile(request):
    user = request.user
    form = ProfileForm(request.POST or None, initial=_profile_initial(user))
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update_profile(user=user, **form.cleaned_data)
        except ApiError as exc:
            link_codes = ("too_many_links", "link_invalid")
            field = "links" if exc.code in link_codes else "display_name"
            show_error(request, exc, form=form, field=field)
        else:
            messages.success(request, "Profile saved.")
            return redirect("accounts:profile")
    context = {"form": form, "roles": selectors.user_roles(user=user)}
    return render(request, "accounts/profile.html", context)


def _profile_initial(user) -> dict:
    return {
        "display_name": user.display_name,
        "email": user.email,
        "bio": user.bio,
        "links": user.links,
    }
