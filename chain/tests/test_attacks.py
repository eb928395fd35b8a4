"""The attacks of issue 14, tried against the contracts on anvil. Each test is what an attacker
(or a careless owner) did to the first contracts; each must fail to do harm now."""

import pytest

from chain.tests.helpers import (
    DAY,
    buy,
    buy_with_offer,
    chain_now,
    events,
    make_offer,
    register,
    reverts,
    send,
    warp,
)
from chain.typed_data import (
    ETH,
    OWNER,
    Domain,
    OfferCancel,
    Split,
    SplitConsent,
    Tier,
    digest,
    sign,
    token_id,
)

PRICE = 10**16


def domain(suite) -> Domain:
    return Domain(suite.w3.eth.chain_id, suite.market.address)


def remaining(suite, tid: int, holders) -> int:
    """Seconds of licence time still in force, summed over `holders`."""
    now = chain_now(suite.w3)
    return sum(max(0, suite.license.functions.expiresAt(tid, h).call() - now) for h in holders)


# ----------------------------------------------------------- 1. licence time is conserved


def test_splitting_a_subscription_over_wallets_creates_no_licence_time(suite):
    offer, sig = make_offer(suite, suite.accounts[1], tiers=(Tier(PRICE, duration=30 * DAY),))
    register(suite, offer, sig)
    tid, buyer = token_id(offer.listing_id, 0), suite.accounts[2].address
    buy(suite, buyer, offer.listing_id, quantity=12)
    friends = [a.address for a in suite.accounts[3:9]]
    for friend in friends:
        send(suite.license.functions.safeTransferFrom(buyer, friend, tid, 1, b""), buyer)
    # 12 x 30 days were sold; however they are spread, no more than that is in force.
    assert remaining(suite, tid, [buyer, *friends]) <= 360 * DAY
    # Each friend got one twelfth of the time (not the buyer's whole expiry), give or take the
    # seconds that passed between the transfers.
    for friend in friends:
        assert 29 * DAY < remaining(suite, tid, [friend]) <= 30 * DAY


def test_zero_value_transfer_hands_over_no_time(suite):
    offer, sig = make_offer(suite, suite.accounts[1], tiers=(Tier(PRICE, duration=30 * DAY),))
    register(suite, offer, sig)
    tid, whale, cheap = token_id(offer.listing_id, 0), suite.accounts[2], suite.accounts[3]
    buy(suite, whale.address, offer.listing_id, quantity=12)
    buy(suite, cheap.address, offer.listing_id, quantity=1)
    before = suite.license.functions.expiresAt(tid, cheap.address).call()
    send(
        suite.license.functions.safeTransferFrom(whale.address, cheap.address, tid, 0, b""),
        whale.address,
    )
    assert suite.license.functions.expiresAt(tid, cheap.address).call() == before
    assert remaining(suite, tid, [whale.address, cheap.address]) <= 13 * 30 * DAY


def test_operator_and_batch_transfers_conserve_time(suite):
    tiers = (Tier(PRICE, duration=10 * DAY), Tier(PRICE, duration=DAY))
    offer, sig = make_offer(suite, suite.accounts[1], tiers=tiers)
    register(suite, offer, sig)
    a, b = token_id(offer.listing_id, 0), token_id(offer.listing_id, 1)
    holder, operator, friend = (x.address for x in suite.accounts[2:5])
    buy(suite, holder, offer.listing_id, tier_id=0, quantity=4)
    buy(suite, holder, offer.listing_id, tier_id=1, quantity=4)
    send(suite.license.functions.setApprovalForAll(operator, True), holder)
    batch = suite.license.functions.safeBatchTransferFrom(holder, friend, [a, b, a], [2, 0, 2], b"")
    send(batch, operator)
    assert remaining(suite, a, [holder, friend]) <= 40 * DAY
    assert remaining(suite, b, [holder, friend]) <= 4 * DAY
    assert remaining(suite, b, [friend]) == 0


# ---------------------------------------------------------------------- 2. offers bind


