"""Spend controls per API token: a cap per UTC day and per listing (in the one currency the
token may spend), an allow-list of listings, and an end date. What a token spent is the sum of
the purchases relayed under it (RelayedPurchase.api_token) that did not fail. `spend_check`
runs before the buyer is asked to sign (prepare) and again under the relay's day lock, so two
concurrent purchases cannot both slip under a cap."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from core.errors import ApiError
from core.eth import is_address, to_checksum_address
from listings.models import Listing
from payments import currencies
from payments.models import RelayedPurchase, TokenSpendPolicy


def _refuse(message: str, code: str) -> ApiError:
    return ApiError(message, code=code, status=403)


def _spent(api_token, **filters) -> int:
    rows = RelayedPurchase.objects.filter(api_token=api_token, **filters).exclude(
        status=RelayedPurchase.Status.FAILED
    )
    return sum(int(amount) for amount in rows.values_list("amount", flat=True))


def spend_check(*, api_token, listing: Listing, currency: str, amount: int, now=None) -> None:
    """403 when the token's policy does not allow spending `amount` of `currency` on `listing`
    now. Tokens without a policy are not limited."""
    if api_token is None:
        return
    policy = TokenSpendPolicy.objects.filter(api_token=api_token).first()
    if policy is None:
        return
    now = now or timezone.now()
    if policy.spend_until is not None and policy.spend_until <= now:
        raise _refuse("This API token may no longer spend (its spending ended).", "token_expired")
    allowed = policy.allowed_listings.all()
    if allowed.exists() and not allowed.filter(pk=listing.pk).exists():
        raise _refuse("This API token may not buy from this listing.", "token_listing_not_allowed")
    if to_checksum_address(currency) != policy.currency:
        shown = currencies.currency_info(policy.currency)["symbol"]
        raise _refuse(f"This API token may only spend {shown}.", "token_currency_not_allowed")
    today = now.date()
    if policy.daily_cap is not None:
        spent = _spent(api_token, day=today)
        if spent + amount > int(policy.daily_cap):
            left = max(0, int(policy.daily_cap) - spent)
            raise _refuse(
                f"This purchase would pass the token's daily cap "
                f"({currencies.display(left, policy.currency)} left today).",
                "token_daily_cap",
            )
    if policy.listing_cap is not None:
        spent = _spent(api_token, listing=listing)
        if spent + amount > int(policy.listing_cap):
            raise _refuse(
                "This purchase would pass the token's cap for this listing.", "token_listing_cap"
            )


@transaction.atomic
def spend_policy_set(
    *,
    api_token,
    currency: str,
    daily_cap: int | None = None,
    listing_cap: int | None = None,
    listings: list[Listing] | tuple = (),
    spend_until: datetime | None = None,
) -> TokenSpendPolicy:
    """Create or replace the token's policy (its owner, in the browser)."""
    if not is_address(currency):
        raise ApiError("The currency must be a 0x address.", code="bad_address")
    for cap in (daily_cap, listing_cap):
        if cap is not None and cap < 0:
            raise ApiError("A cap cannot be negative.", code="bad_cap")
    policy, _ = TokenSpendPolicy.objects.update_or_create(
        api_token=api_token,
        defaults={
            "currency": to_checksum_address(currency),
            "daily_cap": daily_cap,
            "listing_cap": listing_cap,
            "spend_until": spend_until,
        },
    )
    policy.allowed_listings.set(listings)
    return policy


@dataclass(frozen=True)
class TokenSpending:
    token: object
    policy: TokenSpendPolicy | None
    today: int
    total: int
    purchases: int


def spending_for_user(*, user, now=None) -> list[TokenSpending]:
    """Each of the user's tokens with what was spent under it today and in all."""
    today = (now or timezone.now()).date()
    rows = []
    for token in user.api_tokens.all().order_by("-created_at"):
        policy = TokenSpendPolicy.objects.filter(api_token=token).first()
        relayed = RelayedPurchase.objects.filter(api_token=token).exclude(
            status=RelayedPurchase.Status.FAILED
        )
        rows.append(
            TokenSpending(
                token=token,
                policy=policy,
                today=_spent(token, day=today),
                total=_spent(token),
                purchases=relayed.count(),
            )
        )
    return rows
