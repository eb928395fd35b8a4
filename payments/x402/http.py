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


def x402_required(
    *, listing, kinds, url, description, error=None, code="payment_required", tier=None, siwx=True
) -> PaymentRequiredError:
    """The 402 to answer for the resource at `url` (ApiError 403 when x402 cannot pay for it)."""
    required = payment_required(
        listing=listing,
        kinds=kinds,
        url=url,
        description=description,
        error=error,
        tier=tier,
        siwx=siwx,
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
    asked = {
        "listing": listing,
        "kinds": kinds,
        "url": request.build_absolute_uri(),
        "description": description,
        "tier": tier,
    }
    if siwx:
        address = holder.siwx_address(siwx, origin=_origin(request))
        if holder.holds(address=address, listing=listing, kinds=kinds):
            return Caller(address=address)
        if not payment:
            raise x402_required(**asked, error=f"{address} holds no licence.")
    if not payment:
        raise x402_required(**asked)
    return x402_pay(payload=facilitator.decode(payment), api_token=api_token, **asked)


def x402_pay(
    *, payload, listing: Listing, kinds, url, description, tier=None, api_token=None, siwx=True
) -> Caller:
    """Settle `payload` (an x402 v2 PaymentPayload, from a header or an MCP request's _meta)
    for one licence giving `kinds`: refused (409) when the payer already holds one, 402 again
    (PaymentRequiredError) when it does not pay for this resource."""
    payer = _payer(payload)
    if payer and holder.holds(address=payer, listing=listing, kinds=kinds):
        raise ApiError(
            "The payer already holds a licence: prove it (SIGN-IN-WITH-X, or an API token over "
            "MCP) instead of paying again.",
            code="already_licensed",
            status=409,
        )
    try:
        settled = facilitator.settle(
            listing=listing, payload=payload, kinds=kinds, api_token=api_token, tier=tier
        )
    except facilitator.PaymentInvalid as exc:
        raise x402_required(
            listing=listing,
            kinds=kinds,
            url=url,
            description=description,
            error=exc.message,
            code=exc.reason,
            tier=tier,
            siwx=siwx,
        ) from None
    return Caller(address=settled.payer, settlement=settled.response, relayed=settled.relayed)


def _payer(payload) -> str | None:
    """The authorization's `from`, checksummed; None when malformed (the facilitator refuses
    it then, with a clear message)."""
    from core.eth import is_address, to_checksum_address

    authorization = (payload.payload or {}).get("authorization")
    payer = authorization.get("from") if isinstance(authorization, dict) else None
    return to_checksum_address(payer) if isinstance(payer, str) and is_address(payer) else None


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