def test_purchase_with_a_newer_offer_never_gets_the_older_terms(suite):
    creator, attacker, buyer = suite.accounts[1], suite.accounts[5], suite.accounts[3].address
    old, old_sig = make_offer(suite, creator, tiers=(Tier(PRICE, duration=DAY),))
    new, new_sig = make_offer(
        suite,
        creator,
        listing_id=old.listing_id,
        tiers=(Tier(PRICE, duration=30 * DAY, transferable=False),),
    )
    register(suite, old, old_sig, sender=attacker.address)  # the attacker front-runs
    call = suite.market.functions.purchaseWithOffer(new.as_struct(), new_sig, 0, 1, ETH, PRICE)
    with reverts("OfferMismatch"):
        send(call, buyer, PRICE)
    # The registered offer itself still buys.
    buy_with_offer(suite, buyer, old, old_sig)


def test_creator_cancels_one_offer_by_signature_relayed_by_anyone(suite):
    creator, relayer = suite.accounts[1], suite.accounts[6].address
    offer, sig = make_offer(suite, creator)
    other, other_sig = make_offer(suite, creator)
    offer_digest = digest(offer, domain(suite))
    cancel = OfferCancel(creator.address, offer_digest, deadline=chain_now(suite.w3) + DAY)
    call = suite.market.functions.cancelOfferBySig(
        cancel.as_struct(), sign(cancel, domain(suite), creator.key)
    )
    receipt = send(call, relayer)
    (event,) = events(suite.market, receipt, "OfferRevoked")
    assert event == {"creator": creator.address, "offerDigest": offer_digest}
    with reverts("RevokedOffer"):
        register(suite, offer, sig)
    register(suite, other, other_sig)  # only that one offer is gone


def test_a_cancel_signed_by_someone_else_cancels_nothing(suite):
    creator, attacker = suite.accounts[1], suite.accounts[5]
    offer, sig = make_offer(suite, creator)
    forged = OfferCancel(creator.address, digest(offer, domain(suite)), chain_now(suite.w3) + DAY)
    call = suite.market.functions.cancelOfferBySig(
        forged.as_struct(), sign(forged, domain(suite), attacker.key)
    )
    with reverts("InvalidSignature"):
        send(call, attacker.address)
    register(suite, offer, sig)


# ----------------------------------------------------------------------- 3. currencies


def test_fee_on_transfer_token_is_refused(suite):
    token = suite.deploy("FeeOnTransferToken")
    send(suite.market.functions.setCurrency(token.address, True), suite.admin.address)
    offer, sig = make_offer(suite, suite.accounts[1], tiers=(Tier(PRICE, currency=token.address),))
    buyer = suite.accounts[3].address
    send(token.functions.mint(buyer, 10 * PRICE), suite.admin.address)
    send(token.functions.approve(suite.market.address, 10 * PRICE), buyer)
    call = suite.market.functions.purchaseWithOffer(
        offer.as_struct(), sig, 0, 1, token.address, PRICE
    )
    with reverts("FeeOnTransferToken"):
        send(call, buyer)
    assert token.functions.balanceOf(suite.market.address).call() == 0


def test_currency_not_on_the_allow_list_is_refused(suite):
    token = suite.deploy("TestToken", "Unknown", "UNK")
    offer, sig = make_offer(suite, suite.accounts[1], tiers=(Tier(PRICE, currency=token.address),))
    with reverts("CurrencyNotAllowed"):
        register(suite, offer, sig)


# ------------------------------------------------------------ 4. ERC-20 payouts are capped


