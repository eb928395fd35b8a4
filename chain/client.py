"""The one place that talks to the chain: a web3 client per RPC URL, and compiled artifacts.

Every other module gets its Web3 object and contract ABIs from here (STYLE.md rule 8)."""

import json
from functools import cache

from django.conf import settings
from web3 import HTTPProvider, Web3


@cache
def _web3_for(url: str) -> Web3:
    return Web3(HTTPProvider(url, request_kwargs={"timeout": 30}))


def get_web3() -> Web3:
    """The client for the configured chain (settings.CHAIN_RPC_URL)."""
    return _web3_for(settings.CHAIN_RPC_URL)


@cache
def _artifact(path: str) -> dict:
    with open(path) as f:
        return json.load(f)


def load_artifact(name: str) -> dict:
    """A compiled contract from contracts/build/<name>.json (ABI, bytecode, source hashes)."""
    return _artifact(str(settings.CONTRACTS_BUILD_DIR / f"{name}.json"))
