"""The ERC-1155 licence token: expiry and renewal, soulbound tiers, royalties, metadata."""

from chain.tests.helpers import DAY, buy, events, make_offer, register, reverts, send, warp
from chain.typed_data import Kind, Tier, token_id

PRICE = 10**16
ERC1155, ERC2981, ERC165 = "0xd9b67a26", "0x2a55205a", "0x01ffc9a7"


def listing(suite, *tiers: Tier, royalty_bps: int = 0) -> int:
    offer, sig = make_offer(suite, suite.accounts[1], tiers=tiers, royalty_bps=royalty_bps)
    register(suite, offer, sig)
    return offer.listing_id


def test_time_limited_licence_expires_and_renews_on_repurchase(suite):
    lid = listing(suite, Tier(PRICE, duration=30 * DAY, kind=Kind.COMPUTE))
    tid, buyer = token_id(lid, 0), suite.accounts[3].address
    receipt = buy(suite, buyer, lid)
    start = suite.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    (bought,) = events(suite.market, receipt, "Purchased")
    assert bought["expiresAt"] == start + 30 * DAY
    assert suite.license.functions.expiresAt(tid, buyer).call() == start + 30 * DAY

    # Renewing before expiry extends from the current expiry, by one period per token bought.
    warp(suite.w3, 10 * DAY)
    receipt = buy(suite, buyer, lid, quantity=2)
    assert events(suite.market, receipt, "Purchased")[0]["expiresAt"] == start + 90 * DAY

    # After expiry a purchase starts from now.
    warp(suite.w3, 100 * DAY)
    receipt = buy(suite, buyer, lid)
    now = suite.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    assert events(suite.market, receipt, "Purchased")[0]["expiresAt"] == now + 30 * DAY
    assert suite.license.functions.balanceOf(buyer, tid).call() == 4


def test_perpetual_licence_has_no_expiry(suite):
    lid = listing(suite, Tier(PRICE))
    buy(suite, suite.accounts[3].address, lid)
    assert (
        suite.license.functions.expiresAt(token_id(lid, 0), suite.accounts[3].address).call() == 0
    )


def test_transferable_licence_moves_with_its_time(suite):
    # The holder's only token carries all of their remaining time to the receiver.
    lid = listing(suite, Tier(PRICE, duration=DAY))
    tid, holder, friend = token_id(lid, 0), suite.accounts[3].address, suite.accounts[4].address
    buy(suite, holder, lid)
    expiry = suite.license.functions.expiresAt(tid, holder).call()
    call = suite.license.functions.safeTransferFrom(holder, friend, tid, 1, b"")
    receipt = send(call, holder)
    now = suite.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    assert suite.license.functions.balanceOf(friend, tid).call() == 1
    assert events(suite.license, receipt, "ExpiryUpdated") == [
        {"holder": holder, "tokenId": tid, "expiresAt": now},
        {"holder": friend, "tokenId": tid, "expiresAt": expiry},
    ]
    assert suite.license.functions.expiresAt(tid, friend).call() == expiry


def test_receiver_adds_the_time_received_to_their_own(suite):
    lid = listing(suite, Tier(PRICE, duration=DAY))
    tid, holder, friend = token_id(lid, 0), suite.accounts[3].address, suite.accounts[4].address
    buy(suite, holder, lid, quantity=2)
    buy(suite, friend, lid, quantity=5)
    theirs = suite.license.functions.expiresAt(tid, friend).call()
    mine = suite.license.functions.expiresAt(tid, holder).call()
    receipt = send(suite.license.functions.safeTransferFrom(holder, friend, tid, 1, b""), holder)
    now = suite.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    moved = (mine - now) // 2  # one token of two: half the remaining time
    assert suite.license.functions.expiresAt(tid, holder).call() == mine - moved
    assert suite.license.functions.expiresAt(tid, friend).call() == theirs + moved


def test_soulbound_licence_cannot_be_transferred(suite):
    lid = listing(suite, Tier(PRICE, transferable=False), Tier(PRICE))
    holder, friend = suite.accounts[3].address, suite.accounts[4].address
    buy(suite, holder, lid, tier_id=0)
    buy(suite, holder, lid, tier_id=1)
    bound, free = token_id(lid, 0), token_id(lid, 1)
    with reverts("Soulbound"):
        send(suite.license.functions.safeTransferFrom(holder, friend, bound, 1, b""), holder)
    batch = suite.license.functions.safeBatchTransferFrom(
        holder, friend, [free, bound], [1, 1], b""
    )
    with reverts("Soulbound"):
        send(batch, holder)
    send(suite.license.functions.safeBatchTransferFrom(holder, friend, [free], [1], b""), holder)
    assert suite.license.functions.balanceOf(friend, free).call() == 1


def test_only_the_marketplace_mints(suite):
    call = suite.license.functions.issue(suite.accounts[3].address, 1, 1, 0, 0)
    with reverts("NotMarketplace"):
        send(call, suite.admin.address)


def test_royalty_goes_to_the_listing_owner(suite):
    lid = listing(suite, Tier(PRICE), royalty_bps=500)
    tid = token_id(lid, 0)
    receiver, amount = suite.license.functions.royaltyInfo(tid, 10**18).call()
    assert (receiver, amount) == (suite.accounts[1].address, 5 * 10**16)
    new_owner = suite.accounts[5].address
    send(
        suite.ownership.functions.transferFrom(suite.accounts[1].address, new_owner, lid),
        suite.accounts[1].address,
    )
    assert suite.license.functions.royaltyInfo(tid, 10**18).call()[0] == new_owner


def test_metadata_uri_points_at_the_site_and_admin_can_move_it(suite):
    assert suite.license.functions.uri(123).call() == "http://testserver/api/licenses/{id}.json"
    new = "https://market.example/api/licenses/{id}.json"
    with reverts("NotAdmin"):
        send(suite.license.functions.setURI(new), suite.accounts[1].address)
    send(suite.license.functions.setURI(new), suite.admin.address)
    assert suite.license.functions.uri(1).call() == new


def test_supports_erc1155_and_erc2981(suite):
    for interface in (ERC1155, ERC2981, ERC165):
        assert suite.license.functions.supportsInterface(interface).call() is True
    assert suite.license.functions.supportsInterface("0xffffffff").call() is False
    assert suite.license.functions.marketplace().call() == suite.market.address
