"""Provenance attestations through the Ethereum Attestation Service (EAS) deployed with our
schemas: a `ModelRelease` per listing version and a `JobReceipt` per compute job."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from hexbytes import HexBytes

from chain.client import transact
from chain.typed_data import ZERO_ADDRESS
from core.eth import keccak, to_checksum_address

if TYPE_CHECKING:  # web3 loads with the chain client, on the first chain call
    from eth_account.signers.local import LocalAccount
    from web3.contract import Contract

ZERO_UID = b"\x00" * 32


@dataclass(frozen=True)
class Schema:
    name: str
    definition: str  # the EAS schema string: comma-separated "type name" pairs
    revocable: bool = True
    resolver: str = ZERO_ADDRESS

    @property
    def uid(self) -> bytes:
        """EAS's schema uid: keccak256(abi.encodePacked(schema, resolver, revocable))."""
        from eth_abi.packed import encode_packed  # eth_abi loads on first use: a page imports us

        packed = encode_packed(
            ["string", "address", "bool"], [self.definition, self.resolver, self.revocable]
        )
        return HexBytes(keccak(packed))

    @property
    def abi_types(self) -> list[str]:
        return [part.strip().split(" ")[0] for part in self.definition.split(",")]

    @property
    def field_names(self) -> list[str]:
        return [part.strip().split(" ")[1] for part in self.definition.split(",")]

    def encode(self, **values) -> bytes:
        """ABI-encode the attestation data; every field of the schema must be given."""
        missing = set(self.field_names) ^ set(values)
        if missing:
            raise ValueError(f"{self.name}: fields missing or unknown: {sorted(missing)}")
        from eth_abi import encode

        return encode(self.abi_types, [values[name] for name in self.field_names])

    def decode(self, data: bytes) -> dict:
        from eth_abi import decode

        return dict(zip(self.field_names, decode(self.abi_types, data), strict=True))


# parentUID: the release this one derives from (the previous version, or a base model's release
# on this platform); baseModel: an outside base model reference (e.g. a hub id), "" when none.
MODEL_RELEASE = Schema(
    "ModelRelease",
    "uint256 listingId,string version,bytes32 contentDigest,string cid,"
    "bytes32 parentUID,string baseModel",
)
JOB_RECEIPT = Schema(
    "JobReceipt",
    "bytes32 jobId,bytes32[] inputDigests,bytes32 algorithmDigest,bytes32 outputDigest,"
    "string host,uint64 gpuSeconds",
)
SCHEMAS = {s.name: s for s in (MODEL_RELEASE, JOB_RECEIPT)}


def attest(
    eas: Contract,
    schema: Schema,
    *,
    account: LocalAccount,
    recipient: str = ZERO_ADDRESS,
    ref_uid: bytes = ZERO_UID,
    **values,
) -> bytes:
    """Attest `values` under `schema` from `account`; returns the attestation uid."""
    request = {
        "schema": schema.uid,
        "data": {
            "recipient": to_checksum_address(recipient),
            "expirationTime": 0,
            "revocable": schema.revocable,
            "refUID": ref_uid,
            "data": schema.encode(**values),
            "value": 0,
        },
    }
    from web3.logs import DISCARD

    receipt = transact(eas.functions.attest(request), account=account, w3=eas.w3)
    (event,) = eas.events.Attested().process_receipt(receipt, errors=DISCARD)
    return bytes(event["args"]["uid"])


def read_attestation(eas: Contract, uid: bytes, schema: Schema) -> dict:
    """An attestation's envelope (attester, recipient, time, refUID, revocation) and its data."""
    a = eas.functions.getAttestation(uid).call()
    fields = ("uid", "schema", "time", "expirationTime", "revocationTime", "refUID")
    envelope = dict(zip(fields, a[:6], strict=True))
    envelope.update(recipient=a[6], attester=a[7], revocable=a[8])
    if bytes(envelope["schema"]) != schema.uid:
        raise ValueError(f"attestation {uid.hex()} is not a {schema.name}")
    return {**envelope, "data": schema.decode(a[9])}


# --- Delegated attestations: the attester signs (EIP-712, EAS's domain), anyone relays -------
# EAS checks the signature with ERC-1271 for a contract attester, and it carries the chain id
# (domain), a deadline and EAS's single-use per-attester nonce.
ATTEST_TYPES = {
    "EIP712Domain": [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ],
    "Attest": [
        {"name": "attester", "type": "address"},
        {"name": "schema", "type": "bytes32"},
        {"name": "recipient", "type": "address"},
        {"name": "expirationTime", "type": "uint64"},
        {"name": "revocable", "type": "bool"},
        {"name": "refUID", "type": "bytes32"},
        {"name": "data", "type": "bytes"},
        {"name": "value", "type": "uint256"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint64"},
    ],
}


def delegated_attest_document(
    eas: Contract,
    schema: Schema,
    *,
    attester: str,
    recipient: str,
    ref_uid: bytes,
    nonce: int,
    deadline: int,
    **values,
) -> dict:
    """The EIP-712 document `attester` signs for EAS `attestByDelegation` (hex strings for
    bytes, ints as ints: callers make them JSON-safe)."""
    return {
        "types": ATTEST_TYPES,
        "primaryType": "Attest",
        "domain": {
            "name": "EAS",
            "version": eas.functions.version().call(),
            "chainId": eas.w3.eth.chain_id,
            "verifyingContract": eas.address,
        },
        "message": {
            "attester": to_checksum_address(attester),
            "schema": "0x" + schema.uid.hex(),
            "recipient": to_checksum_address(recipient),
            "expirationTime": 0,
            "revocable": schema.revocable,
            "refUID": "0x" + ref_uid.hex(),
            "data": "0x" + schema.encode(**values).hex(),
            "value": 0,
            "nonce": nonce,
            "deadline": deadline,
        },
    }


def attest_by_delegation(
    eas: Contract, document: dict, signature: bytes, *, account: LocalAccount
) -> bytes:
    """Relay a signed delegated attestation from `account` (which pays the gas); returns the
    attestation uid. `signature` is 65 bytes r‖s‖v, as wallets return it."""
    m = document["message"]
    v = signature[64] if signature[64] >= 27 else signature[64] + 27
    request = {
        "schema": bytes.fromhex(m["schema"][2:]),
        "data": {
            "recipient": m["recipient"],
            "expirationTime": int(m["expirationTime"]),
            "revocable": bool(m["revocable"]),
            "refUID": bytes.fromhex(m["refUID"][2:]),
            "data": bytes.fromhex(m["data"][2:]),
            "value": int(m["value"]),
        },
        "signature": {"v": v, "r": signature[:32], "s": signature[32:64]},
        "attester": m["attester"],
        "deadline": int(m["deadline"]),
    }
    from web3.logs import DISCARD

    receipt = transact(eas.functions.attestByDelegation(request), account=account, w3=eas.w3)
    (event,) = eas.events.Attested().process_receipt(receipt, errors=DISCARD)
    return bytes(event["args"]["uid"])
