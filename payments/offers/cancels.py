"""Cancelling a listing's older offers. An offer stays registrable on-chain until it expires, so
when the creator signs a new one they also sign an EIP-712 OfferCancel for each older offer
still live; we check and keep those signatures, and the relayer sends them (`cancelOfferBySig`,
no gas for the creator) after commit."""

import time

from django.conf import settings
from hexbytes import HexBytes

from chain import client, typed_data
from chain.signatures import signer_accepts
from core.errors import ApiError
from listings.models import Listing
from payments.models import ListingOffer


def signature_parse(signature: str) -> bytes:
    try:
        raw = HexBytes(signature)
    except (ValueError, TypeError):
        raw = b""
    if not 65 <= len(raw) <= 512:
        raise ApiError("The signature must be 0x-prefixed hex.", code="signature_malformed")
    return bytes(raw)


# How long a signed OfferCancel may wait to be relayed (it is relayed at once after commit).
CANCEL_SIGNATURE_SECONDS = 7 * 24 * 3600


def live_older_offers(listing: Listing, domain: typed_data.Domain):
    """Offers of `listing` on this Marketplace that could still register it on-chain and whose
    cancellation we do not hold yet."""
    return listing.offers.filter(
        chain_id=domain.chain_id,
        marketplace__iexact=domain.verifying_contract,
        valid_until__gt=int(time.time()),
        cancel_signature="",
    ).exclude(status=ListingOffer.Status.REGISTERED)


def cancels_needed(listing: Listing, domain, deadline: int) -> list[typed_data.OfferCancel]:
    return [
        typed_data.OfferCancel(creator=o.creator, offer_digest=o.digest, deadline=deadline)
        for o in live_older_offers(listing, domain)
    ]


def cancels_accept(listing: Listing, domain, cancels: list) -> None:
    """Check and keep the creator's OfferCancel signatures, one per older live offer; they are
    relayed after commit (tasks.offer_cancels_relay_task)."""
    signed = {}
    for item in cancels:
        try:
            msg = item["message"]
            key = (str(msg["offerDigest"]).lower(), int(msg["deadline"]))
            signed[key[0]] = (key[1], signature_parse(item["signature"]))
        except (KeyError, TypeError, ValueError):
            raise ApiError("A signed cancellation is malformed.", code="cancel_malformed") from None
    kept = []
    for older in live_older_offers(listing, domain).select_for_update():
        deadline, raw = signed.get(older.digest.lower(), (None, None))
        if raw is None:
            raise ApiError(
                "Sign the cancellation of the listing's earlier offer too: until it expires, "
                "anyone could otherwise register its older terms.",
                code="cancel_missing",
            )
        if deadline < time.time() + 3600:
            raise ApiError("A signed cancellation has expired; sign again.", code="offer_expired")
        cancel = typed_data.OfferCancel(older.creator, older.digest, deadline)
        with client.chain_errors():
            ok = signer_accepts(older.creator, typed_data.digest(cancel, domain), raw)
        if not ok:
            raise ApiError(f"The cancellation was not signed by {older.creator}.",
                           code="signature_invalid")  # fmt: skip
        older.cancel_signature, older.cancel_deadline = "0x" + raw.hex(), deadline
        older.save(update_fields=["cancel_signature", "cancel_deadline"])
        kept.append(older.pk)
    if kept:
        from payments.tasks import offer_cancels_relay_task  # tasks import services

        offer_cancels_relay_task.delay_on_commit(kept)


def offer_cancels_relay(*, offer_ids: list[int]) -> list[str]:
    """Send the creator's signed cancellations of `offer_ids` with the relayer's key (the
    creator pays no gas). Idempotent: an offer cancelled on-chain already is only recorded."""
    from eth_account import Account  # eth_account loads on first use, not at start

    market = client.get_contract("Marketplace")
    relayer = Account.from_key(settings.CHAIN_RELAYER_KEY or settings.CHAIN_DEPLOYER_KEY)
    sent = []
    for older in ListingOffer.objects.filter(pk__in=offer_ids, cancel_tx="").exclude(
        cancel_signature=""
    ):
        digest = HexBytes(older.digest)
        if not market.functions.cancelledOffers(older.creator, digest).call():
            cancel = typed_data.OfferCancel(older.creator, older.digest, older.cancel_deadline)
            call = market.functions.cancelOfferBySig(
                cancel.as_struct(), HexBytes(older.cancel_signature)
            )
            receipt = client.transact(call, account=relayer)
            older.cancel_tx = receipt.transactionHash.to_0x_hex()
        else:
            older.cancel_tx = older.cancel_tx or "already-cancelled"
        older.save(update_fields=["cancel_tx"])
        sent.append(older.cancel_tx)
    return sent
