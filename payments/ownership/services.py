"""Handing a listing over from the site: the server builds the ownership token's
`safeTransferFrom` for the owner's wallet (as the Withdraw button's transaction is built, in
payments.payouts) and spells out what it will change before anything is signed. Nothing is
written here: the indexer sees the `Transfer` once it is final (CONFIRMATIONS blocks) and
control moves then (listings.ownership).

A listing that was never sold has no ownership token yet (the first sale registers the signed
offer and mints it). It can be handed over only by registering it first: the answer then
holds two transactions, `register` with the creator's stored signed offer, then the transfer."""

from django.conf import settings
from hexbytes import HexBytes

from accounts.selectors import address_is_denied
from chain import client
from core.errors import ApiError
from core.eth import is_address, to_checksum_address
from listings.models import Listing
from listings.selectors import listing_check_controlled_by
from payments.models import ListingOffer
from payments.offers.services import json_safe
from payments.purchase.sale import marketplace, transaction


def _ownership_token():
    try:
        return client.get_contract("ListingOwnership")
    except client.DeploymentMissing as exc:
        raise ApiError(
            "The contracts are not deployed on this chain yet.", code="not_deployed", status=503
        ) from exc


def _recipient(listing: Listing, to: str) -> str:
    if not isinstance(to, str) or not is_address(to) or int(to, 16) == 0:
        raise ApiError("Give the new owner's wallet address (0x…).", code="bad_address")
    to = to_checksum_address(to)
    if to == listing.owner_address:
        raise ApiError("That address owns the listing already.", code="same_owner", status=409)
    if address_is_denied(address=to):
        raise ApiError(
            "That address is blocked on this marketplace: it could not manage the listing.",
            code="address_denied",
            status=403,
        )
    return to


def _register_step(listing: Listing, market, actor) -> dict:
    """`register(offer, signature)` with the listing's live signed offer, or a clear 409."""
    offer = (
        ListingOffer.objects.filter(
            listing=listing, chain_id=settings.CHAIN_ID, status=ListingOffer.Status.ACTIVE
        )
        .filter(marketplace__iexact=market.address)
        .order_by("-id")
        .first()
    )
    if offer is None or listing.status != Listing.Status.PUBLISHED:
        raise ApiError(
            "This listing has no ownership token yet: the token is minted when the listing is "
            "registered on-chain, at its first sale or when you register it yourself, which "
            "needs a published listing with your signed offer. Submit and publish it first.",
            code="not_registered",
            status=409,
        )
    data = market.encode_abi("register", args=[offer.message, HexBytes(offer.signature)])
    return {**transaction("register", sender=actor.address, to=market.address, data=data),
            "value": "0"}  # fmt: skip


def _consequences(listing: Listing, to: str, registered: bool, code: bytes) -> list[str]:
    owner_bps = sum(s.bps for s in listing.splits.all() if s.address == listing.owner_address)
    lines = [
        f"{to} becomes the listing's owner: they edit its card and terms, release versions, "
        "change tiers, prices and the split, decide access requests, set the compute policy "
        "and see its dashboard.",
        f"You lose all of that once the transfer has {settings.CONFIRMATIONS} confirmation(s) "
        "and the marketplace has recorded it. You keep read access to the revenue of the "
        "sales made while you held it.",
        f"The owner's share of every later sale ({owner_bps / 100:g}% after the platform fee) "
        f"goes to {to}; other split recipients keep their shares.",
        "Licences already sold stay valid. Split and price updates you signed but nobody "
        "relayed yet stop working.",
        "A transfer cannot be undone from here: only the new owner can send the token back.",
    ]
    if not registered:
        lines.insert(
            0,
            "This listing is not registered on-chain yet, so it has no ownership token: the "
            "first transaction registers it with your signed offer (you pay its gas, and the "
            "token is minted to you), the second hands the token over.",
        )
    if code:
        lines.append(
            f"{to} is a contract: it must accept ERC-721 tokens (onERC721Received), and its "
            "owners sign in and sign updates through it (ERC-1271)."
        )
    return lines


def _check_accepted(call, actor, to: str) -> None:
    """Run the transfer as a call first: a contract that refuses ERC-721 tokens would make
    the owner pay for a revert."""
    from web3.exceptions import ContractLogicError  # loaded with the chain client

    with client.chain_errors():
        try:
            call.call({"from": actor.address})
        except ContractLogicError as exc:
            raise ApiError(
                f"The transfer to {to} would fail ({exc}): a contract must accept ERC-721 "
                "tokens (onERC721Received) to receive the listing.",
                code="transfer_refused",
                status=409,
            ) from None


def ownership_transfer_prepare(*, listing: Listing, actor, to: str) -> dict:
    """The transaction(s) for the owner's wallet to hand `listing` to `to`, and what changes."""
    listing_check_controlled_by(listing=listing, user=actor, what="transfer it")
    to = _recipient(listing, to)
    market, token = marketplace(), _ownership_token()
    with client.chain_errors():
        header = market.functions.listing(listing.onchain_id).call()
        code = market.w3.eth.get_code(to)
    registered = header[1] != 0
    steps = [] if registered else [_register_step(listing, market, actor)]
    if registered and to_checksum_address(header[0]) != actor.address:
        raise ApiError(
            f"On chain the ownership token is held by {header[0]} already; the marketplace "
            "will follow once that transfer is final.",
            code="not_owner",
            status=409,
        )
    call = token.functions.safeTransferFrom(actor.address, to, listing.onchain_id)
    if registered:
        _check_accepted(call, actor, to)
    data = call._encode_transaction_data()
    steps.append({**transaction("safeTransferFrom", sender=actor.address, to=token.address,
                                data=data), "value": "0"})  # fmt: skip
    return {
        "listing_id": str(listing.onchain_id),
        "owner": actor.address,
        "to": to,
        "registered": registered,
        "confirmations": settings.CONFIRMATIONS,
        "consequences": _consequences(listing, to, registered, bytes(code)),
        "transactions": json_safe(steps),
    }
