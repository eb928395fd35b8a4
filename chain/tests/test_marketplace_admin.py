"""Registering signed offers (and every way one is refused), the creator's updates by
transaction and by signature, moderation, and the platform fee."""

import pytest
from eth_account import Account
from web3 import Web3

from chain.tests.helpers import (
    DAY,
    buy,
    chain_now,
    events,
    make_offer,
    new_listing_id,
    register,
    reverts,
    send,
    warp,
)
from chain.typed_data import (
    ETH,
    OWNER,
    Domain,
    Split,
    SplitUpdate,
    Tier,
    TierUpdate,
    digest,
    listing_id,
    sign,
)

PRICE = 10**16


def domain(suite) -> Domain:
    return Domain(suite.w3.eth.chain_id, suite.market.address)


def test_contract_digests_match_python_typed_data(suite):
    offer, _ = make_offer(
        suite,
        suite.accounts[1],
        tiers=(Tier(PRICE), Tier(2**128 - 1, suite.token.address, 30 * DAY, 100, 3, False)),
        splits=(Split(OWNER, 9_000), Split(suite.accounts[2].address, 1_000)),
        royalty_bps=750,
    )
    market = suite.market.functions
    assert market.hashListingOffer(offer.as_struct()).call() == digest(offer, domain(suite))
    update = SplitUpdate(offer.listing_id, offer.splits, nonce=4, deadline=2**64 - 1)
    assert market.hashSplitUpdate(update.as_struct()).call() == digest(update, domain(suite))
    tier = TierUpdate(offer.listing_id, 1, 5, nonce=2, deadline=99, currency=suite.token.address)
    assert market.hashTierUpdate(tier.as_struct()).call() == digest(tier, domain(suite))


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"valid_until": 1}, "OfferExpired"),
        ({"valid_after": 2**63}, "OfferNotYetValid"),
        ({"counter": 1}, "OfferCancelled"),
        ({"splits": (Split(OWNER, 9_999),)}, "SplitsMustTotal10000"),
        ({"splits": (Split(OWNER, 6_000), Split(OWNER, 4_001))}, "SplitsMustTotal10000"),
        ({"splits": ()}, "InvalidSplitCount"),
        ({"splits": tuple(Split(OWNER, 1_000) for _ in range(11))}, "InvalidSplitCount"),
        ({"tiers": ()}, "InvalidTierCount"),
        ({"tiers": tuple(Tier(1) for _ in range(17))}, "InvalidTierCount"),
        ({"tiers": (Tier(1, kind=0),)}, "InvalidTierKind"),
        ({"tiers": (Tier(1, kind=4),)}, "InvalidTierKind"),
        ({"royalty_bps": 2_501}, "RoyaltyAboveCap"),
        ({"listing_id": 7}, "ForeignListingId"),
    ],
)
def test_offer_refused(suite, fields, error):
    offer, sig = make_offer(suite, suite.accounts[1], **fields)
    with reverts(error):
        register(suite, offer, sig)


def test_split_to_the_marketplace_itself_is_refused(suite):
    splits = (Split(OWNER, 5_000), Split(suite.market.address, 5_000))
    offer, sig = make_offer(suite, suite.accounts[1], splits=splits)
    with reverts("InvalidRecipient"):
        register(suite, offer, sig)


def test_bad_signatures_are_refused(suite):
    creator, stranger = suite.accounts[1], suite.accounts[2]
    offer, sig = make_offer(suite, creator)
    with reverts("InvalidSignature"):  # signed by someone else
        register(suite, offer, sign(offer, domain(suite), stranger.key))
    tampered = offer.__class__(**{**offer.__dict__, "tiers": (Tier(1),)})
    with reverts("InvalidSignature"):  # terms changed after signing
        register(suite, tampered, sig)
    with reverts("InvalidSignature"):
        register(suite, offer, b"\x00" * 65)


def test_offer_signed_for_another_chain_is_refused(suite):
    offer, sig = make_offer(suite, suite.accounts[1], chain_id=1)
    with reverts("InvalidSignature"):
        register(suite, offer, sig)


def test_offer_signed_for_another_marketplace_is_refused(suite):
    offer, _ = make_offer(suite, suite.accounts[1])
    elsewhere = Domain(suite.w3.eth.chain_id, suite.license.address)
    with reverts("InvalidSignature"):
        register(suite, offer, sign(offer, elsewhere, suite.accounts[1].key))


def test_offer_is_single_use_and_expires(suite):
    offer, sig = make_offer(suite, suite.accounts[1], valid_until=chain_now(suite.w3) + 100)
    register(suite, offer, sig)
    with reverts("ListingAlreadyRegistered"):
        register(suite, offer, sig)
    late, late_sig = make_offer(suite, suite.accounts[1], valid_until=chain_now(suite.w3) + 100)
    warp(suite.w3, 101)
    with reverts("OfferExpired"):
        register(suite, late, late_sig)


