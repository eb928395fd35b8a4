"""Moderators' pause on-chain: Marketplace.pauseListing / unpauseListing (MODERATOR_ROLE)."""

import logging

from django.conf import settings

from accounts.audit import audit_record
from chain import client
from listings.models import Listing

logger = logging.getLogger(__name__)
CHAIN_ACTIONS = ("listing.chain_pause", "listing.chain_unpause")
FAILED = ".failed"


def listing_pause_onchain(*, listing_id: int, paused: bool) -> str:
    """Send the pause (or unpause) transaction; returns its hash. Skips it when the contract
    is already in that state, so a retried task sends nothing twice."""
    listing = Listing.objects.select_related("creator").get(pk=listing_id)
    market = client.get_contract("Marketplace")
    onchain_id = listing.onchain_id
    header = market.functions.listing(onchain_id).call()
    if bool(header[-1]) == paused:  # the header's last field is `paused`
        return ""
    from eth_account import Account  # eth_account loads on first use, not at start

    account = Account.from_key(settings.CHAIN_MODERATOR_KEY)
    call = (market.functions.pauseListing if paused else market.functions.unpauseListing)(
        onchain_id
    )
    receipt = client.transact(call, account=account)
    tx_hash = receipt["transactionHash"].to_0x_hex()
    audit_record(
        actor=None,
        action="listing.chain_pause" if paused else "listing.chain_unpause",
        target=listing,
        data={"tx": tx_hash, "listing_id": str(onchain_id), "signer": account.address},
    )
    return tx_hash


def listing_pause_failed(*, listing_id: int, paused: bool, error: BaseException) -> None:
    """The pause task gave up (retries spent, or an error no retry can fix: a revert, a key
    without MODERATOR_ROLE). The site already stopped selling, but the contract still sells to
    anyone who calls it directly: log it and leave an audit entry the review page shows."""
    action = CHAIN_ACTIONS[0 if paused else 1] + FAILED
    logger.error("%s of listing %s failed: %r", action, listing_id, error, exc_info=error)
    listing = Listing.objects.filter(pk=listing_id).first()
    audit_record(
        actor=None,
        action=action,
        target=listing,
        target_type="" if listing else "listings.listing",
        target_id="" if listing else listing_id,
        reason=f"{type(error).__name__}: {error}"[:1000],
        data={"listing": listing_id, "paused": paused},
    )


def listing_chain_failure(*, listing: Listing):
    """The failed on-chain pause/unpause still in force: the latest chain entry of the listing,
    when it is a failure and the contract disagrees with the site. None otherwise."""
    from accounts.selectors import audit_entries

    latest = (
        audit_entries(action="listing.chain_", target=str(listing.pk))
        .filter(target_type="listings.listing")
        .first()
    )
    if latest is None or not latest.action.endswith(FAILED):
        return None
    paused_here = listing.status in (Listing.Status.PAUSED, Listing.Status.DELISTED)
    return latest if paused_here != listing.onchain_paused else None