def test_hostile_token_recipient_cannot_block_or_bloat_a_purchase(suite):
    token = suite.deploy("HookToken")
    hog = suite.deploy("GasHogRecipient")
    send(token.functions.setHooked(hog.address, True), suite.admin.address)
    send(suite.market.functions.setCurrency(token.address, True), suite.admin.address)
    offer, sig = make_offer(
        suite,
        suite.accounts[1],
        tiers=(Tier(PRICE, currency=token.address),),
        splits=(Split(OWNER, 5_000), Split(hog.address, 5_000)),
    )
    buyer = suite.accounts[3].address
    send(token.functions.mint(buyer, 10 * PRICE), suite.admin.address)
    send(token.functions.approve(suite.market.address, 10 * PRICE), buyer)
    call = suite.market.functions.purchaseWithOffer(
        offer.as_struct(), sig, 0, 1, token.address, PRICE
    )
    receipt = suite.w3.eth.wait_for_transaction_receipt(
        call.transact({"from": buyer, "gas": 3_000_000})
    )
    assert receipt["status"] == 1
    assert receipt["gasUsed"] < 600_000
    (credit,) = [
        e for e in events(suite.market, receipt, "Credited") if e["recipient"] == hog.address
    ]
    assert suite.market.functions.credits(hog.address, token.address).call() == credit["amount"] > 0


# -------------------------------------------------- 5. no stranded credit, no self-payment


def test_anyone_can_push_a_credit_to_its_owner(suite):
    creator = suite.accounts[1]
    offer, sig = make_offer(suite, creator, tiers=(Tier(PRICE, currency=suite.token.address),))
    buyer = suite.accounts[3].address
    send(suite.token.functions.mint(buyer, PRICE), suite.admin.address)
    send(suite.token.functions.approve(suite.market.address, PRICE), buyer)
    send(suite.token.functions.setBlocked(creator.address, True), suite.admin.address)
    buy_with_offer(suite, buyer, offer, sig)
    owed = suite.market.functions.credits(creator.address, suite.token.address).call()
    assert owed > 0
    send(suite.token.functions.setBlocked(creator.address, False), suite.admin.address)
    call = suite.market.functions.withdrawFor(creator.address, suite.token.address)
    receipt = send(call, suite.accounts[7].address)
    assert events(suite.market, receipt, "Withdrawn")[0]["to"] == creator.address
    assert suite.token.functions.balanceOf(creator.address).call() == owed
    assert suite.market.functions.credits(creator.address, suite.token.address).call() == 0


@pytest.mark.parametrize("which", ["license", "ownership"])
def test_our_own_token_contracts_are_refused_as_recipients(suite, which):
    target = getattr(suite, which).address
    offer, sig = make_offer(
        suite, suite.accounts[1], splits=(Split(OWNER, 9_000), Split(target, 1_000))
    )
    with reverts("InvalidRecipient"):
        register(suite, offer, sig)


# ------------------------------------------------------------ 6. the cap counts seats


def test_renewals_do_not_use_up_seats(suite):
    offer, sig = make_offer(
        suite, suite.accounts[1], tiers=(Tier(PRICE, duration=30 * DAY, max_supply=2),)
    )
    register(suite, offer, sig)
    first, second, third = (a.address for a in suite.accounts[2:5])
    for _ in range(3):
        buy(suite, first, offer.listing_id)  # three renewals: one seat
    buy(suite, second, offer.listing_id, quantity=2)
    assert suite.market.functions.tier(offer.listing_id, 0).call()[3] == 2  # seats taken
    with reverts("SupplyCapExceeded"):
        buy(suite, third, offer.listing_id)
    # A transfer to a new holder would take a third seat, so it is refused too.
    tid = token_id(offer.listing_id, 0)
    with reverts("SupplyCapExceeded"):
        send(suite.license.functions.safeTransferFrom(first, third, tid, 1, b""), first)


# ------------------------------------------------------------ 7. contributors protected


def _contributed(suite):
    creator, contributor = suite.accounts[1], suite.accounts[2]
    splits = (Split(OWNER, 7_000), Split(contributor.address, 3_000))
    offer, sig = make_offer(suite, creator, splits=splits)
    register(suite, offer, sig)
    return offer, creator, contributor


