"""What payments tells people (issue 17): a sale to the listing's creator, a payout credited to
its recipient. Called by the chain handlers after they stored the facts; a key per log means a
replayed batch (retry, reorg rescan) tells nobody twice."""

from django.urls import reverse

from chain.typed_data import ZERO_ADDRESS
from listings.money import wei_to_eth
from notifications.models import Notification
from notifications.services import notify

Kind = Notification.Kind


def amount_words(amount: int, currency: str) -> str:
    if int(currency, 16) == int(ZERO_ADDRESS, 16):
        return f"{wei_to_eth(amount)} ETH"
    return f"{amount} units of token {currency}"


def log_key(kind: str, log) -> str:
    return f"{kind}:{log.chain_id}:{log.tx_hash}:{log.log_index}"


def sale_notify(*, log, listing, tier) -> None:
    if listing is None:
        return
    a = log.args
    what = f"{a['quantity']} × {tier.name}" if tier is not None else f"{a['quantity']} licence(s)"
    notify(
        recipient=listing.creator,
        kind=Kind.SALE,
        title=f"Sold {what} of {listing.title}",
        body=f"{amount_words(a['amount'], a['currency'])} paid by {a['buyer']}.",
        url=reverse("dashboard:listing", args=[listing.slug]),
        key=log_key("sale", log),
    )


def credit_notify(*, log, listing) -> None:
    """A `Credited` log: a payee refused its payment, which is kept for it."""
    a = log.args
    payout_credit_notify(
        recipient=a["recipient"], amount=int(a["amount"]), currency=a["currency"],
        listing=listing, key=log_key("credit", log),
    )  # fmt: skip


def fee_credit_notify(*, sale, recipient: str, amount: int, listing) -> None:
    """The platform fee of a sale, credited to the fee recipient (contracts v2 emit no event
    for it: payments.onchain.payouts derives it). Keyed by the sale's log, as the fee's own
    `Credited` log was before."""
    payout_credit_notify(
        recipient=recipient, amount=amount, currency=sale.args["currency"], listing=listing,
        key=log_key("fee-credit", sale),
    )  # fmt: skip


def payout_credit_notify(*, recipient: str, amount: int, currency: str, listing, key: str):
    where = f" from a sale of {listing.title}" if listing is not None else ""
    notify(
        recipient=recipient,
        kind=Kind.PAYOUT,
        title=f"{amount_words(amount, currency)} credited to you{where}",
        body="The contract keeps it for you: withdraw it from your dashboard.",
        url=reverse("dashboard:home"),
        key=key,
    )
