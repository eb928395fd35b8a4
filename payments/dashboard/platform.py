"""The platform fee (admins only) and the platform's revenue. The fee lives in the contract:
`setPlatformFee(recipient, bps)` by an account with DEFAULT_ADMIN_ROLE, capped by MAX_FEE_BPS.
A site admin's wallet sends that transaction itself (built here, as purchases are); a site
admin whose address lacks the role is told so before their wallet is asked. The indexer
records `PlatformFeeUpdated` (payments.changes) and pages then show the new fee.

A rise is announced, not applied (contracts v2): the contract keeps it pending for
`FEE_NOTICE` so sales already under way keep today's fee; then anyone may apply it
(`applyPlatformFee`). The page shows the pending fee and when it may apply."""

from collections import defaultdict
from datetime import UTC, datetime

from chain import client
from core.errors import ApiError
from core.eth import is_address, to_checksum_address
from payments import currencies
from payments.dashboard.figures import bucket, fee_recipients
from payments.dashboard.ledger import with_unattributed
from payments.models import Payout, PlatformFeeChange
from payments.purchase.sale import marketplace, transaction

DEFAULT_ADMIN_ROLE = b"\x00" * 32


def require_site_admin(user) -> None:
    if not (user.is_authenticated and (user.is_staff or user.is_superuser)):
        raise ApiError("Only site admins can see or change the platform fee.", code="not_admin",
                       status=403)  # fmt: skip


def fee_status(*, user) -> dict:
    """The fee as the contract holds it, its cap, and whether `user`'s address may change it."""
    require_site_admin(user)
    market = marketplace()
    with client.chain_errors():
        bps = int(market.functions.feeBps().call())
        recipient = market.functions.feeRecipient().call()
        cap = int(market.functions.MAX_FEE_BPS().call())
        can_set = bool(market.functions.hasRole(DEFAULT_ADMIN_ROLE, user.address).call())
        pending_recipient, pending_bps, effective_at = market.functions.pendingFee().call()
        notice = int(market.functions.FEE_NOTICE().call())
    history = PlatformFeeChange.objects.select_related(None).order_by("-block_number", "-id")[:50]
    return {
        "bps": bps,
        "recipient": recipient,
        "cap_bps": cap,
        "address": user.address,
        "can_set": can_set,
        "history": list(history),
        "notice_seconds": notice,
        "pending": (
            {"bps": int(pending_bps), "recipient": pending_recipient,
             "effective_at": datetime.fromtimestamp(effective_at, tz=UTC)}
            if effective_at else None
        ),
    }  # fmt: skip


def fee_prepare(*, user, bps, recipient=None) -> dict:
    """The `setPlatformFee` transaction for the admin's wallet. Refused clearly when the
    signed-in address has no admin role on the contract, or the fee is above the cap."""
    status = fee_status(user=user)
    if not isinstance(bps, int) or isinstance(bps, bool) or not 0 <= bps <= status["cap_bps"]:
        raise ApiError(f"The fee is between 0 and {status['cap_bps']} basis points (the "
                       "contract's cap).", code="fee_above_cap")  # fmt: skip
    recipient = recipient or status["recipient"]
    if not isinstance(recipient, str) or not is_address(recipient):
        raise ApiError("The fee recipient must be a 0x address.", code="bad_address")
    recipient = to_checksum_address(recipient)
    if int(recipient, 16) == 0 and bps:
        raise ApiError("A fee needs a recipient other than the zero address.", code="bad_address")
    if not status["can_set"]:
        raise ApiError(
            f"Your address {user.address} does not hold the contract's admin role, so the "
            "contract would refuse the change. Sign in with the admin wallet.",
            code="not_contract_admin",
            status=403,
        )
    market = marketplace()
    data = market.encode_abi("setPlatformFee", args=[recipient, bps])
    tx = transaction("setPlatformFee", sender=user.address, to=market.address, data=data)
    return {"bps": bps, "recipient": recipient, "old_bps": status["bps"],
            # A rise waits out the notice period; anything else applies when mined.
            "announced": bps > status["bps"], "notice_seconds": status["notice_seconds"],
            "transaction": {**tx, "value": "0"}}  # fmt: skip


def platform_revenue(*, period: str = "daily") -> dict:
    """Fees credited to the platform's recipients and withdrawn by them, per currency and per
    period (UTC days or weeks), exact. Fee recipients are those of every PlatformFeeUpdated."""
    recipients = fee_recipients()
    with client.chain_errors():
        try:
            recipients.add(marketplace().functions.feeRecipient().call())
        except ApiError:
            pass  # not deployed: the indexed recipients are all there is
    payouts = Payout.objects.filter(
        account__in=recipients, kind__in=[Payout.Kind.CREDITED, Payout.Kind.WITHDRAWN]
    ).order_by("block_time", "id")
    totals: dict[str, dict] = {}
    periods: dict[tuple, dict] = defaultdict(lambda: {"credited_wei": 0, "withdrawn_wei": 0})
    for p in payouts:
        key = f"{p.kind}_wei"
        row = totals.setdefault(p.currency, {"credited_wei": 0, "withdrawn_wei": 0})
        row[key] += int(p.amount)
        periods[(bucket(p.block_time, period), p.currency)][key] += int(p.amount)
    return {
        "period": period,
        "recipients": sorted(recipients),
        "totals": [
            {
                "currency": currencies.currency_info(c),
                **row,
                "unattributed_wei": (
                    fixed := with_unattributed(dict(row), "credited_wei", "withdrawn_wei")
                )["unattributed"],
                "outstanding_wei": fixed["outstanding"],
            }
            for c, row in sorted(totals.items())
        ],  # fmt: skip
        "periods": [
            {"start": start, "currency": currencies.currency_info(c), **row}
            for (start, c), row in sorted(periods.items(), reverse=True)
        ],
    }