def test_owner_cannot_cut_a_contributor_at_once(suite):
    offer, creator, contributor = _contributed(suite)
    cut = (Split(OWNER, 10_000),)
    call = suite.market.functions.setSplits(offer.listing_id, [s.as_struct() for s in cut])
    receipt = send(call, creator.address)
    (scheduled,) = events(suite.market, receipt, "SplitsScheduled")
    assert scheduled["effectiveAt"] >= chain_now(suite.w3) + 14 * DAY
    # Sales go on paying the contributor until the notice period ends.
    assert suite.market.functions.splitsOf(offer.listing_id).call()[1] == (
        contributor.address,
        3_000,
    )
    apply = suite.market.functions.applySplits(offer.listing_id, [s.as_struct() for s in cut])
    with reverts("SplitsNotDue"):
        send(apply, suite.accounts[7].address)
    warp(suite.w3, 14 * DAY + 1)
    send(apply, suite.accounts[7].address)
    assert suite.market.functions.splitsOf(offer.listing_id).call() == [(OWNER, 10_000)]


def test_contributor_consent_cuts_at_once(suite):
    offer, creator, contributor = _contributed(suite)
    cut = (Split(OWNER, 9_000), Split(contributor.address, 1_000))
    nonce = suite.market.functions.listing(offer.listing_id).call()[5]
    consent = SplitConsent(
        offer.listing_id, contributor.address, cut, nonce, chain_now(suite.w3) + DAY
    )
    signature = sign(consent, domain(suite), contributor.key)
    call = suite.market.functions.setSplitsWithConsent(
        offer.listing_id,
        [s.as_struct() for s in cut],
        [(contributor.address, consent.deadline, signature)],
    )
    send(call, creator.address)
    assert suite.market.functions.splitsOf(offer.listing_id).call()[1] == (
        contributor.address,
        1_000,
    )


def test_locked_split_never_changes(suite):
    creator, contributor = suite.accounts[1], suite.accounts[2]
    splits = (Split(OWNER, 7_000), Split(contributor.address, 3_000))
    offer, sig = make_offer(suite, creator, splits=splits, lock_splits=True)
    register(suite, offer, sig)
    raise_ = (Split(OWNER, 6_000), Split(contributor.address, 4_000))
    with reverts("SplitsLocked"):
        send(
            suite.market.functions.setSplits(offer.listing_id, [s.as_struct() for s in raise_]),
            creator.address,
        )


# ------------------------------------------------------------------------------ 8. admin


def test_admin_hand_over_takes_two_steps_and_a_delay(suite):
    admin, heir = suite.admin.address, suite.accounts[8].address
    role = suite.market.functions.DEFAULT_ADMIN_ROLE().call()
    with reverts("AccessControlEnforcedDefaultAdminRules"):
        send(suite.market.functions.grantRole(role, heir), admin)
    send(suite.market.functions.beginDefaultAdminTransfer(heir), admin)
    with reverts("AccessControlEnforcedDefaultAdminDelay"):
        send(suite.market.functions.acceptDefaultAdminTransfer(), heir)
    warp(suite.w3, suite.market.functions.defaultAdminDelay().call() + 1)
    send(suite.market.functions.acceptDefaultAdminTransfer(), heir)
    assert suite.market.functions.defaultAdmin().call() == heir


def test_fee_rise_is_announced_before_it_applies(suite):
    offer, sig = make_offer(suite, suite.accounts[1])
    register(suite, offer, sig)
    recipient = suite.fee_recipient.address
    receipt = send(suite.market.functions.setPlatformFee(recipient, 1_000), suite.admin.address)
    (scheduled,) = events(suite.market, receipt, "PlatformFeeScheduled")
    assert suite.market.functions.feeBps().call() == 250  # pending sales keep today's fee
    with reverts("FeeNotDue"):
        send(suite.market.functions.applyPlatformFee(), suite.accounts[7].address)
    warp(suite.w3, scheduled["effectiveAt"] - chain_now(suite.w3) + 1)
    send(suite.market.functions.applyPlatformFee(), suite.accounts[7].address)
    assert suite.market.functions.feeBps().call() == 1_000


def test_moderator_pauses_every_purchase(suite):
    offer, sig = make_offer(suite, suite.accounts[1])
    register(suite, offer, sig)
    buyer = suite.accounts[3].address
    with reverts("AccessControlUnauthorizedAccount"):
        send(suite.market.functions.pausePurchases(), buyer)
    send(suite.market.functions.pausePurchases(), suite.admin.address)
    with reverts("PurchasingPaused"):
        buy(suite, buyer, offer.listing_id)
    send(suite.market.functions.unpausePurchases(), suite.admin.address)
    buy(suite, buyer, offer.listing_id)


