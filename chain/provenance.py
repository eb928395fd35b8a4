"""Provenance attestations through the Ethereum Attestation Service (EAS) deployed with our
schemas: a `ModelRelease` per listing version and a `JobReceipt` per compute job."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from eth_abi import decode, encode
from eth_abi.packed import encode_packed
from eth_utils import keccak, to_checksum_address
from hexbytes import HexBytes

from chain.client import transact
from chain.typed_data import ZERO_ADDRESS

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
        return encode(self.abi_types, [values[name] for name in self.field_names])

    def decode(self, data: bytes) -> dict:
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
