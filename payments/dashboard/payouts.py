"""Credited balances and their withdrawal. A recipient that could not take a payment (and the
platform fee recipient, always) is credited by the contract and withdraws later. The balance is
read from the contract (`credits(account, currency)`, the truth) and from the ledger (credited
- withdrawn, from indexed events); they differ while the indexer is behind, and the page says
so. One more case for the platform fee recipient's ETH: ETH forced into the contract outside a
sale becomes its fee at once on chain, and in the ledger when it is withdrawn (ledger.py).
The withdrawal is a transaction the server builds and the account's wallet sends,
as purchases are (payments.purchase): nothing is written here."""

from chain import client
from core.errors import ApiError
from core.eth import is_address, to_checksum_address
from payments import currencies
from payments.dashboard.ledger import ledger_account_totals
from payments.models import Payout
from payments.purchase.sale import marketplace, transaction


def _currencies(account: str) -> list[str]:
    seen = set(
        Payout.objects.filter(account=account, kind=Payout.Kind.CREDITED)
        .values_list("currency", flat=True)
        .distinct()
    )
    return [currencies.ETH, *sorted(seen - {currencies.ETH})]


def credited_balances(*, account: str) -> list[dict]:
    """Per currency the account was ever credited in (ETH always): the contract's credit, the
    ledger's outstanding credit, whether they agree, and what was withdrawn so far."""
    market = marketplace()
    rows = []
    with client.chain_errors():
        block = market.w3.eth.block_number
        for currency in _currencies(account):
            onchain = int(market.functions.credits(account, currency).call(block_identifier=block))
            ledger = ledger_account_totals(account=account, currency=currency)
            rows.append(
                {
                    "currency": currencies.currency_info(currency),
                    "onchain_wei": onchain,
                    "ledger_wei": ledger["outstanding"],
                    "credited_wei": ledger[Payout.Kind.CREDITED],
                    "unattributed_wei": ledger["unattributed"],
                    "withdrawn_wei": ledger[Payout.Kind.WITHDRAWN],
                    "agrees": onchain == ledger["outstanding"],
                    "block": block,
                }
            )
    return rows


def _address(value, what: str) -> str:
    if not isinstance(value, str) or not is_address(value):
        raise ApiError(f"The {what} must be a 0x address.", code="bad_address")
    return to_checksum_address(value)


def withdraw_prepare(*, account: str, currency: str, to: str | None = None) -> dict:
    """The `withdraw(currency, to)` transaction for `account`'s wallet, refused (409) when the
    contract holds no credit for it: the transaction would only revert."""
    currency = _address(currency, "currency")
    to = _address(to, "destination") if to else account
    if int(to, 16) == 0:
        raise ApiError("Withdraw to a real address, not the zero address.", code="bad_address")
    market = marketplace()
    with client.chain_errors():
        amount = int(market.functions.credits(account, currency).call())
    if amount == 0:
        raise ApiError(
            "Nothing to withdraw in this currency.", code="nothing_to_withdraw", status=409
        )
    data = market.encode_abi("withdraw", args=[currency, to])
    tx = transaction("withdraw", sender=account, to=market.address, data=data)
    return {
        "account": account,
        "currency": currencies.currency_info(currency),
        "amount_wei": str(amount),
        "to": to,
        "transaction": {**tx, "value": "0"},
    }