def test_increment_counter_cancels_every_outstanding_offer(suite):
    creator = suite.accounts[1]
    first, first_sig = make_offer(suite, creator)
    second, second_sig = make_offer(suite, creator)
    receipt = send(suite.market.functions.incrementCounter(), creator.address)
    (event,) = events(suite.market, receipt, "CounterIncremented")
    assert event == {"creator": creator.address, "counter": 1}
    for offer, sig in ((first, first_sig), (second, second_sig)):
        with reverts("OfferCancelled"):
            register(suite, offer, sig)
    fresh, fresh_sig = make_offer(suite, creator)  # signs the new counter
    assert fresh.counter == 1
    register(suite, fresh, fresh_sig)


def test_contract_wallet_creator_signs_by_erc1271(suite):
    key = Account.create()
    wallet = suite.deploy("TestERC1271Wallet", key.address)
    offer, _ = make_offer(
        suite, key, creator=wallet.address, listing_id=listing_id(wallet.address, 1)
    )
    register(suite, offer, sign(offer, domain(suite), key.key))
    assert suite.ownership.functions.ownerOf(offer.listing_id).call() == wallet.address
    stranger = Account.create()
    other, _ = make_offer(
        suite, key, creator=wallet.address, listing_id=listing_id(wallet.address, 2)
    )
    with reverts("InvalidSignature"):
        register(suite, other, sign(other, domain(suite), stranger.key))


def test_owner_updates_splits_by_transaction(suite):
    creator, contributor = suite.accounts[1], suite.accounts[6].address
    offer, sig = make_offer(suite, creator)
    register(suite, offer, sig)
    splits = (Split(contributor, 2_500), Split(OWNER, 7_500))
    call = suite.market.functions.setSplits(offer.listing_id, [s.as_struct() for s in splits])
    receipt = send(call, creator.address)
    (event,) = events(suite.market, receipt, "SplitUpdated")
    assert event["recipients"] == [contributor, OWNER] and event["bps"] == [2_500, 7_500]
    stored = suite.market.functions.splitsOf(offer.listing_id).call()
    assert stored == [(OWNER, 7_500), (contributor, 2_500)]  # the owner's share first
    assert suite.market.functions.listing(offer.listing_id).call()[5] == 1  # nonce bumped

    bad = suite.market.functions.setSplits(offer.listing_id, [Split(OWNER, 10_001).as_struct()])
    with reverts("SplitsMustTotal10000"):
        send(bad, creator.address)
    with reverts("NotListingOwner"):
        send(call, suite.accounts[2].address)
    missing = suite.market.functions.setSplits(
        offer.listing_id + 1, [Split(OWNER, 10_000).as_struct()]
    )
    with reverts("ListingNotRegistered"):
        send(missing, creator.address)


def test_owner_updates_splits_by_signature_relayed_by_anyone(suite):
    creator, contributor = suite.accounts[1], suite.accounts[6].address
    offer, sig = make_offer(suite, creator)
    register(suite, offer, sig)
    deadline = chain_now(suite.w3) + DAY
    update = SplitUpdate(offer.listing_id, (Split(contributor, 10_000),), 0, deadline)
    signature = sign(update, domain(suite), creator.key)
    call = suite.market.functions.setSplitsBySig(update.as_struct(), signature)
    send(call, suite.accounts[7].address)
    assert suite.market.functions.splitsOf(offer.listing_id).call() == [(contributor, 10_000)]
    with reverts("BadNonce"):  # replayed
        send(call, suite.accounts[7].address)

    forged = SplitUpdate(offer.listing_id, (Split(OWNER, 10_000),), 1, deadline)
    stranger_sig = sign(forged, domain(suite), suite.accounts[2].key)
    with reverts("InvalidSignature"):
        send(
            suite.market.functions.setSplitsBySig(forged.as_struct(), stranger_sig), creator.address
        )
    expired = SplitUpdate(offer.listing_id, (Split(OWNER, 10_000),), 1, chain_now(suite.w3) - 1)
    expired_sig = sign(expired, domain(suite), creator.key)
    with reverts("SignatureExpired"):
        send(
            suite.market.functions.setSplitsBySig(expired.as_struct(), expired_sig), creator.address
        )