def test_admin_hand_over_can_be_cancelled_and_the_delay_changed_only_slowly(suite):
    market, admin, heir = suite.market.functions, suite.admin.address, suite.accounts[8].address
    assert market.owner().call() == admin  # ERC-5313: wallets and explorers show the admin
    assert market.defaultAdminDelay().call() == market.ADMIN_DELAY().call() == 2 * DAY
    send(market.beginDefaultAdminTransfer(heir), admin)
    assert market.pendingDefaultAdmin().call()[0] == heir
    send(market.cancelDefaultAdminTransfer(), admin)
    assert market.pendingDefaultAdmin().call()[0] == "0x" + "00" * 20
    # A shorter delay waits for the time it takes off; a change can be rolled back meanwhile.
    send(market.changeDefaultAdminDelay(DAY), admin)
    assert market.pendingDefaultAdminDelay().call()[0] == DAY
    assert market.defaultAdminDelayIncreaseWait().call() == 5 * DAY
    send(market.rollbackDefaultAdminDelay(), admin)
    assert market.pendingDefaultAdminDelay().call()[0] == 0


def test_v2_views(suite):
    market = suite.market.functions
    assert market.FEE_NOTICE().call() == 7 * DAY
    assert market.SPLIT_NOTICE().call() == 14 * DAY
    assert market.ERC20_PAYOUT_GAS().call() == 100_000
    assert market.currencies(suite.token.address).call() == [True, 18]
    assert market.currencies(suite.accounts[5].address).call() == [False, 0]
    assert market.purchasesPaused().call() is False
    assert market.pendingFee().call() == ["0x" + "00" * 20, 0, 0]
    send(market.setPlatformFee(suite.fee_recipient.address, 300), suite.admin.address)
    assert market.pendingFee().call()[:2] == [suite.fee_recipient.address, 300]

    offer, creator, contributor = _contributed(suite)
    send(market.setSplits(offer.listing_id, [Split(OWNER, 10_000).as_struct()]), creator.address)
    assert market.pendingSplits(offer.listing_id).call()[1] > chain_now(suite.w3)

    # A creator cancels an offer of theirs directly too.
    other, other_sig = make_offer(suite, creator)
    other_digest = digest(other, domain(suite))
    assert market.cancelledOffers(creator.address, other_digest).call() is False
    send(market.cancelOffer(other_digest), creator.address)
    assert market.cancelledOffers(creator.address, other_digest).call() is True

    capped, sig = make_offer(suite, creator, tiers=(Tier(PRICE, duration=DAY, max_supply=5),))
    register(suite, capped, sig)
    buy(suite, suite.accounts[3].address, capped.listing_id)
    assert suite.license.functions.seats(token_id(capped.listing_id, 0)).call() == 1


def test_currency_can_be_stopped_and_needs_the_admin(suite):
    token = suite.token.address
    offer, sig = make_offer(suite, suite.accounts[1], tiers=(Tier(PRICE, currency=token),))
    register(suite, offer, sig)
    with reverts("AccessControlUnauthorizedAccount"):
        send(suite.market.functions.setCurrency(token, False), suite.accounts[1].address)
    receipt = send(suite.market.functions.setCurrency(token, False), suite.admin.address)
    assert events(suite.market, receipt, "CurrencySet") == [
        {"token": token, "allowed": False, "decimals": 18}
    ]
    buyer = suite.accounts[3].address
    send(suite.token.functions.mint(buyer, PRICE), suite.admin.address)
    send(suite.token.functions.approve(suite.market.address, PRICE), buyer)
    with reverts("CurrencyNotAllowed"):
        buy(suite, buyer, offer.listing_id)
    with reverts("CurrencyNotAllowed"):  # an address without code is no token
        send(suite.market.functions.setCurrency(buyer, True), suite.admin.address)
