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
from chain import client
from chain.gasless import PurchaseIntent
from core.errors import ApiError
from core.eth import is_address, keccak, to_checksum_address
from listings.models import Listing
from payments.models import RelayedPurchase
from payments.purchase.sale import Sale, insufficient, sale_check_open
from payments.relay import submit
from payments.relay.prepare import checkout
from payments.relay.submit import whole
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


def parse(data) -> PaymentPayload:
    """A payment payload sent as JSON (an MCP request's `_meta["x402/payment"]`)."""
    try:
        payload = PaymentPayload.model_validate(data)
    except Exception:  # noqa: BLE001 - any shape error is a malformed payment
        payload = None
    if payload is None or payload.x402_version != 2:
        raise ApiError(
            "x402/payment is not an x402 v2 payment payload.", code="payment_malformed", status=400
        )
    return payload


def _authorization(payload: PaymentPayload) -> tuple[ExactEIP3009Payload, str]:
    # x402's EVM mechanisms load web3: on the first payment, not with the URLconf.
    from x402.mechanisms.evm.types import ExactEIP3009Payload

    try:
        exact = ExactEIP3009Payload.from_dict(payload.payload)
        auth = exact.authorization
        if not (is_address(auth.from_address) and is_address(auth.to)):
            raise ValueError
        auth.value, auth.valid_before = whole(auth.value), whole(auth.valid_before)
        auth.valid_after = whole(auth.valid_after)
        if len(HexBytes(auth.nonce)) != 32 or not isinstance(exact.signature, str | None):
            raise ValueError
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError):
        raise ApiError(
            "The payment's authorization is incomplete or malformed.",
            code="payment_malformed",
            status=400,
        ) from None
    return exact, to_checksum_address(auth.from_address)


def _tier(payload: PaymentPayload, listing: Listing, kinds, only: int | None) -> int:
    extra = payload.accepted.extra or {}
    # Our requirements name the listing they were offered for: a payment made for one
    # resource is not settled for another at the same price.
    if extra.get("listing") != listing.slug:
        raise PaymentInvalid("invalid_resource", "The payment was made for another listing.")
    try:
        tier = whole(extra.get("tier"))
    except ValueError:
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
    if not (is_address(accepted.pay_to) and is_address(accepted.asset)):
        raise PaymentInvalid("invalid_payload", "payTo and asset must be 0x addresses.")
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
    # Bounded like a prepared intent: a payment sent and stuck is known dead soon after.
    if int(auth.valid_before) > now + settings.RELAY_INTENT_TTL_SECONDS + 60:
        raise PaymentInvalid("invalid_valid_window", "The authorization is valid too long.")


def authorization_key(payer: str, nonce) -> bytes:
    """What an x402 relay is recorded under: the authorization itself (payer and nonce), not
    the purchase it is settled for. The authorization names no purchase, so keyed by purchase
    one could be settled for another listing at the same price once the first relay failed
    (its calldata public); keyed by itself, it is settled here once, even after a failure."""
    return keccak(b"x402:" + HexBytes(payer) + HexBytes(nonce))


def settle(
    *, listing: Listing, payload: PaymentPayload, kinds, api_token=None, tier: int | None = None
):
    """Verify and settle the payment for one licence; a Settlement (or PaymentInvalid / 4xx)."""
    sale_check_open(listing)  # paused or delisted by a moderator: 409, whatever the chain says
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
        try:
            signature = bytes(HexBytes(exact.signature or "0x"))
        except ValueError:
            signature = b""
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
        calls = submit.purchase_calls(
            sale, desk, RelayedPurchase.Method.TRANSFER, intent, [signature], int(auth.valid_after)
        )
        relayed = submit.relay_purchase(
            listing=listing,
            sale=sale,
            intent=intent,
            method=RelayedPurchase.Method.TRANSFER,
            digest=authorization_key(payer, auth.nonce),
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
