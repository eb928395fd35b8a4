"""Entitlements come only from chain events, through the indexer: a purchase grants after its
confirmations, a reorg takes back what it orphaned, transfers move access (not soulbound ones),
expiry ends it and buying again renews it."""

from datetime import timedelta

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from hexbytes import HexBytes
from web3.exceptions import ContractLogicError

from chain import client
from chain.models import ChainLog
from chain.typed_data import Domain, listing_id, typed_data
from listings.models import Listing
from payments import selectors
from payments.models import Entitlement, ListingOffer, Payout, Purchase
from payments.offers.services import offer_build
from payments.onchain.handlers import recompute
from payments.tests.buying import deployer
from payments.tests.indexing import (
    TierSpec,
    buy,
    index,
    mine,
    revert,
    signed_buy,
    snapshot,
    tokenized_listing,
    wallets,
)

pytestmark = [pytest.mark.django_db, pytest.mark.chain]
DAY = 24 * 3600


@pytest.fixture
def chain(contracts, w3):
    return w3


def active(buyer, listing, *, at=None):
    if at is None:
        return selectors.entitlement_active(address=buyer.address, listing=listing)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(selectors.timezone, "now", lambda: at)
        return selectors.entitlement_active(address=buyer.address, listing=listing)


def test_a_purchase_grants_access_once_confirmed(chain):
    listing = tokenized_listing()
    buyer = wallets(1)[0]
    buy(listing, buyer)
    index(confirmations=2)
    assert active(buyer, listing) is None  # not buried deep enough yet

    mine(2)
    index(confirmations=2)
    granted = active(buyer, listing)
    assert granted.balance == 1 and granted.expires_at is None and granted.kind == "download"
    assert granted.token_id == listing.onchain_id << 8
    listing.refresh_from_db()
    assert listing.sales_count == 1
    assert ListingOffer.objects.get(listing=listing).status == ListingOffer.Status.REGISTERED

    index(confirmations=0)  # running again changes nothing
    recompute(list(ChainLog.objects.all()))  # nor does recomputing everything
    assert Entitlement.objects.get().balance == 1
    assert Purchase.objects.count() == 1 and Listing.objects.get().sales_count == 1


def test_a_purchase_reorganised_away_before_confirmation_grants_nothing(chain):
    listing = tokenized_listing()
    buyer = wallets(1)[0]
    index(confirmations=2)
    fork = snapshot()
    buy(listing, buyer)
    mine(1)
    index(confirmations=2)  # the purchase has 1 confirmation of 2
    revert(fork)
    mine(4)  # the canonical chain: no purchase
    index(confirmations=2)
    assert active(buyer, listing) is None
    assert not Purchase.objects.exists() and not ChainLog.objects.filter(event="Purchased")


def test_a_deeper_reorg_takes_the_grant_back_and_a_reincluded_purchase_counts_once(chain):
    listing = tokenized_listing()
    buyer = wallets(1)[0]
    index(confirmations=1)
    fork = snapshot()
    raw = signed_buy(listing, buyer, nonce=0)
    client.get_web3().eth.send_raw_transaction(raw)
    mine(3)
    index(confirmations=1)
    assert active(buyer, listing)
    assert Payout.objects.count() == 2  # the fee credited, the owner paid

    revert(fork)
    mine(3)  # a longer branch without the purchase
    index(confirmations=1)
    assert active(buyer, listing) is None
    assert Entitlement.objects.get().balance == 0  # the row stays: other apps may point at it
    assert not Purchase.objects.exists() and not Payout.objects.exists()
    listing.refresh_from_db()
    assert listing.sales_count == 0
    assert ListingOffer.objects.get(listing=listing).status == ListingOffer.Status.ACTIVE

    client.get_web3().eth.send_raw_transaction(raw)  # the same transaction, in a later block
    mine(1)
    index(confirmations=1)
    assert active(buyer, listing).balance == 1
    assert Purchase.objects.count() == 1 and Listing.objects.get().sales_count == 1
    assert ListingOffer.objects.get(listing=listing).status == ListingOffer.Status.REGISTERED


def license_transfer(sender, to: str, listing, value: int = 1):
    token = client.get_contract("LicenseToken")
    call = token.functions.safeTransferFrom(sender.address, to, listing.onchain_id << 8, value, b"")
    return client.transact(call, account=sender)


def test_transferring_a_transferable_licence_moves_access(chain):
    listing = tokenized_listing(
        tiers=[TierSpec(name="Month", price_wei=10**15, duration_seconds=30 * DAY)]
    )
    buyer, friend = wallets(2)
    buy(listing, buyer, quantity=2)
    license_transfer(buyer, friend.address, listing)
    index()
    bought_until = Purchase.objects.get().expires_at
    assert active(buyer, listing).balance == 1
    assert active(friend, listing).balance == 1
    # Time moves with the tokens (issue 14): one of two tokens carries half the remaining time,
    # and both expiries come from the chain's ExpiryUpdated events.
    licence = client.get_contract("LicenseToken").functions
    for who in (buyer, friend):
        on_chain = licence.expiresAt(listing.onchain_id << 8, who.address).call()
        assert active(who, listing).expires_at.timestamp() == on_chain
    mine, theirs = active(buyer, listing).expires_at, active(friend, listing).expires_at
    assert theirs < bought_until and mine < bought_until
    assert abs((mine - theirs).total_seconds()) <= 60  # the same half each, give or take seconds

    license_transfer(buyer, friend.address, listing)
    index()
    assert active(buyer, listing) is None
    assert Entitlement.objects.get(holder=buyer.address).balance == 0
    assert active(friend, listing).balance == 2


