"""Moderators' pause on-chain: Marketplace.pauseListing / unpauseListing (MODERATOR_ROLE)."""

from django.conf import settings
from eth_account import Account

from accounts.services import audit_record
from chain import client
from listings.models import Listing


def listing_pause_onchain(*, listing_id: int, paused: bool) -> str:
    """Send the pause (or unpause) transaction; returns its hash. Skips it when the contract
    is already in that state, so a retried task sends nothing twice."""
    listing = Listing.objects.select_related("creator").get(pk=listing_id)
    market = client.get_contract("Marketplace")
    onchain_id = listing.onchain_id
    header = market.functions.listing(onchain_id).call()
    if bool(header[-1]) == paused:  # the header's last field is `paused`
        return ""
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
