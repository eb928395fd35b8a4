"""The spend controls page of one API token (/licences/tokens/<id>/spending): its owner sets a
cap per day and per listing, an allow-list of listings and an end date, in the browser only
(a token cannot raise its own limits: this page needs the session)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render

from accounts.models import ApiToken
from core.errors import ApiError
from listings.models import Listing
from payments.models import TokenSpendPolicy
from payments.spending import services as spending

UINT256_MAX = 2**256 - 1


class SpendPolicyForm(forms.Form):
    currency = forms.CharField(max_length=42, help_text="The token it may spend (0x address).")
    daily_cap = forms.IntegerField(
        min_value=0, max_value=UINT256_MAX, required=False,
        help_text="Base units per UTC day; empty: no cap.",
    )  # fmt: skip
    listing_cap = forms.IntegerField(
        min_value=0, max_value=UINT256_MAX, required=False,
        help_text="Base units per listing; empty: no cap.",
    )  # fmt: skip
    listings = forms.CharField(
        required=False, help_text="Listing slugs, comma-separated; empty: any listing."
    )
    spend_until = forms.DateTimeField(required=False, help_text="Empty: no end.")

    def clean_listings(self):
        slugs = [s.strip() for s in self.cleaned_data["listings"].split(",") if s.strip()]
        found = list(Listing.objects.filter(slug__in=slugs))
        missing = set(slugs) - {listing.slug for listing in found}
        if missing:
            raise forms.ValidationError(f"No such listing: {', '.join(sorted(missing))}.")
        return found


def _initial(policy: TokenSpendPolicy | None) -> dict:
    if policy is None:
        return {}
    return {
        "currency": policy.currency,
        "daily_cap": policy.daily_cap,
        "listing_cap": policy.listing_cap,
        "listings": ", ".join(policy.allowed_listings.values_list("slug", flat=True)),
        "spend_until": policy.spend_until,
    }


@login_required
def token_spending(request, token_id: int):
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    policy = TokenSpendPolicy.objects.filter(api_token=token).first()
    form = SpendPolicyForm(request.POST or None, initial=_initial(policy))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            spending.spend_policy_set(api_token=token, **data)
        except ApiError as exc:
            form.add_error(None, str(exc.detail))
        else:
            messages.success(request, f"Spend controls of “{token.name}” saved.")
            return redirect("accounts:profile")
    return render(request, "payments/token_spending.html", {"form": form, "token": token})
