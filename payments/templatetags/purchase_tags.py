"""`{% purchase_config listing %}`: what static/js/purchase.js needs on a listing page, as JSON
(json_script, no inline script)."""

from functools import cache

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.html import json_script
from eth_utils import keccak

from chain import client
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


@register.simple_tag
def purchase_max_quantity() -> int:
    return MAX_QUANTITY
