"""Buying licences priced in an ERC-20: with an approval, with an ERC-2612 permit, and with a
recipient the token refuses."""

from chain.tests.helpers import DAY, buy, chain_now, events, make_offer, register, reverts, send
from chain.typed_data import OWNER, Domain, Permit, Split, Tier, sign, split_signature, token_id

PRICE = 25 * 10**18


OWNER_ONLY = (Split(OWNER, 10_000),)


def listed(suite, token, splits=OWNER_ONLY):
    offer, sig = make_offer(
        suite, suite.accounts[1], tiers=(Tier(price=PRICE, currency=token.address),), splits=splits
    )
    register(suite, offer, sig)
    return offer


def fund(suite, token, buyer: str, amount: int = PRICE * 10):
    send(token.functions.mint(buyer, amount), suite.admin.address)


def permit_args(suite, token, buyer, value: int, deadline: int | None = None):
    """(deadline, v, r, s) of a permit for the Marketplace signed by dev account `buyer`."""
    owner = next(a for a in suite.accounts if a.address == buyer)
    deadline = deadline or chain_now(suite.w3) + DAY
    nonce = token.functions.nonces(buyer).call()
    permit = Permit(buyer, suite.market.address, value, nonce, deadline)
    name = token.functions.name().call()
    domain = Domain(suite.w3.eth.chain_id, token.address, name=name, version="1")
    return (deadline, *split_signature(sign(permit, domain, owner.key)))


def test_erc20_purchase_with_approval_pays_the_split_in_tokens(suite):
    token, buyer, contributor = suite.token, suite.accounts[3].address, suite.accounts[6].address
    offer = listed(suite, token, splits=(Split(OWNER, 8_000), Split(contributor, 2_000)))
    fund(suite, token, buyer)
    send(token.functions.approve(suite.market.address, PRICE), buyer)
    receipt = buy(suite, buyer, offer.listing_id)

    fee = PRICE * 250 // 10_000
    net = PRICE - fee
    assert token.functions.balanceOf(contributor).call() == net * 2_000 // 10_000
    assert (
        token.functions.balanceOf(suite.accounts[1].address).call() == net - net * 2_000 // 10_000
    )
    assert token.functions.balanceOf(suite.market.address).call() == fee  # the credited fee
    assert suite.market.functions.credits(suite.fee_recipient.address, token.address).call() == fee
    (bought,) = events(suite.market, receipt, "Purchased")
    assert bought["currency"] == token.address and bought["amount"] == PRICE


def test_erc20_purchase_refuses_eth_and_missing_allowance(suite):
    token, buyer = suite.token, suite.accounts[3].address
    offer = listed(suite, token)
    fund(suite, token, buyer)
    with reverts("UnexpectedValue"):
        buy(suite, buyer, offer.listing_id, value=1)
    with reverts("ERC20InsufficientAllowance"):
        buy(suite, buyer, offer.listing_id)


def test_erc20_purchase_with_permit_needs_no_prior_approval(suite):
    token, buyer = suite.permit_token, suite.accounts[3].address
    offer = listed(suite, token)
    fund(suite, token, buyer)
    args = permit_args(suite, token, buyer, PRICE)
    call = suite.market.functions.purchaseWithPermit(
        offer.listing_id, 0, 1, token.address, PRICE, *args
    )
    send(call, buyer)
    assert suite.license.functions.balanceOf(buyer, token_id(offer.listing_id, 0)).call() == 1
    assert token.functions.allowance(buyer, suite.market.address).call() == 0
    assert token.functions.nonces(buyer).call() == 1


def test_permit_already_used_still_buys_when_the_allowance_is_there(suite):
    # Someone may submit the buyer's permit first (front-running it); the sale must not fail.
    token, buyer = suite.permit_token, suite.accounts[3].address
    offer = listed(suite, token)
    fund(suite, token, buyer)
    deadline, v, r, s = permit_args(suite, token, buyer, PRICE)
    permit = token.functions.permit(buyer, suite.market.address, PRICE, deadline, v, r, s)
    send(permit, suite.accounts[7].address)
    call = suite.market.functions.purchaseWithPermit(
        offer.listing_id, 0, 1, token.address, PRICE, deadline, v, r, s
    )
    send(call, buyer)
    assert suite.license.functions.balanceOf(buyer, token_id(offer.listing_id, 0)).call() == 1


def test_permit_path_fails_without_permit_support_or_for_eth(suite):
    token, buyer = suite.token, suite.accounts[3].address  # no permit()
    offer = listed(suite, token)
    fund(suite, token, buyer)
    deadline = chain_now(suite.w3) + DAY
    call = suite.market.functions.purchaseWithPermit(
        offer.listing_id, 0, 1, token.address, PRICE, deadline, 27, b"\x01" * 32, b"\x02" * 32
    )
    with reverts("ERC20InsufficientAllowance"):
        send(call, buyer)
    eth_call = suite.market.functions.purchaseWithPermit(
        offer.listing_id, 0, 1, OWNER, PRICE, deadline, 27, b"\x01" * 32, b"\x02" * 32
    )
    with reverts("PermitNeedsToken"):
        send(eth_call, buyer)


def test_recipient_the_token_refuses_is_credited_and_withdraws_later(suite):
    token, buyer, blocked = suite.token, suite.accounts[3].address, suite.accounts[6].address
    offer = listed(suite, token, splits=(Split(OWNER, 5_000), Split(blocked, 5_000)))
    fund(suite, token, buyer)
    send(token.functions.setBlocked(blocked, True), suite.admin.address)
    send(token.functions.approve(suite.market.address, PRICE), buyer)
    receipt = buy(suite, buyer, offer.listing_id)

    share = (PRICE - PRICE * 250 // 10_000) // 2
    credited = {e["recipient"]: e["amount"] for e in events(suite.market, receipt, "Credited")}
    assert credited[blocked] == share
    assert suite.market.functions.credits(blocked, token.address).call() == share

    send(token.functions.setBlocked(blocked, False), suite.admin.address)
    send(suite.market.functions.withdraw(token.address, blocked), blocked)
    assert token.functions.balanceOf(blocked).call() == share
    assert suite.market.functions.credits(blocked, token.address).call() == 0
