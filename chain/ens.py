"""ENS primary names on the chain (ENSIP-3 reverse resolution, ENSIP-15 normalisation).

An address's primary name is a claim its owner writes under `<hex address>.addr.reverse`;
anyone can claim any name there. It is only the address's name when the name's own `addr()`
record points back at the address (forward verification), as wallets check. accounts/ens.py
caches the answers; this module only asks the chain."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from core.eth import keccak, to_checksum_address

if TYPE_CHECKING:
    from web3 import Web3

ZERO_NODE = b"\x00" * 32
MAX_NAME_LENGTH = 255

_REGISTRY_ABI = [
    {
        "name": "resolver",
        "type": "function",
        "stateMutability": "view",
        "inputs": [{"name": "node", "type": "bytes32"}],
        "outputs": [{"name": "", "type": "address"}],
    }
]
_RESOLVER_ABI = [
    {
        "name": "name",
        "type": "function",
        "stateMutability": "view",
        "inputs": [{"name": "node", "type": "bytes32"}],
        "outputs": [{"name": "", "type": "string"}],
    },
    {
        "name": "addr",
        "type": "function",
        "stateMutability": "view",
        "inputs": [{"name": "node", "type": "bytes32"}],
        "outputs": [{"name": "", "type": "address"}],
    },
]


def namehash(name: str) -> bytes:
    """EIP-137 namehash of an already normalised name."""
    node = ZERO_NODE
    if name:
        for label in reversed(name.split(".")):
            node = keccak(node + keccak(text=label))
    return node


def reverse_node(address: str) -> bytes:
    return namehash(f"{to_checksum_address(address)[2:].lower()}.addr.reverse")


@cache
def _web3_for(url: str, timeout: float) -> Web3:
    from web3 import HTTPProvider, Web3

    # No retries: a node that is down should cost a page one refused connection, not web3's
    # five backed-off attempts.
    provider = HTTPProvider(
        url, request_kwargs={"timeout": timeout}, exception_retry_configuration=None
    )
    return Web3(provider)


def ens_web3(url: str, timeout: float) -> Web3:
    """A client for ENS lookups: its own URL (ENS may live on another chain than ours) and a
    short timeout."""
    return _web3_for(url, timeout)


def _normalised(name: str) -> str | None:
    """The name if it is already in ENSIP-15 normal form, else None: a name that would show
    differently from what resolves (mixed scripts, invisible characters) is not shown."""
    from ens.exceptions import InvalidName
    from ens.utils import normalize_name

    if not name or len(name) > MAX_NAME_LENGTH:
        return None
    try:
        return name if normalize_name(name) == name else None
    except (InvalidName, ValueError):
        return None


def primary_name(w3: Web3, *, registry: str, address: str) -> str | None:
    """The address's verified primary ENS name, or None when it has none, its resolver does
    not answer, or the name's addr() is another address. Node errors (connection refused,
    timeout) propagate: the caller decides how long to remember a failure."""
    from web3.exceptions import BadFunctionCallOutput, ContractLogicError

    address = to_checksum_address(address)
    ens = w3.eth.contract(address=to_checksum_address(registry), abi=_REGISTRY_ABI)
    try:
        node = reverse_node(address)
        reverse_resolver = _resolver(w3, ens, node)
        name = _normalised(reverse_resolver.functions.name(node).call() if reverse_resolver else "")
        if name is None:
            return None
        forward = namehash(name)
        forward_resolver = _resolver(w3, ens, forward)
        if forward_resolver is None:
            return None
        resolved = forward_resolver.functions.addr(forward).call()
    except (BadFunctionCallOutput, ContractLogicError):
        return None  # a resolver without these functions: no name, not an outage
    return name if to_checksum_address(resolved) == address else None


def _resolver(w3: Web3, ens, node: bytes):
    """The node's resolver contract, or None when the registry names none."""
    found = ens.functions.resolver(node).call()
    if int(found, 16) == 0:
        return None
    return w3.eth.contract(address=found, abi=_RESOLVER_ABI)
