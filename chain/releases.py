"""ModelRelease attestations read back from EAS into ReleaseAttestation rows: what the chain says
a release derives from, for the model tree (listings/model_tree.py). Only uids the site made or
relayed are recorded (anyone can attest under our schema; those are not ours to show)."""

from datetime import UTC, datetime

from django.conf import settings
from hexbytes import HexBytes

from chain import client, provenance
from chain.models import ReleaseAttestation


def _hex(value: bytes) -> str:
    return "" if not any(value) else "0x" + bytes(value).hex()


def _time(seconds: int) -> datetime | None:
    return datetime.fromtimestamp(seconds, tz=UTC) if seconds else None


def release_record(*, uid: str) -> ReleaseAttestation:
    """Record the attestation `uid` (0x-hex) once; reading it again changes nothing. Raises
    client.RPC_ERRORS when the node is down (the task retries)."""
    uid = uid.lower()
    existing = ReleaseAttestation.objects.filter(chain_id=settings.CHAIN_ID, uid=uid).first()
    if existing is not None:
        return existing
    found = provenance.read_attestation(
        client.get_contract("EAS"), bytes(HexBytes(uid)), provenance.MODEL_RELEASE
    )
    data = found["data"]
    record, _ = ReleaseAttestation.objects.get_or_create(
        chain_id=settings.CHAIN_ID,
        uid=uid,
        defaults={
            "listing_id": str(data["listingId"]),
            "version": data["version"][:200],
            "content_digest": _hex(data["contentDigest"]),
            "cid": data["cid"][:200],
            "parent_uid": _hex(data["parentUID"]),
            "base_model": data["baseModel"][:200],
            "attester": found["attester"],
            "recipient": found["recipient"],
            "attested_at": _time(found["time"]),
            "revoked_at": _time(found["revocationTime"]),
        },
    )
    return record
