"""Property (issue 14): whatever sequence of purchases, transfers (single, batch with repeated
ids, zero-value, by an approved operator) and passing time, the licence time in force on a tier
never exceeds the time sold on it, and a transfer never creates time: what the receiver gains
is at most what the sender loses."""

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chain.tests.helpers import DAY, chain_now, make_offer, register, send, warp
from chain.typed_data import Tier, token_id

PRICE = 10**12
DURATIONS = (30 * DAY, DAY)  # two time-limited tiers
EXAMPLES = int(os.environ.get("LICENCE_TIME_EXAMPLES", "200"))

holder = st.integers(0, 3)
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


def in_force(suite, tid: int, holders: list[str]) -> dict[str, int]:
    now = chain_now(suite.w3)
    return {h: max(0, suite.license.functions.expiresAt(tid, h).call() - now) for h in holders}


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=st.lists(action, min_size=1, max_size=6))
def test_licence_time_in_force_never_exceeds_time_sold(suite, actions):
    offer, sig = make_offer(
        suite, suite.accounts[1], tiers=tuple(Tier(PRICE, duration=d) for d in DURATIONS)
    )
    register(suite, offer, sig)
    lid = offer.listing_id
    tids = [token_id(lid, i) for i in range(len(DURATIONS))]
    holders = [a.address for a in suite.accounts[2:6]]
    operator = suite.accounts[7].address
    lic = suite.license.functions
    for h in holders:
        send(lic.setApprovalForAll(operator, True), h)
    sold = [0, 0]

    for act in actions:
        before = {t: in_force(suite, t, holders) for t in tids}
        if act[0] == "buy":
            _, who, tier, qty = act
            call = suite.market.functions.purchase(lid, tier, qty, "0x" + "00" * 20, PRICE * qty)
            send(call, holders[who], PRICE * qty)
            sold[tier] += DURATIONS[tier] * qty
        elif act[0] == "send":
            _, src, dst, tier, value, by_operator = act
            value = min(value, lic.balanceOf(holders[src], tids[tier]).call())
            call = lic.safeTransferFrom(holders[src], holders[dst], tids[tier], value, b"")
            send(call, operator if by_operator else holders[src])
            _check_no_time_created(suite, [tids[tier]], holders, before)
        elif act[0] == "batch":
            _, src, dst, moves = act
            left = {t: lic.balanceOf(holders[src], t).call() for t in tids}
            ids, values = [], []
            for tier, value in moves:  # the same id may come more than once
                value = min(value, left[tids[tier]])
                left[tids[tier]] -= value
                ids.append(tids[tier])
                values.append(value)
            send(
                lic.safeBatchTransferFrom(holders[src], holders[dst], ids, values, b""),
                holders[src],
            )
            _check_no_time_created(suite, tids, holders, before)
        else:
            warp(suite.w3, act[1])
        for tier, tid in enumerate(tids):
            assert sum(in_force(suite, tid, holders).values()) <= sold[tier]


def _check_no_time_created(suite, tids, holders, before) -> None:
    # A transfer is mined one block (about a second) after `before` was read: allow that much
    # passing time per holder, never more.
    for tid in tids:
        after = in_force(suite, tid, holders)
        assert sum(after.values()) <= sum(before[tid].values())
