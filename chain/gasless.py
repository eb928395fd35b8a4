"""EIP-712 messages of gasless purchases, built to match the Checkout contract and EIP-3009
tokens exactly (used with `chain.typed_data.typed_data`, `digest` and `sign`).

A `PurchaseIntent` names one purchase (buyer, listing, tier, quantity, currency, exact amount, a
random single-use nonce, a deadline) in the Checkout's domain, so it carries the chain id and the
contract. On the one-signature path its digest is the nonce of the buyer's EIP-3009
`ReceiveWithAuthorization`: the payment can settle this purchase only, once, before the
deadline."""

import secrets
from dataclasses import dataclass

from chain.typed_data import Domain, bytes32_hex
from core.eth import to_checksum_address

CHECKOUT_DOMAIN_NAME = "AI Model Marketplace Checkout"
CHECKOUT_DOMAIN_VERSION = "1"

PURCHASE_INTENT_TYPE = [
    {"name": "buyer", "type": "address"},
    {"name": "listingId", "type": "uint256"},
    {"name": "tierId", "type": "uint8"},
    {"name": "quantity", "type": "uint32"},
    {"name": "currency", "type": "address"},
    {"name": "amount", "type": "uint256"},
    {"name": "nonce", "type": "bytes32"},
    {"name": "deadline", "type": "uint64"},
]
AUTHORIZATION_TYPE = [
    {"name": "from", "type": "address"},
    {"name": "to", "type": "address"},
    {"name": "value", "type": "uint256"},
    {"name": "validAfter", "type": "uint256"},
    {"name": "validBefore", "type": "uint256"},
    {"name": "nonce", "type": "bytes32"},
]


def checkout_domain(chain_id: int, checkout: str) -> Domain:
    return Domain(chain_id, checkout, name=CHECKOUT_DOMAIN_NAME, version=CHECKOUT_DOMAIN_VERSION)


def new_nonce() -> str:
    return "0x" + secrets.token_hex(32)


@dataclass(frozen=True)
class PurchaseIntent:
    buyer: str
    listing_id: int
    tier_id: int
    quantity: int
    currency: str
    amount: int
    nonce: bytes | str  # 32 bytes
    deadline: int

    primary_type = "PurchaseIntent"
    types = {"PurchaseIntent": PURCHASE_INTENT_TYPE}

    def as_struct(self) -> dict:
        return {
            "buyer": to_checksum_address(self.buyer),
            "listingId": self.listing_id,
            "tierId": self.tier_id,
            "quantity": self.quantity,
            "currency": to_checksum_address(self.currency),
            "amount": self.amount,
            "nonce": bytes32_hex(self.nonce),
            "deadline": self.deadline,
        }


@dataclass(frozen=True)
class ReceiveWithAuthorization:
    """EIP-3009: `from` lets `to` (which must submit it) take `value` once, by `nonce`, inside
    (validAfter, validBefore). Its domain is the token's."""

    sender: str
    to: str
    value: int
    valid_after: int
    valid_before: int
    nonce: bytes | str

    primary_type = "ReceiveWithAuthorization"

    @property
    def types(self) -> dict:
        return {self.primary_type: AUTHORIZATION_TYPE}

    def as_struct(self) -> dict:
        return {
            "from": to_checksum_address(self.sender),
            "to": to_checksum_address(self.to),
            "value": self.value,
            "validAfter": self.valid_after,
            "validBefore": self.valid_before,
            "nonce": bytes32_hex(self.nonce),
        }


@dataclass(frozen=True)
class TransferWithAuthorization(ReceiveWithAuthorization):
    """EIP-3009's transfer that anyone may submit (what x402's `exact` scheme signs)."""

    primary_type = "TransferWithAuthorization"
