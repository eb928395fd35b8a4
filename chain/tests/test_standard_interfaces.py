"""The inherited standard surface (ERC-1155, ERC-721, AccessControl, ERC-165) behaves as the
standards say on our deployment, plus the published limits; and a guard that every external
function of the product contracts is exercised somewhere in these tests."""

import re
from pathlib import Path

import pytest

from chain.client import load_artifact
from chain.tests.helpers import buy, make_offer, register, reverts, send
from chain.typed_data import Tier, token_id

PRICE = 10**16


def test_limits(suite):
    market = suite.market.functions
    assert (market.MAX_FEE_BPS().call(), market.MAX_ROYALTY_BPS().call()) == (1_000, 2_500)
    assert (market.MAX_TIERS().call(), market.MAX_SPLITS().call()) == (16, 10)
    assert market.PAYOUT_GAS().call() == 30_000


def test_licence_operator_approval_and_batch_balances(suite):
    offer, sig = make_offer(suite, suite.accounts[1], tiers=(Tier(PRICE), Tier(PRICE)))
    register(suite, offer, sig)
    holder, operator, friend = (a.address for a in suite.accounts[3:6])
    buy(suite, holder, offer.listing_id, 0)
    buy(suite, holder, offer.listing_id, 1, quantity=2)
    ids = [token_id(offer.listing_id, 0), token_id(offer.listing_id, 1)]
    license = suite.license.functions
    assert license.balanceOfBatch([holder, holder], ids).call() == [1, 2]
    with reverts("ERC1155MissingApprovalForAll"):
        send(license.safeTransferFrom(holder, friend, ids[0], 1, b""), operator)
    send(license.setApprovalForAll(operator, True), holder)
    assert license.isApprovedForAll(holder, operator).call() is True
    send(license.safeTransferFrom(holder, friend, ids[0], 1, b""), operator)
    assert license.balanceOf(friend, ids[0]).call() == 1


def test_ownership_token_standard_transfers(suite):
    creator, buyer = suite.accounts[1].address, suite.accounts[2].address
    offer, sig = make_offer(suite, suite.accounts[1])
    register(suite, offer, sig)
    ownership, lid = suite.ownership.functions, offer.listing_id
    assert (ownership.name().call(), ownership.symbol().call()) == (
        "Marketplace Listing Ownership",
        "LISTING",
    )
    assert ownership.balanceOf(creator).call() == 1
    send(ownership.approve(buyer, lid), creator)
    assert ownership.getApproved(lid).call() == buyer
    send(ownership.setApprovalForAll(suite.accounts[7].address, True), creator)
    assert ownership.isApprovedForAll(creator, suite.accounts[7].address).call() is True
    send(ownership.safeTransferFrom(creator, buyer, lid), buyer)
    assert suite.market.functions.listing(lid).call()[0] == buyer
    assert ownership.supportsInterface("0x80ac58cd").call() is True  # ERC-721


def test_roles(suite):
    market, admin = suite.market.functions, suite.admin.address
    admin_role, moderator = market.DEFAULT_ADMIN_ROLE().call(), market.MODERATOR_ROLE().call()
    assert market.getRoleAdmin(moderator).call() == admin_role
    assert market.hasRole(moderator, admin).call() is True
    send(market.renounceRole(moderator, admin), admin)
    assert market.hasRole(moderator, admin).call() is False
    assert market.supportsInterface("0x7965db0b").call() is True  # IAccessControl


PRODUCT_CONTRACTS = ["Marketplace", "LicenseToken", "ListingOwnership"]


@pytest.mark.parametrize("name", PRODUCT_CONTRACTS)
def test_every_external_function_is_exercised(name):
    tests = "\n".join(p.read_text() for p in Path(__file__).parent.glob("*.py"))
    called = set(re.findall(r"\.(\w+)\(", tests))
    functions = {f["name"] for f in load_artifact(name)["abi"] if f["type"] == "function"}
    assert functions - called == set(), f"{name}: functions no test calls"
