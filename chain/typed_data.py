"""EIP-712 messages the Marketplace verifies, built to match its Solidity structs exactly.

Each message class gives `as_struct()`, a dict that serves both as the EIP-712 message and as
the contract call argument, so what is signed is what is sent. Amounts are wei as Python ints.
Every signature carries the chain id (in the domain), a validity window or deadline, and a
single-use counter or nonce."""

from dataclasses import dataclass
from enum import IntEnum

from hexbytes import HexBytes

from core.eth import keccak, to_checksum_address

# eth_account (and web3) load on the first signature, not with the models that import this
# module for `listing_id`: the web process stays lean until it touches the chain.

DOMAIN_NAME = "AI Model Marketplace"
DOMAIN_VERSION = "1"

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
ETH = ZERO_ADDRESS  # a tier priced in ETH has this currency
OWNER = ZERO_ADDRESS  # a split to this recipient pays the listing's owner at the time of sale
# Listing ids carry their creator's address above this many bits (see Marketplace.sol).
LISTING_LOCAL_BITS = 88

TIER_TYPE = [
    {"name": "price", "type": "uint128"},
    {"name": "currency", "type": "address"},
    {"name": "duration", "type": "uint32"},
    {"name": "maxSupply", "type": "uint32"},
    {"name": "kind", "type": "uint8"},
    {"name": "transferable", "type": "bool"},
]
SPLIT_TYPE = [{"name": "recipient", "type": "address"}, {"name": "bps", "type": "uint16"}]
LISTING_OFFER_TYPE = [
    {"name": "creator", "type": "address"},
    {"name": "listingId", "type": "uint256"},
    {"name": "contentDigest", "type": "bytes32"},
    {"name": "tiers", "type": "Tier[]"},
    {"name": "splits", "type": "Split[]"},
    {"name": "royaltyBps", "type": "uint16"},
    {"name": "validAfter", "type": "uint64"},
    {"name": "validUntil", "type": "uint64"},
    {"name": "counter", "type": "uint256"},
    {"name": "lockSplits", "type": "bool"},
]
SPLIT_UPDATE_TYPE = [
    {"name": "listingId", "type": "uint256"},
    {"name": "splits", "type": "Split[]"},
    {"name": "nonce", "type": "uint32"},
    {"name": "deadline", "type": "uint64"},
]
TIER_UPDATE_TYPE = [
    {"name": "listingId", "type": "uint256"},
    {"name": "tierId", "type": "uint8"},
    {"name": "price", "type": "uint128"},
    {"name": "currency", "type": "address"},
    {"name": "nonce", "type": "uint32"},
    {"name": "deadline", "type": "uint64"},
]
OFFER_CANCEL_TYPE = [
    {"name": "creator", "type": "address"},
    {"name": "offerDigest", "type": "bytes32"},
    {"name": "deadline", "type": "uint64"},
]
SPLIT_CONSENT_TYPE = [
    {"name": "listingId", "type": "uint256"},
    {"name": "contributor", "type": "address"},
    {"name": "splits", "type": "Split[]"},
    {"name": "nonce", "type": "uint32"},
    {"name": "deadline", "type": "uint64"},
]


class Kind(IntEnum):
    """What a licence lets its holder do."""

    DOWNLOAD = 1
    COMPUTE = 2
    BOTH = 3


def listing_id(creator: str, local_id: int) -> int:
    """The on-chain id of a creator's listing: their address in the high bits, so nobody else
    can register it first. `local_id` (e.g. the database id) must fit in 88 bits."""
    if not 0 <= local_id < 1 << LISTING_LOCAL_BITS:
        raise ValueError(f"local listing id out of range: {local_id}")
    return (int(creator, 16) << LISTING_LOCAL_BITS) | local_id


def token_id(listing: int, tier_id: int) -> int:
    """The ERC-1155 licence token id of a listing's tier."""
    return (listing << 8) | tier_id


def split_token_id(token: int) -> tuple[int, int]:
    """(listing id, tier id) of a licence token id."""
    return token >> 8, token & 0xFF


def bytes32_hex(value: bytes | str) -> str:
    """A 32-byte value as 0x-hex (JSON-friendly for wallets, accepted by web3 calls)."""
    raw = HexBytes(value)
    if len(raw) != 32:
        raise ValueError(f"expected 32 bytes, got {len(raw)}")
    return raw.to_0x_hex()


@dataclass(frozen=True)
class Tier:
    price: int
    currency: str = ETH
    duration: int = 0  # seconds of access per token; 0 = perpetual
    max_supply: int = 0  # 0 = uncapped
    kind: int = Kind.DOWNLOAD
    transferable: bool = True

    def as_struct(self) -> dict:
        return {
            "price": self.price,
            "currency": to_checksum_address(self.currency),
            "duration": self.duration,
            "maxSupply": self.max_supply,
            "kind": int(self.kind),
            "transferable": self.transferable,
        }


@dataclass(frozen=True)
class Split:
    recipient: str
    bps: int

    def as_struct(self) -> dict:
        return {"recipient": to_checksum_address(self.recipient), "bps": self.bps}


