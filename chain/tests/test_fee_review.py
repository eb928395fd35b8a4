"""What a review of the gas work found in the contracts (issue 14): the ownership token could be
sent to our own contracts, stranding the owner's share, and `credits` read during a sale took
shares not yet paid for fee (a contract using it as an oracle would be misled)."""

from chain.tests.helpers import buy, events, make_offer, register, reverts, send
from chain.typed_data import ETH, OWNER, Split


def test_the_ownership_token_cannot_be_sent_to_our_own_contracts(suite):
    creator = suite.accounts[1]
    offer, sig = make_offer(suite, creator)
    register(suite, offer, sig)
    for ours in (suite.market.address, suite.license.address, suite.ownership.address):
        with reverts("InvalidRecipient"):
            send(suite.ownership.functions.transferFrom(creator.address, ours, offer.listing_id),
                 creator.address)  # fmt: skip
    assert suite.market.functions.listingOwner(offer.listing_id).call() == creator.address


def _calls_to(frame, selector, found):
    if frame.get("input", "").startswith(selector):
        found.append(frame)
    for sub in frame.get("calls", []) or []:
        _calls_to(sub, selector, found)
    return found


def test_credits_cannot_be_read_in_the_middle_of_a_sale(suite):
    """A payee reads `credits(feeRecipient)` while the sale pays out: the read reverts (what
    it would say is wrong then), and the sale goes on (the reader, whose receive then fails,
    is credited its share)."""
    fee_to = suite.fee_recipient.address
    spy = suite.deploy("ReentrantRecipient")
    data = suite.market.encode_abi("credits", args=[fee_to, ETH])
    send(spy.functions.arm(suite.market.address, data, 0), suite.admin.address)
    splits = (Split(spy.address, 2_000), Split(OWNER, 8_000))
    offer, sig = make_offer(suite, suite.accounts[1], splits=splits)
    register(suite, offer, sig)
    receipt = buy(suite, suite.accounts[3].address, offer.listing_id)
    assert receipt["status"] == 1
    assert [c["recipient"] for c in events(suite.market, receipt, "Credited")] == [spy.address]
    trace = suite.w3.provider.make_request(
        "debug_traceTransaction", [receipt["transactionHash"].to_0x_hex(), {"tracer": "callTracer"}]
    )["result"]
    (inner,) = _calls_to(trace, data[:10], [])
    assert inner.get("error")  # ReentrancyGuardReentrantCall
