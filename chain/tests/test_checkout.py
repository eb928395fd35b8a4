"""Gasless purchases through the Checkout: a buyer holding only a stablecoin (no ETH) signs, a
relayer submits, and the licence is minted to the buyer with the split paid. Every way of
bending what was signed (replay, another purchase, another amount, another chain, too late, a
front-run) reverts and moves no money."""

import dataclasses

import pytest
from eth_account import Account

from chain.gasless import (
    PurchaseIntent,
    ReceiveWithAuthorization,
    TransferWithAuthorization,
    checkout_domain,
    new_nonce,
)
from chain.tests.helpers import chain_now, events, make_offer, register, reverts, send
from chain.typed_data import (
    OWNER,
    Domain,
    Permit,
    Split,
    Tier,
    digest,
    sign,
    split_signature,
    token_id,
)

PRICE = 5 * 10**6  # 5 tUSDC
FEE_BPS = 250


@pytest.fixture
def buyer():
    """A fresh wallet with no ETH at all."""
    return Account.create()


OWNER_ONLY = (Split(OWNER, 10_000),)


def listed(suite, token, *, tiers=None, splits=OWNER_ONLY):
    tiers = tiers or (Tier(price=PRICE, currency=token.address),)
    offer, sig = make_offer(suite, suite.accounts[1], tiers=tiers, splits=splits)
    register(suite, offer, sig)
    return offer


def intent_for(suite, buyer, offer, token, *, tier=0, quantity=1, amount=None, deadline=None):
    return PurchaseIntent(
        buyer=buyer.address,
        listing_id=offer.listing_id,
        tier_id=tier,
        quantity=quantity,
        currency=token.address,
        amount=PRICE * quantity if amount is None else amount,
        nonce=new_nonce(),
        deadline=deadline or chain_now(suite.w3) + 600,
    )


def token_domain(suite, token, chain_id=None) -> Domain:
    name = token.functions.name().call()
    return Domain(chain_id or suite.w3.eth.chain_id, token.address, name=name, version="1")


def authorize(suite, buyer, intent, *, chain_id=None, nonce=None) -> bytes:
    """The buyer's one signature: ReceiveWithAuthorization to the Checkout, nonce = the
    intent's digest."""
    domain = checkout_domain(suite.w3.eth.chain_id, suite.checkout.address)
    auth = ReceiveWithAuthorization(
        sender=buyer.address,
        to=suite.checkout.address,
        value=intent.amount,
        valid_after=0,
        valid_before=intent.deadline,
        nonce=nonce or digest(intent, domain),
    )
    return sign(auth, token_domain(suite, suite.auth_token, chain_id), buyer.key)


def relay(suite, intent, signature, method="buyWithAuthorization", *extra):
    relayer = suite.accounts[7].address
    call = getattr(suite.checkout.functions, method)(intent.as_struct(), *extra, signature)
    return send(call, relayer)


def balances(suite, token, *addresses):
    return [token.functions.balanceOf(a).call() for a in addresses]


def fund(suite, token, address, amount=PRICE * 10):
    send(token.functions.mint(address, amount), suite.admin.address)


def test_one_signature_buys_with_no_eth(suite, buyer):
    token, creator, contributor = suite.auth_token, suite.accounts[1], suite.accounts[6]
    offer = listed(suite, token, splits=(Split(OWNER, 9_000), Split(contributor.address, 1_000)))
    fund(suite, token, buyer.address)
    intent = intent_for(suite, buyer, offer, token)
    before = balances(suite, token, buyer.address, creator.address, contributor.address)

    receipt = relay(suite, intent, authorize(suite, buyer, intent), "buyWithAuthorization", 0)

    tid = token_id(offer.listing_id, 0)
    assert suite.license.functions.balanceOf(buyer.address, tid).call() == 1
    (bought,) = events(suite.market, receipt, "Purchased")
    assert bought["buyer"] == buyer.address and bought["amount"] == PRICE
    fee = PRICE * FEE_BPS // 10_000
    share = (PRICE - fee) * 1_000 // 10_000
    after = balances(suite, token, buyer.address, creator.address, contributor.address)
    assert [a - b for a, b in zip(after, before, strict=True)] == [
        -PRICE,
        PRICE - fee - share,
        share,
    ]
    assert token.functions.balanceOf(suite.checkout.address).call() == 0
    assert suite.w3.eth.get_balance(buyer.address) == 0
    (gasless,) = events(suite.checkout, receipt, "GaslessPurchase")
    assert gasless["buyer"] == buyer.address and gasless["relayer"] == suite.accounts[7].address


