"""x402 v2 (HTTP 402 Payment Required) on paid resources, with our own facilitator.

A paid resource asks `x402_access(request, listing=..., kinds=...)` who the caller is:
- a holder proves it with a `SIGN-IN-WITH-X` header (SIWE, EIP-4361: chain id, expiry, a
  single-use nonce) and is served without paying (payments.x402.holder);
- a payer sends `PAYMENT-SIGNATURE` (the `exact` scheme: an EIP-3009 TransferWithAuthorization
  to the Checkout for one licence of a tier); the facilitator checks it and settles it through
  the same relayed purchase as the gasless API, and the licence is minted to the payer
  (payments.x402.facilitator);
- anyone else gets `PaymentRequired`: a 402 whose `accepts` lists every tier that gives
  access, priced in a currency with EIP-3009 (payments.x402.requirements).
The served response carries `PAYMENT-RESPONSE` (the settlement) when the caller paid. The wire
types and header codecs are the `x402` package's; this package is the Django glue."""

_EXPORTS = (
    "Caller",
    "PaymentRequiredError",
    "error_response",
    "x402_access",
    "x402_attach",
    "x402_pay",
    "x402_required",
)
__all__ = list(_EXPORTS)


def __getattr__(name: str):
    # The x402 package and its schemas (~6 MiB of the web process): loaded on the first paid
    # request, not at start (marketplace/tests/test_lean_imports.py).
    if name in _EXPORTS:
        from payments.x402 import http

        return getattr(http, name)
    raise AttributeError(f"module 'payments.x402' has no attribute {name!r}")
