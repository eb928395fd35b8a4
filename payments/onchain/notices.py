"""What payments tells people (issue 17): a sale to the listing's creator, a payout credited to
its recipient. Called by the chain handlers after they stored the facts, with the whole batch
(one `notify_many`: a few queries for thousands of sales); a key per log means a replayed batch
(retry, reorg rescan) tells nobody twice."""

from functools import lru_cache

from django.urls import reverse

from chain.typed_data import ZERO_ADDRESS
from listings.money import wei_to_eth
from notifications.models import Notification
from notifications.services import Notice, notify_many, users_by_address

Kind = Notification.Kind


def amount_words(amount: int, currency: str) -> str:
    if int(currency, 16) == int(ZERO_ADDRESS, 16):
        return f"{wei_to_eth(amount)} ETH"
    return f"{amount} units of token {currency}"


def log_key(kind: str, log) -> str:
    return f"{kind}:{log.chain_id}:{log.tx_hash}:{log.log_index}"


@lru_cache(maxsize=1024)
def _dashboard_url(slug: str | None = None) -> str:
    # Reversed once per listing, not once per sale.
    return reverse("dashboard:listing", args=[slug]) if slug else reverse("dashboard:home")


def _sale_notice(log, listing, tier) -> Notice:
    a = log.args
    what = f"{a['quantity']} × {tier.name}" if tier is not None else f"{a['quantity']} licence(s)"
    return Notice(
        recipient=listing.creator,
        kind=Kind.SALE,
        title=f"Sold {what} of {listing.title}",
        body=f"{amount_words(a['amount'], a['currency'])} paid by {a['buyer']}.",
        url=_dashboard_url(listing.slug),
        key=log_key("sale", log),
    )


def sales_notify(sales) -> None:
    """Tell each listing's creator of its sales: `sales` is (log, listing, tier) per Purchased
    log (the listing None when it is not ours)."""
    notify_many([_sale_notice(*sale) for sale in sales if sale[1] is not None])


def _payout_notice(*, recipient: str, amount: int, currency: str, listing, key: str) -> Notice:
    where = f" from a sale of {listing.title}" if listing is not None else ""
    return Notice(
        recipient=recipient,
        kind=Kind.PAYOUT,
        title=f"{amount_words(amount, currency)} credited to you{where}",
        body="The contract keeps it for you: withdraw it from your dashboard.",
        url=_dashboard_url(),
        key=key,
    )


def credits_notify(credits) -> None:
    """Tell each payee that refused a payment it is kept for them: `credits` is (log,
    listing) per Credited log."""
    notify_many(
        [
            _payout_notice(
                recipient=log.args["recipient"],
                amount=int(log.args["amount"]),
                currency=log.args["currency"],
                listing=listing,
                key=log_key("credit", log),
            )  # fmt: skip
            for log, listing in credits
        ]
    )


def fee_credits_notify(fees) -> None:
    """The platform fee of each sale, credited to the fee recipient: `fees` is (sale log,
    recipient, amount, listing). Contracts v2 emit no event for it (payments.onchain.payouts
    derives it); keyed by the sale's log, as the fee's own `Credited` log was before. The
    recipient is looked up first: it is one address for every sale, and usually nobody's
    account, so most batches build no notice at all."""
    users = users_by_address({recipient for _, recipient, _, _ in fees}) if fees else {}
    notify_many(
        [
            _payout_notice(
                recipient=users[recipient.lower()],
                amount=amount,
                currency=sale.args["currency"],
                listing=listing,
                key=log_key("fee-credit", sale),
            )  # fmt: skip
            for sale, recipient, amount, listing in fees
            if recipient.lower() in users
        ]
    )
