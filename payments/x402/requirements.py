"""The 402 answer: x402 v2 `PaymentRequired` with one `exact` requirement per tier that gives
the access asked for and is priced in an EIP-3009 currency (amount in base units, payTo the
Checkout, the token's EIP-712 name and version in `extra`), plus the sign-in-with-x
declaration for callers that already hold a licence."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

from django.conf import settings
from x402.extensions.sign_in_with_x import SIGN_IN_WITH_X, build_siwx_schema
from x402.schemas import PaymentRequired, PaymentRequirements, ResourceInfo

from chain import client
from core.errors import ApiError
from listings.models import Listing
from payments.purchase.sale import marketplace, read_sale, sale_check_open
from payments.relay.prepare import checkout
from payments.relay.tokens import AUTHORIZATION, signing_facts

SIWX_STATEMENT = "Prove you hold a licence for this resource."


def network() -> str:
    """Our chain as CAIP-2."""
    return f"eip155:{settings.CHAIN_ID}"


def tier_requirements(listing: Listing, tier: int, buyer: str | None = None):
    """(requirements, sale) for one licence of `tier`, or None when x402 cannot pay for it."""
    try:
        sale = read_sale(listing, tier, 1, marketplace(), buyer)
        method, domain, _ = signing_facts(sale.currency)
    except ApiError as exc:
        if exc.status_code == 503:
            raise
        return None
    if method != AUTHORIZATION or sale.total == 0:
        return None
    requirements = PaymentRequirements(
        scheme="exact",
        network=network(),
        asset=sale.currency,
        amount=str(sale.total),
        pay_to=checkout().address,
        max_timeout_seconds=settings.RELAY_INTENT_TTL_SECONDS,
        extra={
            "name": domain.name,
            "version": domain.version,
            "assetTransferMethod": "eip3009",
            "listing": listing.slug,
            "tier": tier,
            "quantity": 1,
        },
    )
    return requirements, sale


def payable_tiers(listing: Listing, kinds, only: int | None = None) -> list[int]:
    tiers = listing.tiers.filter(active=True, kind__in=kinds, requires_approval=False)
    if only is not None:
        tiers = tiers.filter(position=only)
    return list(tiers.order_by("price_wei", "position").values_list("position", flat=True))


def siwx_challenge(url: str) -> dict:
    """The sign-in-with-x message a holder signs (with the chain it picks): bound to this site
    and resource, fresh, with a nonce (single-use: payments.x402.holder)."""
    now = datetime.now(UTC)
    stamp = "%Y-%m-%dT%H:%M:%S.000Z"
    parts = urlparse(url)
    return {
        "domain": parts.netloc,
        "uri": url,
        "version": "1",
        "statement": SIWX_STATEMENT,
        "nonce": secrets.token_hex(16),
        "issuedAt": now.strftime(stamp),
        "expirationTime": (now + timedelta(minutes=5)).strftime(stamp),
        "resources": [url],
    }


def payment_required(
    *,
    listing: Listing,
    kinds,
    url: str,
    description: str,
    error: str | None = None,
    tier: int | None = None,
    siwx: bool = True,
) -> PaymentRequired | None:
    """What to pay for the resource at `url` (a 409 while the listing is not on sale); None
    when no tier can be paid with x402. With
    `siwx`, the sign-in-with-x declaration for holders (HTTP resources; MCP callers prove who
    they are with an API token instead)."""
    sale_check_open(listing)
    accepts = []
    with client.chain_errors():
        for position in payable_tiers(listing, kinds, tier):
            found = tier_requirements(listing, position)
            if found is not None:
                accepts.append(found[0])
    if not accepts:
        return None
    extensions = None
    if siwx:
        declaration = {
            "info": siwx_challenge(url),
            "supportedChains": [{"chainId": network(), "type": "eip191"}],
            "schema": build_siwx_schema(),
        }
        extensions = {SIGN_IN_WITH_X: declaration}
    return PaymentRequired(
        error=error,
        resource=ResourceInfo(url=url, description=description),
        accepts=accepts,
        extensions=extensions,
    )
