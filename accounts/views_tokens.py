"""The API tokens settings page (/accounts/tokens): list, create (the secret is shown once, in
the response to the POST, never stored or put in a message), revoke."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import tokens
from core.errors import ApiError
from core.pages import show_error


class TokenForm(forms.Form):
    name = forms.CharField(max_length=80, help_text="What the token is for, e.g. “CI upload”.")
    expires_in_days = forms.IntegerField(
        min_value=1, max_value=3650, required=False, help_text="Empty: until you revoke it."
    )


@login_required
def api_tokens(request):
    form = TokenForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        days = form.cleaned_data["expires_in_days"]
        try:
            issued = tokens.api_token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                expires_at=timezone.now() + timedelta(days=days) if days else None,
            )
        except ApiError as exc:
            show_error(request, exc, form=form, field="name")
        else:
            form = TokenForm()
    context = {
        "form": form,
        "issued": issued,
        "tokens": tokens.api_token_list_for_user(user=request.user)[:200],
        "now": timezone.now(),
    }
    response = render(request, "accounts/tokens.html", context)
    response["Cache-Control"] = "no-store"  # the page may hold a fresh secret
    return response


@login_required
@require_POST
def api_token_revoke(request, token_id: int):
    try:
        token = tokens.api_token_revoke(user=request.user, token_id=token_id)
    except ApiError as exc:
        show_error(request, exc)
    else:
        messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("accounts:api-tokens")
