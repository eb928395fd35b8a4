"""Property: for every purchase, whatever the splits, price, quantity, fee and currency, the
wei paid out plus the wei credited equals the wei paid in, to the wei, and each party gets
exactly its share (the owner also the rounding dust)."""

import os
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web3 import Web3

from chain.tests.helpers import buy, buy_with_offer, events, make_offer, send, set_fee
from chain.typed_data import ETH, OWNER, Split, Tier

POOL = [Web3.to_checksum_address(Web3.keccak(text=f"recipient {i}")[:20]) for i in range(4)]
BLOCKED = POOL[3]  # the ERC-20 refuses transfers to it, so ERC-20 shares to it are credited


@st.composite
def splits(draw) -> list[tuple[str, int]]:
    """1-10 recipients (the owner, plain addresses, or contracts that reject ETH) whose basis
    points sum to 10000, zeros and repeats included."""
    count = draw(st.integers(1, 10))
    cuts = sorted(draw(st.lists(st.integers(0, 10_000), min_size=count - 1, max_size=count - 1)))
    bps = [b - a for a, b in zip([0, *cuts], [*cuts, 10_000], strict=True)]
    kinds = st.sampled_from(["owner", "pool0", "pool1", "pool2", "pool3", "rejecting"])
    return [(draw(kinds), b) for b in bps]


def expected(total: int, fee_bps: int, shares: list[tuple[str, int]], owner: str) -> Counter:
    fee = total * fee_bps // 10_000
    net = total - fee
    out = Counter()
    for recipient, bps in shares:
        if recipient != OWNER:
            out[recipient] += net * bps // 10_000
    out[owner] += net - sum(out.values())
    return out


@pytest.fixture
def rejecting(suite) -> str:
    """A recipient that rejects ETH; also blocks POOL[3] on the ERC-20 and funds the buyer."""
    contract = suite.deploy("RejectingRecipient")
    send(suite.token.functions.setBlocked(BLOCKED, True), suite.admin.address)
    suite.w3.provider.make_request("anvil_setBalance", [suite.accounts[3].address, hex(10**30)])
    return contract.address


class Ledger:
    """Balances of every party and credits of those that can be credited, in one currency."""

    def __init__(self, suite, currency: str, parties: list[str], creditable: list[str]):
        self.suite, self.currency = suite, currency
        self.parties, self.creditable = parties, creditable

    def snapshot(self) -> tuple[dict, dict]:
        # One batched round trip: web3's per-call overhead would dominate this test otherwise.
        suite, w3 = self.suite, self.suite.w3
        with w3.batch_requests() as batch:
            for who in self.parties:
                if self.currency == ETH:
                    batch.add(w3.eth.get_balance(who))
                else:
                    batch.add(suite.token.functions.balanceOf(who))
            for who in self.creditable:
                batch.add(suite.market.functions.credits(who, self.currency))
            replies = batch.execute()
        n = len(self.parties)
        return (
            dict(zip(self.parties, replies[:n], strict=True)),
            dict(zip(self.creditable, replies[n:], strict=True)),
        )


def check_purchase(suite, receipt, ledger: Ledger, before, fee_bps: int, shares, owner):
    """Measured on chain (balance and credit deltas), not read from events: a payment that goes
    through has no event (contracts v2); only a refused one is announced, by `Credited`."""
    market, fee_to = suite.market, suite.fee_recipient.address
    (bought,) = events(market, receipt, "Purchased")
    total = bought["amount"]
    (balances, credits), (old_balances, old_credits) = ledger.snapshot(), before
    paid = Counter(
        {who: balances[who] - old_balances[who] for who in ledger.parties if who != market.address}
    )
    credited = Counter({who: credits[who] - old_credits[who] for who in ledger.creditable})
    assert sum(paid.values()) + sum(credited.values()) == total  # wei out == wei in
    # Only credits stay in the contract.
    assert balances[market.address] - old_balances[market.address] == sum(credited.values())
    fee = total * fee_bps // 10_000
    refused = Counter()
    for e in events(market, receipt, "Credited"):
        refused[e["recipient"]] += e["amount"]
    refused[fee_to] += fee  # the fee is credited without an event
    assert +credited == +refused
    got = paid + credited
    got[fee_to] -= fee
    assert +got == +expected(total, fee_bps, shares, owner)


@settings(
    max_examples=int(os.environ.get("PROPERTY_EXAMPLES", "30")),  # `make property`: more
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    shares=splits(),
    price=st.integers(1, 10**21),
    quantities=st.tuples(st.integers(1, 20), st.integers(1, 20)),
    fee_bps=st.integers(0, 1_000),
    in_eth=st.booleans(),
)
def test_wei_out_equals_wei_in(suite, rejecting, shares, price, quantities, fee_bps, in_eth):
    creator, buyer = suite.accounts[1], suite.accounts[3].address
    currency = ETH if in_eth else suite.token.address
    names = {"owner": OWNER, "rejecting": rejecting, **{f"pool{i}": a for i, a in enumerate(POOL)}}
    resolved = [(names[kind], bps) for kind, bps in shares]
    set_fee(suite, suite.fee_recipient.address, fee_bps)
    offer, sig = make_offer(
        suite,
        creator,
        tiers=(Tier(price=price, currency=currency),),
        splits=tuple(Split(r, b) for r, b in resolved),
    )
    parties = [creator.address, rejecting, suite.fee_recipient.address, suite.market.address, *POOL]
    ledger = Ledger(suite, currency, parties, [suite.fee_recipient.address, rejecting, BLOCKED])
    if not in_eth:
        send(suite.token.functions.mint(buyer, price * sum(quantities)), suite.admin.address)
        send(suite.token.functions.approve(suite.market.address, price * sum(quantities)), buyer)

    first, later = quantities
    before = ledger.snapshot()
    receipt = buy_with_offer(suite, buyer, offer, sig, quantity=first)
    check_purchase(suite, receipt, ledger, before, fee_bps, resolved, creator.address)
    before = ledger.snapshot()
    receipt = buy(suite, buyer, offer.listing_id, quantity=later)
    check_purchase(suite, receipt, ledger, before, fee_bps, resolved, creator.address)


def test_expected_shares_model():
    # The model the property compares against: fee first, shares of the net, dust to the owner.
    got = expected(10_001, 250, [(OWNER, 3_334), ("a", 3_333), ("b", 3_333)], "owner")
    assert got == Counter({"a": 3_250, "b": 3_250, "owner": 3_251})
    assert sum(got.values()) == 10_001 - 250
