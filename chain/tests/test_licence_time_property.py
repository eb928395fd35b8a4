"""Property (issue 14): whatever sequence of purchases, transfers (single, batch with repeated
ids, zero-value, by an approved operator) and passing time, the licence time in force on a tier
never exceeds the time sold on it, and a transfer never creates time: what the receiver gains
is at most what the sender loses."""

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chain.tests.helpers import DAY, make_offer, register, send, warp
from chain.typed_data import ETH, Tier, token_id

PRICE = 10**12
DURATIONS = (30 * DAY, DAY)  # two time-limited tiers
# The suite runs 50; `make property` runs hundreds (PROPERTY_EXAMPLES, default 300).
EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES", "50"))

HOLDERS = 3
holder = st.integers(0, HOLDERS - 1)
action = st.one_of(
    st.tuples(st.just("buy"), holder, st.integers(0, 1), st.integers(1, 12)),
    st.tuples(st.just("send"), holder, holder, st.integers(0, 1), st.integers(0, 4), st.booleans()),
    st.tuples(
        st.just("batch"),
        holder,
        holder,
        st.lists(st.tuples(st.integers(0, 1), st.integers(0, 3)), min_size=1, max_size=4),
    ),
    st.tuples(st.just("wait"), st.integers(0, 40 * DAY)),
)


def read_state(suite, tids: list[int], holders: list[str]) -> tuple[dict, dict]:
    """(seconds in force, balance) per (token, holder), in one JSON-RPC batch: reads are most
    of this test's time."""
    lic = suite.license.functions
    keys = [(t, h) for t in tids for h in holders]
    with suite.w3.batch_requests() as batch:
        for t, h in keys:
            batch.add(lic.expiresAt(t, h))
        for t, h in keys:
            batch.add(lic.balanceOf(h, t))
        batch.add(suite.w3.eth.get_block("latest"))
        replies = batch.execute()
    now = replies[-1]["timestamp"]
    force = {k: max(0, e - now) for k, e in zip(keys, replies[: len(keys)], strict=True)}
    balances = dict(zip(keys, replies[len(keys) : 2 * len(keys)], strict=True))
    return force, balances


def total(force: dict, tid: int) -> int:
    return sum(v for (t, _), v in force.items() if t == tid)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=st.lists(action, min_size=1, max_size=5))
def test_licence_time_in_force_never_exceeds_time_sold(suite, actions):
    tiers = tuple(Tier(PRICE, duration=d) for d in DURATIONS)
    offer, sig = make_offer(suite, suite.accounts[1], tiers=tiers)
    register(suite, offer, sig)
    lid = offer.listing_id
    tids = [token_id(lid, i) for i in range(len(DURATIONS))]
    holders = [a.address for a in suite.accounts[2 : 2 + HOLDERS]]
    operator = suite.accounts[7].address
    lic = suite.license.functions
    if not lic.isApprovedForAll(holders[0], operator).call():  # once per test run
        for h in holders:
            send(lic.setApprovalForAll(operator, True), h)
    sold = [0, 0]
    force, balances = read_state(suite, tids, holders)

    for act in actions:
        before = force
        if act[0] == "buy":
            _, who, tier, qty = act
            call = suite.market.functions.purchase(lid, tier, qty, ETH, PRICE * qty)
            send(call, holders[who], PRICE * qty)
            sold[tier] += DURATIONS[tier] * qty
        elif act[0] == "send":
            _, src, dst, tier, value, by_operator = act
            value = min(value, balances[(tids[tier], holders[src])])
            call = lic.safeTransferFrom(holders[src], holders[dst], tids[tier], value, b"")
            send(call, operator if by_operator else holders[src])
        elif act[0] == "batch":
            _, src, dst, moves = act
            left = {t: balances[(t, holders[src])] for t in tids}
            ids, values = [], []
            for tier, value in moves:  # the same id may come more than once
                value = min(value, left[tids[tier]])
                left[tids[tier]] -= value
                ids.append(tids[tier])
                values.append(value)
            call = lic.safeBatchTransferFrom(holders[src], holders[dst], ids, values, b"")
            send(call, holders[src])
        else:
            warp(suite.w3, act[1])
        force, balances = read_state(suite, tids, holders)
        for tier, tid in enumerate(tids):
            assert total(force, tid) <= sold[tier]
            if act[0] in ("send", "batch"):  # a transfer creates no time
                assert total(force, tid) <= total(before, tid)
