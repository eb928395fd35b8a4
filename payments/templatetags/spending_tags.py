"""`{% token_spending user as rows %}`: what was spent under each of the user's API tokens
(gasless and x402 purchases relayed under them), for the profile page."""

from django import template

from payments.currencies import display
from payments.spending.services import spending_for_user

register = template.Library()


@register.simple_tag
def token_spending(user):
    rows = []
    for row in spending_for_user(user=user):
        currency = row.policy.currency if row.policy else None
        rows.append(
            {
                "row": row,
                "today": display(row.today, currency) if currency else str(row.today),
                "total": display(row.total, currency) if currency else str(row.total),
                "daily_cap": display(int(row.policy.daily_cap), currency)
                if row.policy and row.policy.daily_cap is not None
                else "none",
            }
        )
    return rows