def test_a_replayed_authorization_reverts(suite, buyer):
    token = suite.auth_token
    offer = listed(suite, token)
    fund(suite, token, buyer.address)
    intent = intent_for(suite, buyer, offer, token)
    signature = authorize(suite, buyer, intent)
    relay(suite, intent, signature, "buyWithAuthorization", 0)
    with reverts("AuthorizationUsedOrCanceled"):
        relay(suite, intent, signature, "buyWithAuthorization", 0)
    assert balances(suite, token, buyer.address) == [PRICE * 9]


@pytest.mark.parametrize(
    "change",
    [
        {"tier_id": 1},
        {"quantity": 2, "amount": 2 * PRICE},
        {"buyer": "0x000000000000000000000000000000000000dEaD"},
        {"nonce": "0x" + "11" * 32},
    ],
    ids=["other-tier", "other-quantity", "other-buyer", "other-nonce"],
)
def test_a_relayer_cannot_redirect_the_payment(suite, buyer, change):
    token = suite.auth_token
    tiers = (Tier(price=PRICE, currency=token.address),) * 2
    offer = listed(suite, token, tiers=tiers)
    fund(suite, token, buyer.address)
    signed = intent_for(suite, buyer, offer, token)
    signature = authorize(suite, buyer, signed)
    bent = PurchaseIntent(**{**signed.__dict__, **change})
    with reverts("InvalidAuthorizationSignature"):
        relay(suite, bent, signature, "buyWithAuthorization", 0)
    assert balances(suite, token, buyer.address) == [PRICE * 10]


def test_a_payment_for_the_wrong_amount_reverts(suite, buyer):
    token = suite.auth_token
    offer = listed(suite, token)
    fund(suite, token, buyer.address)
    intent = intent_for(suite, buyer, offer, token, amount=PRICE - 1)
    with reverts("WrongPrice"):
        relay(suite, intent, authorize(suite, buyer, intent), "buyWithAuthorization", 0)
    assert balances(suite, token, buyer.address, suite.checkout.address) == [PRICE * 10, 0]


def test_a_signature_for_another_chain_reverts(suite, buyer):
    token = suite.auth_token
    offer = listed(suite, token)
    fund(suite, token, buyer.address)
    intent = intent_for(suite, buyer, offer, token)
    with reverts("InvalidAuthorizationSignature"):
        relay(suite, intent, authorize(suite, buyer, intent, chain_id=1), "buyWithAuthorization", 0)


def test_an_expired_intent_reverts(suite, buyer):
    token = suite.auth_token
    offer = listed(suite, token)
    fund(suite, token, buyer.address)
    intent = intent_for(suite, buyer, offer, token, deadline=chain_now(suite.w3) - 1)
    with reverts("IntentExpired"):
        relay(suite, intent, authorize(suite, buyer, intent), "buyWithAuthorization", 0)


def test_nobody_else_can_submit_the_receive_authorization(suite, buyer):
    token = suite.auth_token
    offer = listed(suite, token)
    fund(suite, token, buyer.address)
    intent = intent_for(suite, buyer, offer, token)
    signature = authorize(suite, buyer, intent)
    domain = checkout_domain(suite.w3.eth.chain_id, suite.checkout.address)
    call = token.functions.receiveWithAuthorization(
        buyer.address,
        suite.checkout.address,
        PRICE,
        0,
        intent.deadline,
        digest(intent, domain),
        signature,
    )
    with reverts("CallerMustBePayee"):
        send(call, suite.accounts[7].address)


def permit_and_intent(suite, buyer, intent, token):
    nonce = token.functions.nonces(buyer.address).call()
    permit = Permit(buyer.address, suite.checkout.address, intent.amount, nonce, intent.deadline)
    v, r, s = split_signature(sign(permit, token_domain(suite, token), buyer.key))
    domain = checkout_domain(suite.w3.eth.chain_id, suite.checkout.address)
    return (intent.deadline, v, r, s), sign(intent, domain, buyer.key)


def test_permit_plus_signed_intent_buys_with_no_eth(suite, buyer):
    token = suite.permit_token
    offer = listed(suite, token)
    fund(suite, token, buyer.address)
    intent = intent_for(suite, buyer, offer, token)
    permit, signature = permit_and_intent(suite, buyer, intent, token)
    relay(suite, intent, signature, "buyWithPermit", permit)
    tid = token_id(offer.listing_id, 0)
    assert suite.license.functions.balanceOf(buyer.address, tid).call() == 1
    assert balances(suite, token, buyer.address, suite.checkout.address) == [PRICE * 9, 0]
    with reverts("IntentUsed"):
        relay(suite, intent, signature, "buyWithPermit", permit)


