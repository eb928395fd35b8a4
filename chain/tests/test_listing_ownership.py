"""The ERC-721 ownership token: its holder owns the listing, and transferring it hands the
listing over (future revenue and control) while licences already sold stay valid."""

from chain.tests.helpers import DAY, buy, chain_now, make_offer, register, reverts, send
from chain.typed_data import OWNER, Domain, Split, SplitUpdate, sign, token_id

PRICE = 10**16


def test_transfer_hands_over_revenue_and_control(suite):
    creator, heir, buyer = suite.accounts[1], suite.accounts[2], suite.accounts[3].address
    offer, sig = make_offer(suite, creator, splits=(Split(OWNER, 10_000),))
    register(suite, offer, sig)
    lid = offer.listing_id
    buy(suite, buyer, lid)
    domain = Domain(suite.w3.eth.chain_id, suite.market.address)
    stale = SplitUpdate(lid, (Split(creator.address, 10_000),), 0, chain_now(suite.w3) + DAY)
    stale_sig = sign(stale, domain, creator.key)

    send(
        suite.ownership.functions.transferFrom(creator.address, heir.address, lid), creator.address
    )

    assert suite.market.functions.listing(lid).call()[0] == heir.address
    heir_before = suite.w3.eth.get_balance(heir.address)
    creator_before = suite.w3.eth.get_balance(creator.address)
    buy(suite, suite.accounts[4].address, lid)
    net = PRICE - PRICE * 250 // 10_000
    assert suite.w3.eth.get_balance(heir.address) - heir_before == net  # the owner's share
    assert suite.w3.eth.get_balance(creator.address) == creator_before
    assert suite.license.functions.balanceOf(buyer, token_id(lid, 0)).call() == 1
    with reverts("NotListingOwner"):
        send(suite.market.functions.setTierPrice(lid, 0, 1, OWNER), creator.address)
    send(suite.market.functions.setTierPrice(lid, 0, 1, OWNER), heir.address)
    # An update the previous owner signed before the transfer no longer applies.
    with reverts("BadNonce"):
        send(suite.market.functions.setSplitsBySig(stale.as_struct(), stale_sig), creator.address)


def test_only_the_marketplace_mints_and_is_told_of_transfers(suite):
    with reverts("NotMarketplace"):
        send(suite.ownership.functions.mint(suite.accounts[1].address, 1), suite.admin.address)
    with reverts("NotOwnershipToken"):
        send(
            suite.market.functions.onOwnershipTransferred(1, suite.accounts[1].address),
            suite.admin.address,
        )


def test_token_uri_and_base_uri(suite):
    offer, sig = make_offer(suite, suite.accounts[1])
    register(suite, offer, sig)
    lid = offer.listing_id
    assert (
        suite.ownership.functions.tokenURI(lid).call()
        == f"http://testserver/api/listings/ownership/{lid}"
    )
    with reverts("NotAdmin"):
        send(suite.ownership.functions.setBaseURI("https://x/"), suite.accounts[1].address)
    send(suite.ownership.functions.setBaseURI("https://x/"), suite.admin.address)
    assert suite.ownership.functions.tokenURI(lid).call() == f"https://x/{lid}"
    assert suite.ownership.functions.marketplace().call() == suite.market.address


def test_the_owner_is_kept_once_by_the_marketplace_and_the_token_follows_it(suite):
    """ListingOwnership stores no owner (the Marketplace's listing slot is the one copy):
    ownerOf, balances, approvals and refusals behave as ERC-721 says."""
    creator, heir, spender = suite.accounts[1], suite.accounts[2], suite.accounts[5]
    ownership = suite.ownership.functions
    offer, sig = make_offer(suite, creator)
    with reverts("ERC721NonexistentToken"):
        ownership.ownerOf(offer.listing_id).call()
    register(suite, offer, sig)
    lid = offer.listing_id
    assert ownership.ownerOf(lid).call() == creator.address
    assert suite.market.functions.listingOwner(lid).call() == creator.address
    before = (ownership.balanceOf(creator.address).call(), ownership.balanceOf(heir.address).call())

    send(ownership.approve(spender.address, lid), creator.address)
    with reverts("ERC721IncorrectOwner"):  # a wrong `from` is refused
        send(ownership.transferFrom(heir.address, spender.address, lid), spender.address)
    with reverts("ERC721InvalidReceiver"):
        send(ownership.transferFrom(creator.address, OWNER, lid), spender.address)
    send(ownership.transferFrom(creator.address, heir.address, lid), spender.address)
    assert ownership.ownerOf(lid).call() == heir.address
    assert suite.market.functions.listingOwner(lid).call() == heir.address
    assert ownership.getApproved(lid).call() == OWNER  # the approval went with the old owner
    after = (ownership.balanceOf(creator.address).call(), ownership.balanceOf(heir.address).call())
    assert after == (before[0] - 1, before[1] + 1)
    with reverts("ERC721InsufficientApproval"):
        send(ownership.transferFrom(heir.address, creator.address, lid), spender.address)
    with reverts("ERC721NonexistentToken"):
        send(ownership.transferFrom(heir.address, creator.address, lid + 1), heir.address)
