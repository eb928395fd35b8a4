"""A listing sold once (so registered, its ownership token minted to the creator), then handed
over on anvil with `safeTransferFrom`, as the indexer sees it: for the ownership tests."""

from dataclasses import dataclass

from eth_account import Account
from eth_account.signers.local import LocalAccount

from accounts.models import User
from chain import client
from listings.models import Listing
from payments.tests.indexing import TierSpec, buy, index, tokenized_listing, wallets

PRICE = 10**18
TIERS = [
    TierSpec(name="Download", price_wei=PRICE),
    TierSpec(name="Research", price_wei=0, requires_approval=True),
]


@dataclass
class HandOver:
    listing: Listing
    creator: LocalAccount
    heir: LocalAccount
    partner: str
    buyer: LocalAccount
    old: User
    new: User
    first_sale: object = None
    transfer: object = None


def ownership_token():
    return client.get_contract("ListingOwnership")


def send_token(listing: Listing, sender: LocalAccount, to: str, *, safe: bool = True):
    """The ownership token from `sender` to `to` (safeTransferFrom, or transferFrom for a
    contract that does not implement onERC721Received)."""
    token = ownership_token()
    method = token.functions.safeTransferFrom if safe else token.functions.transferFrom
    receipt = client.transact(method(sender.address, to, listing.onchain_id), account=sender)
    assert receipt.status == 1
    return receipt


def sold_listing() -> HandOver:
    """Registered by a first sale and indexed; the token is still the creator's."""
    creator, heir, buyer = wallets(3)
    partner = Account.create().address
    listing = tokenized_listing(
        creator_key=creator,
        tiers=TIERS,
        splits=[(creator.address, 9_000, "Me"), (partner, 1_000, "Partner")],
    )
    first = buy(listing, buyer)
    index()
    old = User.objects.get(address=creator.address)
    new = User.objects.create_user(heir.address)
    return HandOver(listing, creator, heir, partner, buyer, old, new, first_sale=first)


def handed_over() -> HandOver:
    """`sold_listing`, then the creator's safeTransferFrom to the heir, indexed."""
    state = sold_listing()
    state.transfer = send_token(state.listing, state.creator, state.heir.address)
    index()
    state.listing.refresh_from_db()
    return state
