"""Check a signature over a 32-byte digest the way the contracts do (OpenZeppelin's
SignatureChecker): ECDSA recovery for an ordinary account, ERC-1271 for a contract wallet."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chain.client import get_web3
from core.eth import to_checksum_address

if TYPE_CHECKING:
    from web3 import Web3

ERC1271_MAGIC = bytes.fromhex("1626ba7e")
ERC1271_ABI = [
    {
        "type": "function",
        "name": "isValidSignature",
        "stateMutability": "view",
        "inputs": [{"name": "hash", "type": "bytes32"}, {"name": "signature", "type": "bytes"}],
        "outputs": [{"name": "", "type": "bytes4"}],
    }
]


def recover(digest: bytes, signature: bytes) -> str | None:
    """The address whose key made `signature` over `digest`, or None if it is malformed."""
    # eth_account (~20 MiB with its key and keyfile packages) loads on the first signature
    # checked, not when a page module imports this one (marketplace/tests/test_lean_imports.py).
    from eth_account import Account
    from eth_keys.exceptions import BadSignature
    from eth_keys.exceptions import ValidationError as KeyValidationError

    try:
        return Account._recover_hash(digest, signature=signature)
    except (BadSignature, KeyValidationError, ValueError, TypeError):
        return None


def signer_accepts(
    address: str, digest: bytes, signature: bytes, *, w3: Web3 | None = None
) -> bool:
    """True when `address` signed `digest`: by recovery, or, for a contract, by ERC-1271.
    Recovery needs no chain; the chain is asked only when recovery names someone else.
    Network errors from the chain propagate (the caller decides how to report them)."""
    address = to_checksum_address(address)
    if recover(digest, signature) == address:
        return True
    w3 = w3 or get_web3()
    if not w3.eth.get_code(address):
        return False
    from web3.exceptions import BadFunctionCallOutput, ContractLogicError

    wallet = w3.eth.contract(address=address, abi=ERC1271_ABI)
    try:
        answer = wallet.functions.isValidSignature(digest, signature).call()
    except (ContractLogicError, BadFunctionCallOutput, ValueError):
        return False  # a wallet that reverts or answers garbage does not accept it
    return bytes(answer) == ERC1271_MAGIC