def test_permit_path_refuses_an_intent_the_buyer_did_not_sign(suite, buyer):
    token = suite.permit_token
    tiers = (Tier(price=PRICE, currency=token.address),) * 2
    offer = listed(suite, token, tiers=tiers)
    fund(suite, token, buyer.address)
    intent = intent_for(suite, buyer, offer, token)
    permit, signature = permit_and_intent(suite, buyer, intent, token)
    bent = PurchaseIntent(**{**intent.__dict__, "tier_id": 1})
    with reverts("InvalidSignature"):
        relay(suite, bent, signature, "buyWithPermit", permit)
    assert balances(suite, token, buyer.address) == [PRICE * 10]


def x402_authorization(suite, buyer, intent) -> bytes:
    auth = TransferWithAuthorization(
        sender=buyer.address,
        to=suite.checkout.address,
        value=intent.amount,
        valid_after=0,
        valid_before=intent.deadline,
        nonce=intent.nonce,
    )
    return sign(auth, token_domain(suite, suite.auth_token), buyer.key)


def test_plain_transfer_authorization_buys_and_a_front_run_is_rescued(suite, buyer):
    token = suite.auth_token
    offer = listed(suite, token)
    fund(suite, token, buyer.address)
    intent = intent_for(suite, buyer, offer, token)
    signature = x402_authorization(suite, buyer, intent)
    relay(suite, intent, signature, "buyWithTransferAuthorization", 0)
    assert suite.license.functions.balanceOf(buyer.address, token_id(offer.listing_id, 0)).call()

    # Submitted to the token by someone else first: the purchase reverts, the funds wait in
    # the Checkout, and only its owner can send them back.
    second = intent_for(suite, buyer, offer, token)
    signature = x402_authorization(suite, buyer, second)
    send(
        token.functions.transferWithAuthorization(
            buyer.address,
            suite.checkout.address,
            PRICE,
            0,
            second.deadline,
            second.nonce,
            signature,
        ),
        suite.accounts[8].address,
    )
    with reverts("AuthorizationUsedOrCanceled"):
        relay(suite, second, signature, "buyWithTransferAuthorization", 0)
    with reverts("OwnableUnauthorizedAccount"):
        send(
            suite.checkout.functions.rescue(token.address, suite.accounts[8].address, PRICE),
            suite.accounts[8].address,
        )
    send(suite.checkout.functions.rescue(token.address, buyer.address, PRICE), suite.admin.address)
    assert balances(suite, token, buyer.address) == [PRICE * 9]


def test_nobody_but_a_relayer_can_pick_the_purchase_of_a_plain_transfer_authorization(suite, buyer):
    """x402's authorization names no purchase: whoever submits it chooses what it buys. Seen
    in the mempool, it could buy the attacker's own listing at the same price instead (the
    payer gets a licence it never wanted, the attacker the money). Only the site's relayers,
    which know what the payment was for, may submit it."""
    token = suite.auth_token
    wanted = listed(suite, token)
    fund(suite, token, buyer.address)
    attacker = suite.accounts[8]
    own, sig = make_offer(suite, attacker, tiers=(Tier(price=PRICE, currency=token.address),))
    register(suite, own, sig)
    intent = intent_for(suite, buyer, wanted, token)
    signature = x402_authorization(suite, buyer, intent)
    bent = dataclasses.replace(intent, listing_id=own.listing_id)
    with reverts("NotRelayer"):
        send(
            suite.checkout.functions.buyWithTransferAuthorization(bent.as_struct(), 0, signature),
            attacker.address,
        )
    assert balances(suite, token, buyer.address) == [PRICE * 10]
    with reverts("OwnableUnauthorizedAccount"):
        send(suite.checkout.functions.setRelayer(attacker.address, True), attacker.address)
    relay(suite, intent, signature, "buyWithTransferAuthorization", 0)  # the relayer: fine
    assert suite.license.functions.balanceOf(buyer.address, token_id(wanted.listing_id, 0)).call()


def test_purchase_for_mints_to_the_named_buyer_and_the_caller_pays(suite):
    payer, receiver = suite.accounts[3].address, suite.accounts[4].address
    offer, sig = make_offer(suite, suite.accounts[1], tiers=(Tier(price=10**16),))
    register(suite, offer, sig)
    call = suite.market.functions.purchaseFor(receiver, offer.listing_id, 0, 1, OWNER, 10**16)
    receipt = send(call, payer, 10**16)
    tid = token_id(offer.listing_id, 0)
    assert suite.license.functions.balanceOf(receiver, tid).call() == 1
    assert suite.license.functions.balanceOf(payer, tid).call() == 0
    (bought,) = events(suite.market, receipt, "Purchased")
    assert bought["buyer"] == receiver


def test_marketplace_fits_the_contract_size_limit():
    from chain import client

    code = client.load_artifact("Marketplace")["deployedBytecode"]
    assert (len(code) - 2) // 2 <= 24_576  # EIP-170: a larger contract cannot be deployed
