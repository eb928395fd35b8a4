"""Versions of a listing that has changed hands are signed by its current owner: the owner's
wallet signs EAS's EIP-712 `Attest` (a delegated attestation of the version's ModelRelease:
content digest, manifest CID, parent release), and the platform relays it with
`attestByDelegation`, paying the gas. The attester on chain is then the owner, not the
platform; EAS checks the signature (ERC-1271 for a contract wallet) and its chain id, deadline
and single-use nonce. Before any transfer, the creator's signed offer covers the listing and
the platform attests releases itself (listings.provenance)."""

import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from hexbytes import HexBytes

from chain import client, provenance
from chain.signatures import signer_accepts
from core.errors import ApiError
from core.eth import keccak
from listings import model_tree
from listings.models import Listing, Version
from listings.provenance import release_values
from listings.selectors import listing_check_controlled_by

RELEASE_SIGNATURE_TTL_SECONDS = 3600


def owner_signs_releases(listing: Listing) -> bool:
    """After a handover the owner vouches for new versions with their own signature."""
    return listing.owner_address != listing.creator.address


def owner_signs_release(version: Version) -> bool:
    """Whether the listing's owner (not the platform) attests `version`: after a handover, and
    for a version a later owner released, even once the listing is back with its creator (the
    platform attests only the creator's own releases, so nobody else ever would)."""
    creator = version.listing.creator.address
    return owner_signs_releases(version.listing) or version.released_by not in ("", creator)


def _eas():
    try:
        return client.get_contract("EAS")
    except client.DeploymentMissing as exc:
        raise ApiError(
            "The contracts are not deployed on this chain yet.", code="not_deployed", status=503
        ) from exc


def _json_safe(value):
    """Integers as decimal strings (wallets take them; browsers would round big ones)."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _document(version: Version, attester: str, *, nonce: int, deadline: int) -> dict:
    ref_uid, values = release_values(version)
    return provenance.delegated_attest_document(
        _eas(),
        provenance.MODEL_RELEASE,
        attester=attester,
        recipient=attester,
        ref_uid=ref_uid,
        nonce=nonce,
        deadline=deadline,
        **values,
    )


def _check_signable(version: Version, actor) -> None:
    listing = version.listing
    listing_check_controlled_by(listing=listing, user=actor, what="sign its releases")
    if version.release_uid:
        raise ApiError(
            f"Version {version.tag} is attested already.", code="already_attested", status=409
        )
    if not owner_signs_release(version):
        raise ApiError(
            "The platform attests this listing's releases (it has not changed hands).",
            code="platform_attests",
            status=409,
        )


def release_signature_prepare(*, version: Version, actor) -> dict:
    """The typed data the owner's wallet signs (eth_signTypedData_v4) for `version`."""
    _check_signable(version, actor)
    with client.chain_errors():
        nonce = _eas().functions.getNonce(actor.address).call()
        document = _document(
            version,
            actor.address,
            nonce=nonce,
            deadline=int(time.time()) + RELEASE_SIGNATURE_TTL_SECONDS,
        )
    return _json_safe(document)


def _parse(message: dict, signature: str) -> tuple[int, int, bytes]:
    try:
        nonce, deadline = int(message["nonce"]), int(message["deadline"])
        raw = bytes(HexBytes(signature))
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError):
        raise ApiError("The signed release is malformed.", code="release_malformed") from None
    if len(raw) != 65:
        raise ApiError("The signature must be 65 bytes, 0x-hex.", code="signature_malformed")
    now = time.time()
    if (
        not 0 <= nonce < 2**256
        or not now + 30 < deadline <= now + 2 * RELEASE_SIGNATURE_TTL_SECONDS
    ):
        raise ApiError("This signature has expired; sign again.", code="release_expired")
    return nonce, deadline, raw


def release_signature_submit(*, version: Version, actor, message: dict, signature: str) -> str:
    """Check the owner's signature as EAS will (signer, chain, nonce, deadline, exactly this
    release), then relay it; returns the attestation uid. The version row stays locked while
    the transaction is mined, so a release is attested once."""
    nonce, deadline, raw = _parse(message, signature)
    with transaction.atomic():
        version = (
            Version.objects.select_for_update(of=("self",))
            .select_related("listing__creator", "manifest")
            .get(pk=version.pk)
        )
        _check_signable(version, actor)
        eas = _eas()
        with client.chain_errors():
            if nonce != eas.functions.getNonce(actor.address).call():
                raise ApiError("This signature is stale; sign again.", code="stale_release",
                               status=409)  # fmt: skip
            document = _document(version, actor.address, nonce=nonce, deadline=deadline)
            if _json_safe(document["message"]) != _json_safe(message):
                raise ApiError("This is not the release as it stands; sign again.",
                               code="release_mismatch", status=409)  # fmt: skip
            from eth_account.messages import encode_typed_data  # loaded on first signature

            signable = encode_typed_data(full_message=document)
            digest = keccak(b"\x19" + signable.version + signable.header + signable.body)
            if not signer_accepts(actor.address, digest, raw):
                raise ApiError(f"The release was not signed by {actor.address}.",
                               code="signature_invalid")  # fmt: skip
            uid = _relay(eas, document, raw)
        version.release_uid = "0x" + uid.hex()
        version.release_attested_at = timezone.now()
        version.save(update_fields=["release_uid", "release_attested_at"])
        model_tree.release_attested(version.release_uid)
    return version.release_uid


def _relay(eas, document: dict, raw: bytes) -> bytes:
    from eth_account import Account  # web3 and eth_account load on the first chain call
    from web3.exceptions import ContractLogicError

    relayer = Account.from_key(settings.CHAIN_RELAYER_KEY or settings.CHAIN_DEPLOYER_KEY)
    try:
        return provenance.attest_by_delegation(eas, document, raw, account=relayer)
    except (ContractLogicError, client.TransactionFailed) as exc:
        raise ApiError(f"EAS refused the attestation ({exc}).", code="release_refused",
                       status=409) from None  # fmt: skip
