"""Buying licences in ETH: lazy registration, later purchases, the split, and every way a
purchase is refused."""

from web3 import Web3

from chain.tests.helpers import (
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
from chain.typed_data import ETH, OWNER, Split, Tier, token_id

PRICE = 10**16


def balances(w3, *addresses):
    return [w3.eth.get_balance(a) for a in addresses]


def test_first_purchase_registers_the_offer_and_mints_ownership_and_licence(suite):
    creator, buyer = suite.accounts[1], suite.accounts[3].address
    offer, sig = make_offer(suite, creator, royalty_bps=500)
    receipt = buy_with_offer(suite, buyer, offer, sig)

    (registered,) = events(suite.market, receipt, "ListingRegistered")
    assert registered["listingId"] == offer.listing_id
    assert registered["creator"] == creator.address
    assert registered["contentDigest"] == bytes(offer.content_digest)
    assert suite.ownership.functions.ownerOf(offer.listing_id).call() == creator.address
    (tier,) = events(suite.market, receipt, "TierUpdated")
    assert (tier["price"], tier["currency"], tier["tokenId"]) == (
        PRICE,
        ETH,
        token_id(offer.listing_id, 0),
    )
    (split,) = events(suite.market, receipt, "SplitUpdated")
    assert split["recipients"] == [OWNER] and split["bps"] == [10_000]

    (bought,) = events(suite.market, receipt, "Purchased")
    assert bought["buyer"] == buyer and bought["amount"] == PRICE and bought["expiresAt"] == 0
    tid = token_id(offer.listing_id, 0)
    assert suite.license.functions.balanceOf(buyer, tid).call() == 1
    (transfer,) = events(suite.license, receipt, "TransferSingle")
    assert transfer["to"] == buyer and transfer["id"] == tid and transfer["value"] == 1


def test_purchase_with_offer_after_registration_uses_the_stored_listing(suite):
    offer, sig = make_offer(suite, suite.accounts[1])
    register(suite, offer, sig)
    receipt = buy_with_offer(suite, suite.accounts[3].address, offer, sig)
    assert events(suite.market, receipt, "ListingRegistered") == []
    assert len(events(suite.market, receipt, "Purchased")) == 1


def test_later_purchase_pays_fee_splits_and_owner_to_the_wei(suite):
    creator, a, b = suite.accounts[1], suite.accounts[5].address, suite.accounts[6].address
    price = 10**16 + 7  # not divisible: the owner must get the dust
    splits = (Split(OWNER, 5_000), Split(a, 3_333), Split(b, 1_667))
    offer, sig = make_offer(suite, creator, tiers=(Tier(price=price),), splits=splits)
    register(suite, offer, sig)
    before = balances(suite.w3, creator.address, a, b)

    receipt = buy(suite, suite.accounts[3].address, offer.listing_id, quantity=3)

    total = price * 3
    fee = total * 250 // 10_000
    net = total - fee
    share_a, share_b = net * 3_333 // 10_000, net * 1_667 // 10_000
    owner = net - share_a - share_b
    after = balances(suite.w3, creator.address, a, b)
    assert [x - y for x, y in zip(after, before, strict=True)] == [owner, share_a, share_b]
    fee_to = suite.fee_recipient.address
    assert suite.market.functions.credits(fee_to, ETH).call() == fee
    assert owner + share_a + share_b + fee == total
    assert suite.w3.eth.get_balance(suite.market.address) == fee
    # Payments that went through are not announced one by one (the indexer derives them from
    # the terms in force: payments.onchain.payouts); the sale's only Marketplace log is Purchased.
    market_logs = [log for log in receipt["logs"] if log["address"] == suite.market.address]
    assert len(market_logs) == 1 and events(suite.market, receipt, "Purchased")


def test_wrong_amount_or_value_is_refused(suite):
    offer, sig = make_offer(suite, suite.accounts[1])
    register(suite, offer, sig)
    buyer = suite.accounts[3].address
    with reverts("WrongPrice"):
        buy(suite, buyer, offer.listing_id, amount=PRICE - 1, value=PRICE - 1)
    with reverts("WrongPrice"):
        buy(suite, buyer, offer.listing_id, amount=PRICE, value=PRICE + 1)
    with reverts("WrongPrice"):
        buy(suite, buyer, offer.listing_id, quantity=2, amount=PRICE, value=PRICE)


def test_wrong_currency_zero_quantity_unknown_tier_unregistered(suite):
    offer, sig = make_offer(suite, suite.accounts[1])
    register(suite, offer, sig)
    buyer = suite.accounts[3].address
    with reverts("WrongCurrency"):
        buy(suite, buyer, offer.listing_id, currency=suite.token.address, value=0)
    with reverts("ZeroQuantity"):
        buy(suite, buyer, offer.listing_id, quantity=0, amount=0)
    with reverts("UnknownTier"):
        send(suite.market.functions.purchase(offer.listing_id, 1, 1, ETH, PRICE), buyer, PRICE)
    with reverts("ListingNotRegistered"):
        send(suite.market.functions.purchase(offer.listing_id + 1, 0, 1, ETH, PRICE), buyer, PRICE)


def test_price_change_between_quote_and_purchase_is_refused(suite):
    creator = suite.accounts[1]
    offer, sig = make_offer(suite, creator)
    register(suite, offer, sig)
    send(suite.market.functions.setTierPrice(offer.listing_id, 0, PRICE * 2, ETH), creator.address)
    with reverts("WrongPrice"):
        buy(suite, suite.accounts[3].address, offer.listing_id, amount=PRICE, value=PRICE)


def test_supply_cap(suite):
    offer, sig = make_offer(suite, suite.accounts[1], tiers=(Tier(price=PRICE, max_supply=3),))
    register(suite, offer, sig)
    buy(suite, suite.accounts[3].address, offer.listing_id, quantity=2)
    with reverts("SupplyCapExceeded"):
        buy(suite, suite.accounts[4].address, offer.listing_id, quantity=2)
    buy(suite, suite.accounts[4].address, offer.listing_id, quantity=1)
    assert suite.market.functions.tier(offer.listing_id, 0).call()[3] == 3  # minted
    with reverts("SupplyCapExceeded"):
        buy(suite, suite.accounts[5].address, offer.listing_id)


def test_paused_listing_cannot_be_bought_until_unpaused(suite):
    offer, sig = make_offer(suite, suite.accounts[1])
    register(suite, offer, sig)
    receipt = send(suite.market.functions.pauseListing(offer.listing_id), suite.admin.address)
    assert events(suite.market, receipt, "ListingPaused")[0]["listingId"] == offer.listing_id
    with reverts("ListingIsPaused"):
        buy(suite, suite.accounts[3].address, offer.listing_id)
    receipt = send(suite.market.functions.unpauseListing(offer.listing_id), suite.admin.address)
    assert len(events(suite.market, receipt, "ListingUnpaused")) == 1
    buy(suite, suite.accounts[3].address, offer.listing_id)


def test_a_listing_paused_before_its_first_sale_stays_paused(suite):
    offer, sig = make_offer(suite, suite.accounts[1])
    send(suite.market.functions.pauseListing(offer.listing_id), suite.admin.address)
    with reverts("ListingIsPaused"):
        buy_with_offer(suite, suite.accounts[3].address, offer, sig)
    register(suite, offer, sig)
    assert suite.market.functions.listing(offer.listing_id).call()[-1] is True


def test_recipient_rejecting_eth_is_credited_and_sale_succeeds(suite):
    rejecting = suite.deploy("RejectingRecipient")
    burner = suite.deploy("RejectingRecipient")
    send(burner.functions.setBurnGas(True), suite.admin.address)
    splits = (Split(OWNER, 4_000), Split(rejecting.address, 3_000), Split(burner.address, 3_000))
    offer, sig = make_offer(suite, suite.accounts[1], splits=splits)
    receipt = buy_with_offer(suite, suite.accounts[3].address, offer, sig)

    net = PRICE - PRICE * 250 // 10_000
    credited = {e["recipient"]: e["amount"] for e in events(suite.market, receipt, "Credited")}
    assert credited[rejecting.address] == credited[burner.address] == net * 3_000 // 10_000
    assert suite.w3.eth.get_balance(rejecting.address) == 0
    assert (
        suite.license.functions.balanceOf(
            suite.accounts[3].address, token_id(offer.listing_id, 0)
        ).call()
        == 1
    )
    assert receipt["gasUsed"] < 450_000  # the gas burner got PAYOUT_GAS, not the whole block

    # It collects by withdrawing to an address that accepts ETH.
    payee = Web3.to_checksum_address("0x" + "ab" * 20)
    withdraw = suite.market.functions.withdraw(ETH, payee)._encode_transaction_data()
    receipt = send(rejecting.functions.execute(suite.market.address, withdraw), suite.admin.address)
    assert suite.w3.eth.get_balance(payee) == net * 3_000 // 10_000
    (withdrawn,) = events(suite.market, receipt, "Withdrawn")
    assert withdrawn["account"] == rejecting.address and withdrawn["to"] == payee
    assert suite.market.functions.credits(rejecting.address, ETH).call() == 0


def test_withdraw_refusals_and_platform_fee_withdrawal(suite):
    fee_to = suite.fee_recipient.address
    with reverts("NothingToWithdraw"):
        send(suite.market.functions.withdraw(ETH, fee_to), fee_to)
    offer, sig = make_offer(suite, suite.accounts[1])
    buy_with_offer(suite, suite.accounts[3].address, offer, sig)
    with reverts("InvalidRecipient"):
        send(suite.market.functions.withdraw(ETH, ETH), fee_to)
    rejecting = suite.deploy("RejectingRecipient")
    with reverts("WithdrawFailed"):
        send(suite.market.functions.withdraw(ETH, rejecting.address), fee_to)
    before = suite.w3.eth.get_balance(suite.accounts[8].address)
    send(suite.market.functions.withdraw(ETH, suite.accounts[8].address), fee_to)
    assert suite.w3.eth.get_balance(suite.accounts[8].address) - before == PRICE * 250 // 10_000
    assert suite.w3.eth.get_balance(suite.market.address) == 0


def test_reentrant_recipient_is_blocked_credited_and_cannot_double_withdraw(suite):
    attacker = suite.deploy("ReentrantRecipient")
    offer, sig = make_offer(
        suite, suite.accounts[1], splits=(Split(OWNER, 5_000), Split(attacker.address, 5_000))
    )
    register(suite, offer, sig)
    # Armed to re-enter with a purchase of its own while being paid.
    again = suite.market.functions.purchase(offer.listing_id, 0, 1, ETH, PRICE)
    arm = attacker.functions.arm(suite.market.address, again._encode_transaction_data(), PRICE)
    send(arm, suite.admin.address, PRICE)

    receipt = buy(suite, suite.accounts[3].address, offer.listing_id)
    share = (PRICE - PRICE * 250 // 10_000) // 2
    (credited,) = events(suite.market, receipt, "Credited")  # the fee is credited silently
    assert credited["recipient"] == attacker.address and credited["amount"] == share
    assert len(events(suite.market, receipt, "Purchased")) == 1
    assert (
        suite.license.functions.balanceOf(attacker.address, token_id(offer.listing_id, 0)).call()
        == 0
    )

    # Withdrawing to itself re-enters `withdraw` from its receive(): refused, credit intact.
    withdraw = suite.market.functions.withdraw(ETH, attacker.address)._encode_transaction_data()
    send(attacker.functions.arm(suite.market.address, withdraw, 0), suite.admin.address)
    with reverts("WithdrawFailed"):
        send(attacker.functions.execute(withdraw, 0), suite.admin.address)
    assert suite.market.functions.credits(attacker.address, ETH).call() == share


def test_reentrant_buyer_cannot_re_enter_from_the_licence_callback(suite):
    attacker = suite.deploy("ReentrantRecipient")
    offer, sig = make_offer(suite, suite.accounts[1])
    register(suite, offer, sig)
    purchase = suite.market.functions.purchase(offer.listing_id, 0, 1, ETH, PRICE)
    data = purchase._encode_transaction_data()
    send(attacker.functions.arm(suite.market.address, data, PRICE), suite.admin.address, PRICE)
    with reverts("ReentrancyGuardReentrantCall"):
        send(attacker.functions.execute(data, PRICE), suite.admin.address, PRICE)


def test_eth_fee_stays_in_the_balance_and_follows_its_recipient(suite):
    """An ETH sale writes nothing for its fee (it is what stays in the contract); `credits` and
    `withdraw` see it, and a new fee recipient does not inherit what the old one earned."""
    fee_to, successor = suite.fee_recipient.address, suite.accounts[7].address
    offer, sig = make_offer(suite, suite.accounts[1])
    register(suite, offer, sig)
    fee = PRICE * 250 // 10_000
    buy(suite, suite.accounts[3].address, offer.listing_id)
    buy(suite, suite.accounts[4].address, offer.listing_id, quantity=2)
    assert suite.market.functions.credits(fee_to, ETH).call() == fee * 3

    send(suite.market.functions.setPlatformFee(successor, 250), suite.admin.address)
    buy(suite, suite.accounts[3].address, offer.listing_id)
    assert suite.market.functions.credits(fee_to, ETH).call() == fee * 3
    assert suite.market.functions.credits(successor, ETH).call() == fee

    before = suite.w3.eth.get_balance(suite.accounts[8].address)
    send(suite.market.functions.withdraw(ETH, suite.accounts[8].address), fee_to)
    assert suite.w3.eth.get_balance(suite.accounts[8].address) - before == fee * 3
    assert suite.market.functions.credits(fee_to, ETH).call() == 0
    send(suite.market.functions.withdrawFor(successor, ETH), suite.admin.address)
    assert suite.market.functions.credits(successor, ETH).call() == 0
    assert suite.w3.eth.get_balance(suite.market.address) == 0


def test_a_payee_cannot_credit_the_fee_while_a_sale_is_paying_out(suite):
    """Mid-sale the balance still holds shares not yet paid (the owner is paid last): a payee
    that applies a due fee change from its payout (which credits the ETH fee earned so far)
    is refused, and the books stay exact: every credit and the fee withdraw, and the contract
    ends empty."""
    fee_to, owner = suite.fee_recipient.address, suite.accounts[1]
    refusing = suite.deploy("RejectingRecipient")
    applier = suite.deploy("FeeApplier", suite.market.address)
    splits = (Split(applier.address, 3_000), Split(refusing.address, 2_000), Split(OWNER, 5_000))
    offer, sig = make_offer(suite, owner, splits=splits)
    register(suite, offer, sig)
    # The slots the fee change writes are already in use, so the payee can afford it in
    # PAYOUT_GAS: ETH owed (a refused share), the fee recipient's credit (a settled fee).
    buy(suite, suite.accounts[3].address, offer.listing_id)
    send(suite.market.functions.setPlatformFee(fee_to, 250), suite.admin.address)
    receipt = send(suite.market.functions.setPlatformFee(fee_to, 300), suite.admin.address)
    (scheduled,) = events(suite.market, receipt, "PlatformFeeScheduled")
    warp(suite.w3, scheduled["effectiveAt"] - chain_now(suite.w3) + 1)

    receipt = buy(suite, suite.accounts[3].address, offer.listing_id)
    net = PRICE - PRICE * 250 // 10_000
    credited = {e["recipient"]: e["amount"] for e in events(suite.market, receipt, "Credited")}
    assert credited == {applier.address: net * 3_000 // 10_000, refusing.address: net // 5}
    assert suite.market.functions.feeBps().call() == 250  # the change did not apply mid-sale
    assert suite.market.functions.credits(fee_to, ETH).call() == 2 * (PRICE * 250 // 10_000)

    owed = [fee_to, applier.address, refusing.address]
    credits = sum(suite.market.functions.credits(who, ETH).call() for who in owed)
    assert suite.w3.eth.get_balance(suite.market.address) == credits  # solvent, to the wei
    send(suite.market.functions.withdraw(ETH, suite.accounts[8].address), fee_to)
    left = sum(suite.market.functions.credits(who, ETH).call() for who in owed[1:])
    assert suite.w3.eth.get_balance(suite.market.address) == left


def test_purchase_license_is_purchase_found_early_by_the_dispatcher(suite):
    """`purchaseLicense` (what the site sends) does exactly what `purchase` does, for about
    1.4k gas less: the dispatcher compares selectors one by one, and its comes third."""
    offer, sig = make_offer(suite, suite.accounts[1])
    register(suite, offer, sig)
    tid = token_id(offer.listing_id, 0)
    market, receipts = suite.market.functions, {}
    calls = {
        "purchase": (market.purchase(offer.listing_id, 0, 1, ETH, PRICE), suite.accounts[3]),
        "early": (market.purchaseLicense(offer.listing_id, 0, 1, ETH, PRICE), suite.accounts[4]),
    }
    for name, (call, buyer) in calls.items():
        receipts[name] = send(call, buyer.address, PRICE)
        (bought,) = events(suite.market, receipts[name], "Purchased")
        assert (bought["buyer"], bought["tokenId"], bought["amount"]) == (buyer.address, tid, PRICE)
        assert suite.license.functions.balanceOf(buyer.address, tid).call() == 1
    saved = receipts["purchase"]["gasUsed"] - receipts["early"]["gasUsed"]
    assert 1_000 < saved < 2_000
    assert suite.w3.eth.get_balance(suite.market.address) == 2 * (PRICE * 250 // 10_000)