@dataclass(frozen=True)
class ListingOffer:
    creator: str
    listing_id: int
    content_digest: bytes | str  # 32 bytes, or 0x-hex
    tiers: tuple[Tier, ...]
    splits: tuple[Split, ...]
    valid_until: int
    valid_after: int = 0
    royalty_bps: int = 0
    counter: int = 0
    lock_splits: bool = False  # True: the split can never change after registration

    primary_type = "ListingOffer"
    types = {"ListingOffer": LISTING_OFFER_TYPE, "Split": SPLIT_TYPE, "Tier": TIER_TYPE}

    def as_struct(self) -> dict:
        return {
            "creator": to_checksum_address(self.creator),
            "listingId": self.listing_id,
            "contentDigest": bytes32_hex(self.content_digest),
            "tiers": [t.as_struct() for t in self.tiers],
            "splits": [s.as_struct() for s in self.splits],
            "royaltyBps": self.royalty_bps,
            "validAfter": self.valid_after,
            "validUntil": self.valid_until,
            "counter": self.counter,
            "lockSplits": self.lock_splits,
        }


@dataclass(frozen=True)
class SplitUpdate:
    listing_id: int
    splits: tuple[Split, ...]
    nonce: int
    deadline: int

    primary_type = "SplitUpdate"
    types = {"SplitUpdate": SPLIT_UPDATE_TYPE, "Split": SPLIT_TYPE}

    def as_struct(self) -> dict:
        return {
            "listingId": self.listing_id,
            "splits": [s.as_struct() for s in self.splits],
            "nonce": self.nonce,
            "deadline": self.deadline,
        }


@dataclass(frozen=True)
class TierUpdate:
    listing_id: int
    tier_id: int
    price: int
    nonce: int
    deadline: int
    currency: str = ETH

    primary_type = "TierUpdate"
    types = {"TierUpdate": TIER_UPDATE_TYPE}

    def as_struct(self) -> dict:
        return {
            "listingId": self.listing_id,
            "tierId": self.tier_id,
            "price": self.price,
            "currency": to_checksum_address(self.currency),
            "nonce": self.nonce,
            "deadline": self.deadline,
        }


@dataclass(frozen=True)
class OfferCancel:
    """A creator's cancellation of one signed offer (by its EIP-712 digest); anyone may relay
    it. Cancelling is idempotent, so the digest itself makes it single-use."""

    creator: str
    offer_digest: bytes | str
    deadline: int

    primary_type = "OfferCancel"
    types = {"OfferCancel": OFFER_CANCEL_TYPE}

    def as_struct(self) -> dict:
        return {
            "creator": to_checksum_address(self.creator),
            "offerDigest": bytes32_hex(self.offer_digest),
            "deadline": self.deadline,
        }


@dataclass(frozen=True)
class SplitConsent:
    """A contributor's consent to new splits that lower their share, at the listing's nonce."""

    listing_id: int
    contributor: str
    splits: tuple[Split, ...]
    nonce: int
    deadline: int

    primary_type = "SplitConsent"
    types = {"SplitConsent": SPLIT_CONSENT_TYPE, "Split": SPLIT_TYPE}

    def as_struct(self) -> dict:
        return {
            "listingId": self.listing_id,
            "contributor": to_checksum_address(self.contributor),
            "splits": [s.as_struct() for s in self.splits],
            "nonce": self.nonce,
            "deadline": self.deadline,
        }


@dataclass(frozen=True)
class Permit:
    """An ERC-2612 permit letting `spender` (the Marketplace) take `value` of a token. Its
    domain is the token's: Domain(chain_id, token, name=<token name>, version="1")."""

    owner: str
    spender: str
    value: int
    nonce: int
    deadline: int

    primary_type = "Permit"
    types = {
        "Permit": [
            {"name": "owner", "type": "address"},
            {"name": "spender", "type": "address"},
            {"name": "value", "type": "uint256"},
            {"name": "nonce", "type": "uint256"},
            {"name": "deadline", "type": "uint256"},
        ]
    }

    def as_struct(self) -> dict:
        return {
            "owner": to_checksum_address(self.owner),
            "spender": to_checksum_address(self.spender),
            "value": self.value,
            "nonce": self.nonce,
            "deadline": self.deadline,
        }


@dataclass(frozen=True)
class Domain:
    """The Marketplace's EIP-712 domain on one chain."""

    chain_id: int
    verifying_contract: str
    name: str = DOMAIN_NAME
    version: str = DOMAIN_VERSION

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "version": self.version,
            "chainId": self.chain_id,
            "verifyingContract": to_checksum_address(self.verifying_contract),
        }


Message = ListingOffer | SplitUpdate | TierUpdate | OfferCancel | SplitConsent | Permit


def typed_data(message: Message, domain: Domain) -> dict:
    """The full EIP-712 document (what `eth_signTypedData_v4` takes from a wallet)."""
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            **message.types,
        },
        "primaryType": message.primary_type,
        "domain": domain.as_dict(),
        "message": message.as_struct(),
    }


def digest(message: Message, domain: Domain) -> bytes:
    """The 32-byte hash the signer signs; equals the contract's `hash<Message>` view."""
    from eth_account.messages import encode_typed_data

    signable = encode_typed_data(full_message=typed_data(message, domain))
    return HexBytes(keccak(b"\x19" + signable.version + signable.header + signable.body))


def sign(message: Message, domain: Domain, private_key: str | bytes) -> bytes:
    """Sign `message` as EIP-712 typed data; returns the 65-byte signature."""
    from eth_account import Account
    from eth_account.messages import encode_typed_data

    signable = encode_typed_data(full_message=typed_data(message, domain))
    return bytes(Account.sign_message(signable, private_key).signature)


def split_signature(signature: bytes) -> tuple[int, bytes, bytes]:
    """(v, r, s) of a 65-byte signature, as `permit(..., v, r, s)` takes them."""
    if len(signature) != 65:
        raise ValueError("expected a 65-byte signature")
    return signature[64], signature[:32], signature[32:64]
