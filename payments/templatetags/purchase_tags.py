"""`{% purchase_config listing %}`: what static/js/purchase.js needs on a listing page, as JSON
(json_script, no inline script)."""

from functools import cache

from django import template
from django.conf import settings
from django.core.cache import cache as django_cache
from django.urls import reverse
from django.utils.html import json_script

from chain import client
from core.eth import keccak
from payments.purchase import MAX_QUANTITY

register = template.Library()


def _canonical(param: dict) -> str:
    if param["type"].startswith("tuple"):
        inner = ",".join(_canonical(c) for c in param["components"])
        return f"({inner}){param['type'][5:]}"
    return param["type"]


@cache
def revert_reasons() -> dict[str, str]:
    """4-byte selector → custom error name, for the Marketplace and ERC-20 (OpenZeppelin)
    errors a purchase can revert with, so the page can say why without an ABI decoder."""
    reasons = {}
    for name in ("Marketplace", "TestPermitToken"):
        for item in client.load_artifact(name)["abi"]:
            if item["type"] == "error":
                types = ",".join(_canonical(i) for i in item["inputs"])
                selector = "0x" + keccak(text=f"{item['name']}({types})")[:4].hex()
                reasons[selector] = item["name"]
    return reasons


@register.simple_tag
def purchase_config(listing):
    slug = listing.slug
    config = {
        "listing": slug,
        "title": listing.title,
        "quoteUrl": reverse("listing-purchase-quote", args=[slug]),
        "prepareUrl": reverse("listing-purchase-prepare", args=[slug]),
        "gaslessPrepareUrl": reverse("listing-gasless-prepare", args=[slug]),
        "gaslessSubmitUrl": reverse("listing-gasless-submit", args=[slug]),
        "accessUrl": reverse("listing-access", args=[slug]),
        "listingUrl": reverse("listings:detail", args=[slug]),
        "downloadsUrl": reverse("listings:detail", args=[slug]) + "#files",
        "licencesUrl": reverse("payments:licences"),
        "confirmations": settings.CONFIRMATIONS,
        "explorerTxUrl": settings.CHAIN_EXPLORER_TX_URL,
        "maxQuantity": MAX_QUANTITY,
        "revertReasons": revert_reasons(),
    }
    return json_script(config, "purchase-config")


GASLESS_CACHE_SECONDS = 3600


@register.filter
def gasless_method(tier) -> str:
    """The gasless method for the buy box: "authorization" when the tier's currency takes
    EIP-3009 signed payments (one signature, no gas), "permit" for an ERC-2612 token (a permit
    and the purchase signed: used by wallets without ETH), else "". Asked of the token once an
    hour."""
    if int(tier.currency, 16) == 0:
        return ""
    key = f"payments:gasless:{tier.currency.lower()}"
    found = django_cache.get(key)
    if found is None:
        from payments.relay import gasless_method as method_of

        try:
            found = method_of(tier.currency) or ""
        except Exception:  # noqa: BLE001 - a page never fails on this: buy with a transaction
            return ""
        django_cache.set(key, found, GASLESS_CACHE_SECONDS)
    return found if found in ("authorization", "permit") else ""


@register.simple_tag
def purchase_max_quantity() -> int:
    return MAX_QUANTITY
