"""The split preview's arithmetic (the contract comparison is in test_purchase.py): shares are
rounded down, the owner gets the dust, and nothing is lost or made up."""

from hypothesis import given
from hypothesis import strategies as st

from payments.purchase import split_preview

FEE = "0x" + "f0" * 20
OWNER = "0x" + "0a" * 20


@st.composite
def splits(draw):
    count = draw(st.integers(min_value=0, max_value=9))
    bps = draw(st.lists(st.integers(1, 1000), min_size=count, max_size=count))
    return [(f"0x{i + 1:040x}", b) for i, b in enumerate(bps)]


@given(
    total=st.integers(min_value=0, max_value=2**128 * 2**32),
    fee_bps=st.integers(min_value=0, max_value=1000),
    recipients=splits(),
)
def test_shares_add_up_to_the_total_and_the_owner_keeps_the_dust(total, fee_bps, recipients):
    rows = split_preview(
        total=total, fee_bps=fee_bps, fee_recipient=FEE, owner=OWNER, recipients=recipients
    )
    assert sum(row["amount"] for row in rows) == total
    net = total - total * fee_bps // 10_000
    shares = [r for r in rows if r["role"] == "recipient"]
    for row, (address, bps) in zip(shares, recipients, strict=True):
        assert row["address"] == address and row["amount"] == net * bps // 10_000
    owner = rows[-1]
    assert (
        owner["role"] == "owner"
        and owner["amount"] >= net * (10_000 - sum(b for _, b in recipients)) // 10_000
    )


def test_no_platform_row_without_a_fee():
    rows = split_preview(total=100, fee_bps=0, fee_recipient=FEE, owner=OWNER, recipients=[])
    assert rows == [{"role": "owner", "address": OWNER, "bps": None, "amount": 100}]
