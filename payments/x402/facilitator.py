"""Our own x402 facilitator for the `exact` scheme on EVM: verify the payer's EIP-3009
TransferWithAuthorization against what the resource costs now, then settle it through the
Checkout (`buyWithTransferAuthorization`), relayed like any gasless purchase: the licence is
minted to the payer, the split is paid, and the gas comes out of the day's sponsorship.

Every refusal happens before anything is sent: a payload that does not parse (400), a
scheme, network (chain), asset, amount or payee other than required, a lapsed or not yet valid
authorization, a signature that is not the payer's (402 with the requirements again), an
authorization already used (409)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from hexbytes import HexBytes
from x402.http.utils import decode_payment_signature_header
from x402.schemas import PaymentPayload, SettleResponse

from accounts.denylist import address_check_allowed
from chain import client, typed_data
from chain.gasless import PurchaseIntent, checkout_domain
from core.errors import ApiError
from core.eth import is_address, to_checksum_address
from listings.models import Listing
from payments.models import RelayedPurchase
from payments.purchase.sale import Sale, insufficient
from payments.relay import submit
from payments.relay.prepare import checkout
from payments.relay.tokens import signing_facts
from payments.x402.requirements import network, payable_tiers, tier_requirements

if TYPE_CHECKING:
    from x402.mechanisms.evm.types import ExactEIP3009Payload


class PaymentInvalid(Exception):
    """The payment does not pay for this resource: answer 402 with the requirements again."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason, self.message = reason, message


@dataclass(frozen=True)
class Settlement:
    payer: str
    relayed: RelayedPurchase
    response: SettleResponse


def decode(header: str) -> PaymentPayload:
    try:
        payload = decode_payment_signature_header(header)
    except Exception:  # noqa: BLE001 - base64, JSON or schema: all malformed
        payload = None
    if not isinstance(payload, PaymentPayload):
        raise ApiError(
            "PAYMENT-SIGNATURE is not an x402 v2 payment payload (base64 JSON).",
            code="payment_malformed",
            status=400,
        )
    return payload


def _authorization(payload: PaymentPayload) -> tuple[ExactEIP3009Payload, str]:
    # x402's EVM mechanisms load web3: on the first payment, not with the URLconf.
    from x402.mechanisms.evm.types import ExactEIP3009Payload

    try:
        exact = ExactEIP3009Payload.from_dict(payload.payload)
        sender = exact.authorization.from_address
        if not (is_address(sender) and is_address(exact.authorization.to)):
            raise ValueError
        int(exact.authorization.value), int(exact.authorization.valid_before)
        int(exact.authorization.valid_after)
        if len(HexBytes(exact.authorization.nonce)) != 32:
            raise ValueError
    except (KeyError, TypeError, ValueError, AttributeError):
        raise ApiError(
            "The payment's authorization is incomplete or malformed.",
            code="payment_malformed",
            status=400,
        ) from None
    return exact, to_checksum_address(sender)


def _tier(payload: PaymentPayload, listing: Listing, kinds, only: int | None) -> int:
    try:
        tier = int((payload.accepted.extra or {}).get("tier"))
    except (TypeError, ValueError):
        raise PaymentInvalid("invalid_tier", "The payment names no tier of this listing.") from None
    if tier not in payable_tiers(listing, kinds, only):
        raise PaymentInvalid("invalid_tier", "The payment's tier does not give this access.")
    return tier


def _check_terms(payload: PaymentPayload, exact: ExactEIP3009Payload, sale: Sale) -> None:
    """The payment pays exactly for `sale`, to the Checkout, on this chain, now."""
    accepted, auth = payload.accepted, exact.authorization
    if accepted.scheme != "exact":
        raise PaymentInvalid("unsupported_scheme", "Only the 'exact' scheme is accepted.")
    if accepted.network != network():
        raise PaymentInvalid("invalid_network", f"Pay on {network()}, not {accepted.network}.")
    desk = checkout().address
    if to_checksum_address(auth.to) != desk or to_checksum_address(accepted.pay_to) != desk:
        raise PaymentInvalid("invalid_pay_to", f"Pay to the checkout contract {desk}.")
    if to_checksum_address(accepted.asset) != sale.currency:
        raise PaymentInvalid("invalid_asset", f"Pay in {sale.currency}.")
    if int(auth.value) != sale.total or str(accepted.amount) != str(sale.total):
        raise PaymentInvalid(
            "invalid_amount", f"The licence costs {sale.total} base units, not {auth.value}."
        )
    now = int(time.time())
    if int(auth.valid_before) <= now + 5 or int(auth.valid_after) >= now:
        raise PaymentInvalid("invalid_valid_window", "The authorization is not valid now.")
    if int(auth.valid_before) > now + 24 * 3600:
        raise PaymentInvalid("invalid_valid_window", "The authorization is valid too long.")


def settle(*, listing: Listing, header: str, kinds, api_token=None, tier: int | None = None):
    """Verify and settle the payment for one licence; a Settlement (or PaymentInvalid / 4xx)."""
    payload = decode(header)
    exact, payer = _authorization(payload)
    address_check_allowed(address=payer)  # a denied wallet may not buy (403)
    tier = _tier(payload, listing, kinds, tier)
    with client.chain_errors():
        found = tier_requirements(listing, tier, payer)
        if found is None:
            raise PaymentInvalid("invalid_tier", "This tier cannot be paid with x402.")
        sale = found[1]
        _check_terms(payload, exact, sale)
        auth = exact.authorization
        intent = PurchaseIntent(
            buyer=payer,
            listing_id=sale.listing_id,
            tier_id=tier,
            quantity=1,
            currency=sale.currency,
            amount=sale.total,
            nonce=HexBytes(auth.nonce),
            deadline=int(auth.valid_before),
        )
        signature = bytes(HexBytes(exact.signature or "0x"))
        _, domain, token = signing_facts(sale.currency)
        if len(signature) != 65 or not submit.transfer_authorization_check(
            intent, int(auth.valid_after), signature, domain
        ):
            raise PaymentInvalid(
                "invalid_signature", f"The authorization was not signed by {payer}."
            )
        if token.functions.authorizationState(payer, HexBytes(auth.nonce)).call():
            raise ApiError("This payment was already used.", code="already_relayed", status=409)
        if token.functions.balanceOf(payer).call() < sale.total:
            raise insufficient("token")
        desk = checkout()
        digest = typed_data.digest(intent, checkout_domain(settings.CHAIN_ID, desk.address))
        calls = submit.purchase_calls(
            sale, desk, RelayedPurchase.Method.TRANSFER, intent, [signature], int(auth.valid_after)
        )
        relayed = submit.relay_purchase(
            listing=listing,
            sale=sale,
            intent=intent,
            method=RelayedPurchase.Method.TRANSFER,
            digest=digest,
            calls=calls,
            source=RelayedPurchase.Source.X402,
            api_token=api_token,
        )
    response = SettleResponse(
        success=True,
        payer=payer,
        transaction=relayed.tx_hashes[-1],
        network=network(),
        amount=str(sale.total),
    )
    return Settlement(payer=payer, relayed=relayed, response=response)
