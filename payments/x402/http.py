"""The Django side: read the x402 headers of a request, decide, and shape the answers (402
with `PAYMENT-REQUIRED`, `PAYMENT-RESPONSE` on the served resource)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.http import JsonResponse
from x402.http import (
    PAYMENT_REQUIRED_HEADER,
    PAYMENT_RESPONSE_HEADER,
    PAYMENT_SIGNATURE_HEADER,
    encode_payment_required_header,
    encode_payment_response_header,
)
from x402.schemas import PaymentRequired, SettleResponse

from core.errors import ApiError
from listings.models import Listing
from payments.models import RelayedPurchase
from payments.x402 import facilitator, holder
from payments.x402.requirements import payment_required

SIWX_HEADER = "SIGN-IN-WITH-X"


@dataclass(frozen=True)
class Caller:
    """Who may have the resource: a holder who proved it, or a payer just settled."""

    address: str
    settlement: SettleResponse | None = None
    relayed: RelayedPurchase | None = None


class PaymentRequiredError(Exception):
    """Answer 402 with `required` (body and PAYMENT-REQUIRED header)."""

    def __init__(self, required: PaymentRequired, code: str = "payment_required"):
        super().__init__(required.error or "Payment required.")
        self.required, self.code = required, code

    def response(self) -> JsonResponse:
        body = json.loads(self.required.model_dump_json(by_alias=True, exclude_none=True))
        message = self.required.error or "Pay with x402 (PAYMENT-SIGNATURE), or prove a licence."
        body["code"] = self.code
        body["message"] = message
        response = JsonResponse(body, status=402)
        response[PAYMENT_REQUIRED_HEADER] = encode_payment_required_header(self.required)
        response["Access-Control-Expose-Headers"] = PAYMENT_REQUIRED_HEADER
        return response


def _origin(request) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _required(request, listing, kinds, description, error=None, code="payment_required", tier=None):
    required = payment_required(
        listing=listing,
        kinds=kinds,
        url=request.build_absolute_uri(),
        description=description,
        error=error,
        tier=tier,
    )
    if required is None:
        raise ApiError(
            "No licence that gives this access can be paid with x402 here.",
            code="licence_required",
            status=403,
        )
    return PaymentRequiredError(required, code)


def bearer_token(request):
    """The API token of `Authorization: Bearer mkt_…`, if any (its spend controls apply to
    what is paid under it); 401 for a bad one."""
    from rest_framework.exceptions import AuthenticationFailed

    from accounts.authentication import ApiTokenAuthentication

    try:
        found = ApiTokenAuthentication().authenticate(request)
    except AuthenticationFailed as exc:
        raise ApiError(str(exc.detail), code="not_authenticated", status=401) from None
    return found[1] if found else None


def x402_access(
    request, *, listing: Listing, kinds, description: str, tier: int | None = None
) -> Caller:
    """The caller, once proven a holder or paid; else raises PaymentRequiredError (402) or
    ApiError (4xx). A payment is only settled when the payer holds no licence yet, and within
    the spend controls of the API token it came with, if any."""
    api_token = bearer_token(request)
    siwx = request.headers.get(SIWX_HEADER)
    payment = request.headers.get(PAYMENT_SIGNATURE_HEADER)
    if siwx:
        address = holder.siwx_address(siwx, origin=_origin(request))
        if holder.holds(address=address, listing=listing, kinds=kinds):
            return Caller(address=address)
        if not payment:
            message = f"{address} holds no licence."
            raise _required(request, listing, kinds, description, message, tier=tier)
    if not payment:
        raise _required(request, listing, kinds, description, tier=tier)
    payer = facilitator.decode(payment).payload.get("authorization", {}).get("from", "")
    if isinstance(payer, str) and len(payer) == 42:
        try:
            from core.eth import to_checksum_address

            if holder.holds(address=to_checksum_address(payer), listing=listing, kinds=kinds):
                raise ApiError(
                    "The payer already holds a licence: prove it with SIGN-IN-WITH-X instead "
                    "of paying again.",
                    code="already_licensed",
                    status=409,
                )
        except ValueError:
            pass  # malformed: the facilitator refuses it with a clear message
    try:
        settled = facilitator.settle(
            listing=listing, header=payment, kinds=kinds, api_token=api_token, tier=tier
        )
    except facilitator.PaymentInvalid as exc:
        raise _required(
            request, listing, kinds, description, exc.message, exc.reason, tier=tier
        ) from None
    return Caller(address=settled.payer, settlement=settled.response, relayed=settled.relayed)


def x402_attach(response, caller: Caller):
    """Add PAYMENT-RESPONSE to the served resource when the caller paid for it."""
    if caller.settlement is not None:
        response[PAYMENT_RESPONSE_HEADER] = encode_payment_response_header(caller.settlement)
        response["Access-Control-Expose-Headers"] = PAYMENT_RESPONSE_HEADER
    return response


def error_response(exc: ApiError) -> JsonResponse:
    codes = exc.get_codes()
    body = {"error": {"code": codes if isinstance(codes, str) else "error",
                      "message": str(exc.detail), "fields": {}}}  # fmt: skip
    return JsonResponse(body, status=exc.status_code)
