"""ModelRelease attestations: the platform attests, through EAS, that a listing's version has
this content digest and manifest CID, linked to the release it follows. After a handover the
owner signs them instead (listings.release_signing)."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from hexbytes import HexBytes

from chain import client, provenance
from listings import model_tree
from listings.models import Version


def _parent_uid(version: Version) -> bytes:
    previous = (
        Version.objects.filter(listing_id=version.listing_id, created_at__lt=version.created_at)
        .exclude(release_uid="")
        .order_by("-created_at")
        .first()
    )
    if previous is None:  # the first release derives from its base model's, when that is here
        previous = model_tree.base_model_release(version.listing)
    return bytes(HexBytes(previous.release_uid)) if previous else provenance.ZERO_UID


def release_values(version: Version) -> tuple[bytes, dict]:
    """(refUID, ModelRelease fields) of a version: what any attestation of it says."""
    listing = version.listing
    base_models = listing.card_metadata.get("base_model") or [""]
    parent = _parent_uid(version)
    values = {
        "listingId": listing.onchain_id,
        "version": version.tag,
        "contentDigest": bytes(HexBytes(version.content_digest)),
        "cid": version.manifest.cid if version.manifest else "",
        "parentUID": parent,
        "baseModel": str(base_models[0])[:200],
    }
    return parent, values


def version_attest_release(*, version_id: int) -> str:
    """Attest the version once; returns the attestation uid (0x-hex). The version row stays
    locked while the transaction is mined so two workers cannot attest it twice. A listing
    that changed hands has its releases signed by its owner instead (release_signing)."""
    with transaction.atomic():
        version = (
            Version.objects.select_for_update(of=("self",))
            .select_related("listing__creator", "manifest")
            .get(pk=version_id)
        )
        if version.release_uid:
            return version.release_uid
        parent, values = release_values(version)
        from eth_account import Account  # with web3, on the first chain call

        uid = provenance.attest(
            client.get_contract("EAS"),
            provenance.MODEL_RELEASE,
            account=Account.from_key(settings.CHAIN_DEPLOYER_KEY),
            # Whoever controls the listing when the version is released vouches for it.
            recipient=version.released_by or version.listing.owner_address,
            ref_uid=parent,
            **values,
        )
        version.release_uid = "0x" + uid.hex()
        version.release_attested_at = timezone.now()
        version.save(update_fields=["release_uid", "release_attested_at"])
        model_tree.release_attested(version.release_uid)
        return version.release_uid
