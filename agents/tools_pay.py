"""Signing in and paying: the MCP tools an agent with only a wallet uses. `sign_in_challenge` +
`sign_in` turn a wallet signature (SIWE) into an API token; `buy` answers what to sign for one
of three ways to pay: a transaction the wallet sends (needs ETH), a gasless purchase the site's
relayer sends (`submit_signed_purchase`), or x402 over MCP (the payment travels in the tool
call's `_meta`, as the x402 package's MCP client does it). Same services as the REST API."""

import json
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from django.conf import settings
from mcp.server.mcpserver import Context
from mcp_types import CallToolResult, TextContent
from pydantic import Field

from accounts import services as account_services
from accounts.apis import SiweNonceThrottle, SiweVerifyThrottle
from agents.calls import jsonable, refused, tool_call
from listings import selectors as listing_selectors
from payments import purchase, relay
from payments.relay.apis import relayed_json

Slug = Annotated[str, Field(max_length=160, description="The listing's slug (from search).")]
Tier = Annotated[int, Field(ge=0, le=255, description="The tier's position (0 = first).")]
Quantity = Annotated[int, Field(ge=1, le=1000, description="How many licences.")]
Signature = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{130,20000}$")]
PAYMENT_META_KEY = "x402/payment"  # the x402 MCP transport's keys (x402.mcp.constants)
PAYMENT_RESPONSE_META_KEY = "x402/payment-response"


def _site() -> tuple[str, str]:
    """The site's scheme and host: a sign-in over MCP is a sign-in to the site."""
    parts = urlsplit(settings.SITE_URL)
    return parts.scheme, parts.netloc


def sign_in_challenge(
    ctx: Context, address: Annotated[str, Field(max_length=64, description="Your wallet.")]
) -> dict[str, Any]:
    """Step 1 of signing in with a wallet (no account needed beforehand): the EIP-4361
    (Sign-In with Ethereum) message to sign with personal_sign. It names this site, our chain
    id, an expiry and a single-use nonce. Then call sign_in with the message and signature."""
    with tool_call(ctx, throttles=(SiweNonceThrottle,)):  # the REST sign-in's limits
        scheme, host = _site()
        issued = account_services.siwe_nonce_issue(address=address, scheme=scheme, host=host)
        return jsonable(
            {"message": issued.message, "nonce": issued.nonce, "expires_at": issued.expires_at}
        )


def sign_in(
    ctx: Context,
    message: Annotated[str, Field(max_length=4000, description="sign_in_challenge's message.")],
    signature: Signature,
) -> dict[str, Any]:
    """Step 2: the signed message in, an API token out (shown once; it expires). Reconnect
    with `Authorization: Bearer <token>` to use the tools that act for you. The first sign-in
    of a wallet creates its account."""
    with tool_call(ctx, throttles=(SiweVerifyThrottle,)):
        scheme, host = _site()
        user = account_services.siwe_sign_in(
            message=message, signature=signature, scheme=scheme, host=host
        )
        issued = account_services.api_token_issue(user=user)
        return jsonable(
            {"address": user.address, "token": issued.secret, "expires_at": issued.token.expires_at}
        )


