"""`{% wallet_config %}`: what static/js needs to know, as JSON (no inline script: CSP-ready)."""

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.html import json_script

register = template.Library()

_KNOWN_CHAIN_NAMES = {1: "Ethereum", 11155111: "Sepolia", 31337: "Anvil (local)"}


def chain_params() -> dict:
    """EIP-3085 parameters for wallet_addEthereumChain, for wallets that lack our chain."""
    chain_id = settings.CHAIN_ID
    return {
        "chainId": hex(chain_id),
        "chainName": settings.CHAIN_NAME or _KNOWN_CHAIN_NAMES.get(chain_id, f"Chain {chain_id}"),
        # The URL the browser's wallet can reach; the server's own RPC URL is the fallback.
        "rpcUrls": [settings.CHAIN_PUBLIC_RPC_URL or settings.CHAIN_RPC_URL],
        "nativeCurrency": {"name": "Ether", "symbol": "ETH", "decimals": 18},
    }


@register.simple_tag(takes_context=True)
def wallet_config(context):
    user = getattr(context.get("request"), "user", None)
    config = {
        "chain": chain_params(),
        "api": {
            "nonce": reverse("auth-api:nonce"),
            "verify": reverse("auth-api:verify"),
            "signOut": reverse("auth-api:sign-out"),
        },
        "signedInAddress": user.address if user and user.is_authenticated else None,
    }
    return json_script(config, "wallet-config")