def test_a_batch_transfer_moves_every_licence_in_it(chain):
    listing = tokenized_listing(
        tiers=[TierSpec(name="Download", price_wei=10**15), TierSpec(name="Pro", price_wei=10**15)]
    )
    buyer, friend = wallets(2)
    buy(listing, buyer, tier=0, quantity=2)
    buy(listing, buyer, tier=1)
    token = client.get_contract("LicenseToken")
    ids = [listing.onchain_id << 8, listing.onchain_id << 8 | 1]
    call = token.functions.safeBatchTransferFrom(buyer.address, friend.address, ids, [1, 1], b"")
    client.transact(call, account=buyer)
    index()
    assert ChainLog.objects.filter(event="TransferBatch").count() == 1
    held = {(e.holder, int(e.token_id)): e.balance for e in Entitlement.objects.all()}
    assert held == {
        (buyer.address, ids[0]): 1,
        (buyer.address, ids[1]): 0,
        (friend.address, ids[0]): 1,
        (friend.address, ids[1]): 1,
    }


def test_a_soulbound_licence_cannot_move(chain):
    listing = tokenized_listing(
        tiers=[TierSpec(name="Personal", price_wei=10**15, transferable=False)]
    )
    buyer, friend = wallets(2)
    buy(listing, buyer)
    with pytest.raises(ContractLogicError):
        license_transfer(buyer, friend.address, listing)
    index()
    assert active(buyer, listing).balance == 1
    assert active(friend, listing) is None


def test_expiry_ends_access_and_buying_again_renews_it(chain):
    listing = tokenized_listing(
        tiers=[TierSpec(name="Day pass", price_wei=10**15, duration_seconds=DAY)]
    )
    buyer = wallets(1)[0]
    buy(listing, buyer, quantity=2)  # two days
    index()
    first = Purchase.objects.get()
    assert first.expires_at == first.block_time + timedelta(days=2)
    assert active(buyer, listing, at=first.block_time + timedelta(days=2) - timedelta(seconds=1))
    assert active(buyer, listing, at=first.block_time + timedelta(days=2)) is None

    buy(listing, buyer)  # while still active: extends from the current expiry
    index()
    assert Entitlement.objects.get().expires_at == first.expires_at + timedelta(days=1)

    late = int((first.expires_at + timedelta(days=5)).timestamp())
    client.get_web3().provider.make_request("evm_setNextBlockTimestamp", [late])
    # After it ran out: a fresh day from the purchase. (Gas given: the estimate runs at the
    # current time, the purchase at the later one, on another path through the contract.)
    buy(listing, buyer, gas=400_000)
    index()
    renewed = Entitlement.objects.get()
    assert renewed.balance == 4
    assert renewed.expires_at == first.expires_at + timedelta(days=6)  # late + a day
    assert active(buyer, listing, at=renewed.expires_at - timedelta(hours=1))


def test_pause_and_unpause_are_mirrored_on_the_listing(chain):
    listing = tokenized_listing()
    market = client.get_contract("Marketplace")
    client.transact(market.functions.pauseListing(listing.onchain_id), account=deployer())
    index()
    listing.refresh_from_db()
    assert listing.onchain_paused is True
    client.transact(market.functions.unpauseListing(listing.onchain_id), account=deployer())
    index()
    listing.refresh_from_db()
    assert listing.onchain_paused is False

    fork = snapshot()
    client.transact(market.functions.pauseListing(listing.onchain_id), account=deployer())
    index()
    assert Listing.objects.get().onchain_paused is True
    revert(fork)
    mine(2)
    index()
    assert Listing.objects.get().onchain_paused is False  # the pause was rolled back


def test_purchases_of_listings_we_do_not_know_are_ledgered_without_entitlement(chain, caplog):
    listing = tokenized_listing()
    # Same primary key in the low bits, someone else's address in the high ones.
    impostor = Account.create()
    foreign_id = listing_id(impostor.address, listing.pk)
    offer = ListingOffer.objects.get(listing=listing)
    message = {**offer.message, "listingId": foreign_id, "creator": impostor.address}
    document = {
        **offer_document(offer, Domain(offer.chain_id, offer.marketplace)),
        "message": message,
    }
    signature = impostor.sign_message(encode_typed_data(full_message=document)).signature
    buyer = wallets(1)[0]
    call = client.get_contract("Marketplace").functions.purchaseWithOffer(
        message, HexBytes(signature), 0, 1, message["tiers"][0]["currency"], 10**16
    )
    client.transact(call, account=buyer, value=10**16)
    index()
    assert ChainLog.objects.filter(event="Purchased").count() == 1
    purchase = Purchase.objects.get()
    assert purchase.listing is None and int(purchase.onchain_listing_id) == foreign_id
    assert not Entitlement.objects.exists()
    assert "unknown listing" in caplog.text
    assert Listing.objects.get().sales_count == 0


def offer_document(offer, domain) -> dict:
    built = offer_build(
        listing=offer.listing,
        valid_after=offer.valid_after,
        valid_until=offer.valid_until,
        counter=int(offer.counter),
    )
    return typed_data(built, domain)