def buy(
    ctx: Context,
    slug: Slug,
    tier: Tier,
    quantity: Quantity = 1,
    method: Annotated[
        Literal["wallet", "gasless", "x402"],
        Field(description="wallet: send a transaction (needs ETH); gasless or x402: no ETH."),
    ] = "wallet",
    buyer: Annotated[
        str, Field(max_length=64, description="The paying wallet; default: the token's.")
    ] = "",
    permit_signature: Annotated[str, Field(max_length=200)] = "",
    deadline: Annotated[int | None, Field(ge=0, le=2**64 - 1)] = None,
) -> dict[str, Any]:
    """Buy `quantity` licences of a tier, three ways:
    - `wallet` (default): `steps` for the buyer's wallet. A step of type `transaction` (to,
      data, value in wei; chain_id in the reply) is signed and sent by the buyer; a step of
      type `sign_typed_data` (an ERC-2612 permit) is signed, then call buy again with
      permit_signature and deadline. Nothing is sent by this server.
    - `gasless` (tiers priced in a token with EIP-3009 or a permit): `sign`, the EIP-712
      documents to sign, and `intent`; then call submit_signed_purchase. The site's relayer
      sends the purchase and pays its gas.
    - `x402` (one licence, a token with EIP-3009): x402 v2 over MCP. Without a payment the
      result is an error whose structured content is x402's PaymentRequired; sign its
      `exact` requirement (an EIP-3009 TransferWithAuthorization to the checkout contract)
      and call buy again with the x402 PaymentPayload in the request's
      `_meta["x402/payment"]`. The licence is minted to the payer; the settlement comes back
      in the result's `_meta["x402/payment-response"]`.
    In every case the contract pays the split and mints the licence; check_access shows it
    once the indexer has confirmed the purchase. A token's spend controls apply."""
    with tool_call(ctx, scope="purchase") as caller:
        listing = listing_selectors.listing_get_for_viewer(slug=slug, viewer=caller.user)
        if method == "x402":
            if quantity != 1:
                raise refused("invalid", "An x402 payment buys one licence: quantity must be 1.")
            return _buy_with_x402(ctx, caller, listing, tier)
        if not buyer:
            if not caller.user.is_authenticated:
                raise refused("bad_address", "Give buyer (a 0x address) or send an API token.")
            buyer = caller.user.address
        if method == "gasless":
            prepared = relay.gasless_prepare(
                listing=listing, tier=tier, quantity=quantity, buyer=buyer, api_token=caller.token
            )
            return jsonable({"payment": "gasless", **prepared})
        prepared = purchase.purchase_prepare(
            listing=listing,
            tier=tier,
            quantity=quantity,
            buyer=buyer,
            permit_signature=permit_signature or None,
            deadline=deadline,
        )
        return jsonable({"payment": "wallet", **prepared})


def _buy_with_x402(ctx: Context, caller, listing, tier: int):
    from payments import x402 as paid  # loads the x402 package: on the first paid call

    found = listing.tiers.filter(position=tier).first()
    if found is None:
        raise refused("unknown_tier", f"This listing has no licence tier {tier}.")
    asked = {
        "listing": listing,
        "kinds": (found.kind,),
        "tier": tier,
        "url": "mcp://tool/buy",
        "description": f"A licence of {listing.title} ({found.name})",
        "siwx": False,  # over MCP a holder shows an API token, not a sign-in-with-x proof
    }
    try:
        payment = (ctx.request_context.meta or {}).get(PAYMENT_META_KEY)
        if payment is None:
            raise paid.x402_required(**asked)
        from payments.x402 import facilitator

        settled = paid.x402_pay(payload=facilitator.parse(payment), api_token=caller.token, **asked)
    except paid.PaymentRequiredError as exc:
        required = exc.required.model_dump(mode="json", by_alias=True, exclude_none=True)
        return CallToolResult(
            content=[TextContent(type="text", text=json.dumps(required))],
            structured_content=required,
            is_error=True,
        )
    reply = {"payment": "x402", **relayed_json(settled.relayed)}
    response = settled.settlement.model_dump(mode="json", by_alias=True, exclude_none=True)
    return CallToolResult(
        content=[TextContent(type="text", text=json.dumps(reply))],
        structured_content=reply,
        _meta={PAYMENT_RESPONSE_META_KEY: response},
    )


def submit_signed_purchase(
    ctx: Context,
    slug: Slug,
    intent: Annotated[dict[str, Any], Field(description="buy(method='gasless')'s intent.")],
    signatures: Annotated[list[Signature], Field(min_length=1, max_length=2)],
) -> dict[str, Any]:
    """Relay a gasless purchase: the intent from buy(method="gasless") and the signatures of
    its `sign` documents, in order. The site's relayer sends it and pays the gas (within the
    day's sponsorship budget); the reply has the transaction and the licence's token id. A
    replayed, expired or wrongly signed purchase is refused and moves no money."""
    with tool_call(ctx, scope="purchase") as caller:
        listing = listing_selectors.listing_get_for_viewer(slug=slug, viewer=caller.user)
        relayed = relay.gasless_submit(
            listing=listing, intent=intent, signatures=signatures, api_token=caller.token
        )
        return jsonable(relayed_json(relayed))


TOOLS = (sign_in_challenge, sign_in, buy, submit_signed_purchase)
READ_ONLY: set[str] = set()