def test_owner_updates_tier_price_by_transaction_and_signature(suite):
    creator = suite.accounts[1]
    offer, sig = make_offer(suite, creator)
    register(suite, offer, sig)
    receipt = send(
        suite.market.functions.setTierPrice(offer.listing_id, 0, 3 * PRICE, ETH), creator.address
    )
    (event,) = events(suite.market, receipt, "TierUpdated")
    assert event["price"] == 3 * PRICE and event["tierId"] == 0
    buy(suite, suite.accounts[3].address, offer.listing_id)  # at the new price

    token = suite.token.address
    update = TierUpdate(
        offer.listing_id, 0, 7, nonce=1, deadline=chain_now(suite.w3) + DAY, currency=token
    )
    signature = sign(update, domain(suite), creator.key)
    send(
        suite.market.functions.setTierPriceBySig(update.as_struct(), signature),
        suite.accounts[7].address,
    )
    stored = suite.market.functions.tier(offer.listing_id, 0).call()
    assert (stored[0], stored[6], stored[7]) == (7, True, token)
    with reverts("BadNonce"):
        send(
            suite.market.functions.setTierPriceBySig(update.as_struct(), signature), creator.address
        )
    with reverts("UnknownTier"):
        send(suite.market.functions.setTierPrice(offer.listing_id, 1, 1, ETH), creator.address)
    with reverts("NotListingOwner"):
        send(
            suite.market.functions.setTierPrice(offer.listing_id, 0, 1, ETH),
            suite.accounts[2].address,
        )


def test_moderation_needs_the_moderator_role(suite):
    offer, sig = make_offer(suite, suite.accounts[1])
    register(suite, offer, sig)
    outsider = suite.accounts[4].address
    with reverts("AccessControlUnauthorizedAccount"):
        send(suite.market.functions.pauseListing(offer.listing_id), outsider)
    with reverts("AccessControlUnauthorizedAccount"):
        send(suite.market.functions.unpauseListing(offer.listing_id), outsider)
    role = suite.market.functions.MODERATOR_ROLE().call()
    send(suite.market.functions.grantRole(role, outsider), suite.admin.address)
    send(suite.market.functions.pauseListing(offer.listing_id), outsider)
    assert suite.market.functions.listing(offer.listing_id).call()[-1] is True
    send(suite.market.functions.revokeRole(role, outsider), suite.admin.address)
    with reverts("AccessControlUnauthorizedAccount"):
        send(suite.market.functions.unpauseListing(offer.listing_id), outsider)


def test_platform_fee_is_capped_and_admin_only(suite):
    admin, treasury = suite.admin.address, suite.accounts[8].address
    # A lower fee (or a new recipient) applies at once; a rise is announced first (test_attacks).
    receipt = send(suite.market.functions.setPlatformFee(treasury, 100), admin)
    (event,) = events(suite.market, receipt, "PlatformFeeUpdated")
    assert event == {"recipient": treasury, "bps": 100}
    assert suite.market.functions.feeRecipient().call() == treasury
    assert suite.market.functions.feeBps().call() == 100
    with reverts("FeeAboveCap"):
        send(suite.market.functions.setPlatformFee(treasury, 1_001), admin)
    with reverts("InvalidRecipient"):
        send(suite.market.functions.setPlatformFee(ETH, 1), admin)
    with reverts("InvalidRecipient"):  # our own contracts could never withdraw it
        send(suite.market.functions.setPlatformFee(suite.license.address, 1), admin)
    send(suite.market.functions.setPlatformFee(ETH, 0), admin)  # no fee, no recipient: fine
    with reverts("AccessControlUnauthorizedAccount"):
        send(suite.market.functions.setPlatformFee(treasury, 10), suite.accounts[1].address)


def test_views(suite):
    creator = suite.accounts[1]
    offer, sig = make_offer(
        suite,
        creator,
        tiers=(Tier(PRICE), Tier(2 * PRICE, duration=DAY, kind=2, transferable=False)),
        royalty_bps=300,
    )
    register(suite, offer, sig)
    market = suite.market.functions
    header = market.listing(offer.listing_id).call()
    assert header == (creator.address, 2, 0, 10_000, 300, 0, False, False)
    assert market.tier(offer.listing_id, 1).call() == (2 * PRICE, DAY, 0, 0, 2, False, False, ETH)
    assert market.tokenIdOf(offer.listing_id, 1).call() == (offer.listing_id << 8) | 1
    assert market.transferTerms((offer.listing_id << 8) | 1).call() == [False, 0]
    assert market.registeredOffer(offer.listing_id).call() == digest(offer, domain(suite))
    assert market.royaltyOf(offer.listing_id).call() == [creator.address, 300]
    assert market.counters(creator.address).call() == 0
    assert market.licenseToken().call() == suite.license.address
    assert market.ownership().call() == suite.ownership.address
    name, version, chain_id, contract = market.eip712Domain().call()[1:5]
    assert (name, version, chain_id, contract) == (
        "AI Model Marketplace",
        "1",
        31337,
        suite.market.address,
    )
    assert new_listing_id(creator.address) >> 88 == int(creator.address, 16)
    assert Web3.is_checksum_address(market.feeRecipient().call())
