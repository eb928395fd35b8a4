"""Control of a listing follows its ownership token, on a real chain: the handover waits for
confirmations as purchases do, a reorg undoes it, sales after it pay and show on the new
owner's side while the former owner keeps their past revenue, a contract wallet (ERC-1271)
owns and signs, and a deny-listed holder manages nothing while moderators still act."""

import csv
import io

import pytest
from django.test import Client
from eth_account import Account
from eth_account.messages import encode_typed_data
from hexbytes import HexBytes

from accounts import denylist
from accounts import services as account_services
from accounts.tests.factories import HOST, SCHEME, erc1271_wallet_deploy, sign_text, user_create
from chain import client, provenance
from chain.indexer.store import dispatch
from chain.models import ChainLog
from core.errors import ApiError
from listings import selectors as listing_selectors
from listings import services as listing_services
from listings.models import Listing, OwnershipTransfer
from listings.moderation import services as moderation_services
from listings.tests import factories
from payments.dashboard import exports, figures
from payments.models import SplitChange
from payments.tests.access_helpers import uploaded_scanned_file
from payments.tests.buying import payouts
from payments.tests.indexing import buy, index, mine, revert, snapshot, tokenized_listing
from payments.tests.ownership_helpers import (
    PRICE,
    TIERS,
    handed_over,
    send_token,
    sold_listing,
)

pytestmark = [pytest.mark.django_db, pytest.mark.chain]


@pytest.fixture
def chain(contracts, w3):
    return w3


def owner_of(listing) -> str:
    return Listing.objects.get(pk=listing.pk).owner_address


def can_edit(user, listing) -> int:
    client = Client()
    client.force_login(user)
    reply = client.patch(
        f"/api/v1/listings/{listing.slug}",
        {"summary": f"edited by {user.address}"},
        content_type="application/json",
    )
    return reply.status_code


def test_control_moves_once_the_transfer_has_its_confirmations(chain):
    state = sold_listing()
    send_token(state.listing, state.creator, state.heir.address)
    index(confirmations=2)
    assert owner_of(state.listing) == state.creator.address  # not buried deep enough yet
    assert can_edit(state.old, state.listing) == 200
    assert can_edit(state.new, state.listing) == 404
    mine(2)
    index(confirmations=2)
    assert owner_of(state.listing) == state.heir.address
    assert can_edit(state.old, state.listing) == 404
    assert can_edit(state.new, state.listing) == 200
    # Handlers are idempotent: handing them every stored log again changes nothing.
    dispatch(list(ChainLog.objects.all()))
    assert OwnershipTransfer.objects.filter(listing=state.listing).count() == 2
    assert owner_of(state.listing) == state.heir.address


def test_a_reorg_that_removes_the_transfer_gives_control_back(chain):
    state = sold_listing()
    fork = snapshot()
    send_token(state.listing, state.creator, state.heir.address)
    mine(1)
    index(confirmations=1)
    assert owner_of(state.listing) == state.heir.address
    splits = {s.address: s.bps for s in Listing.objects.get(pk=state.listing.pk).splits.all()}
    assert splits == {state.heir.address: 9_000, state.partner: 1_000}

    revert(fork)
    mine(3)  # a longer branch without the transfer
    index(confirmations=1)
    assert owner_of(state.listing) == state.creator.address
    assert [t.to_address for t in OwnershipTransfer.objects.filter(listing=state.listing)] == [
        state.creator.address  # the mint at registration stays
    ]
    splits = {s.address: s.bps for s in Listing.objects.get(pk=state.listing.pk).splits.all()}
    assert splits == {state.creator.address: 9_000, state.partner: 1_000}
    assert can_edit(state.old, state.listing) == 200
    assert can_edit(state.new, state.listing) == 404


def _csv(kind, user) -> list[dict]:
    text = "".join(exports.export_stream(kind=kind, user=user))
    return list(csv.DictReader(io.StringIO(text)))


def test_a_sale_after_the_transfer_pays_the_new_owner_and_shows_on_their_dashboard(chain):
    state = handed_over()
    second = buy(state.listing, state.buyer)
    index()
    fee_bps = client.get_contract("Marketplace").functions.feeBps().call()
    net = PRICE - PRICE * fee_bps // 10_000
    assert payouts(second)[state.heir.address] == net - net // 10
    assert payouts(second)[state.partner] == net // 10
    assert state.creator.address not in payouts(second)
    assert payouts(state.first_sale)[state.creator.address] == net - net // 10

    new = figures.dashboard_for_user(user=state.new)
    old = figures.dashboard_for_user(user=state.old)
    assert [listing.pk for listing in new["listings"]] == [state.listing.pk]
    assert new["former_listings"] == [] and old["listings"] == []
    assert [listing.pk for listing in old["former_listings"]] == [state.listing.pk]
    # Each sees the sale of their own holding period, and only that one.
    assert new["sales_count"] == 1 and old["sales_count"] == 1
    assert new["revenue_totals"] == {"0x0000000000000000000000000000000000000000": PRICE}
    received_new = {r["account"]: r["received_wei"] for r in new["recipients"]}
    received_old = {r["account"]: r["received_wei"] for r in old["recipients"]}
    assert received_new[state.heir.address] == net - net // 10
    assert state.creator.address not in received_new
    assert received_old[state.creator.address] == net - net // 10
    assert state.heir.address not in received_old
    # The owner's share is not counted again as a contribution.
    assert figures.contributor_received(address=state.heir.address) == []
    # CSV exports follow the same periods.
    first_tx, second_tx = (r.transactionHash.to_0x_hex() for r in (state.first_sale, second))
    assert [row["tx_hash"] for row in _csv("sales", state.old)] == [first_tx]
    assert [row["tx_hash"] for row in _csv("sales", state.new)] == [second_tx]
    assert {row["tx_hash"] for row in _csv("payouts", state.new)} == {second_tx}
    assert {row["tx_hash"] for row in _csv("payouts", state.old)} == {first_tx}
    # Pages: the former owner keeps a read-only view of their past revenue.
    old_client = Client()
    old_client.force_login(state.old)
    page = old_client.get("/dashboard/")
    assert page.status_code == 200
    assert 'data-testid="former-listing"' in page.content.decode()
    api = old_client.get("/api/v1/dashboard/").json()
    assert [row["slug"] for row in api["former_listings"]] == [state.listing.slug]
    assert api["sales_count"] == 1
    assert old_client.get(f"/dashboard/listings/{state.listing.slug}/").status_code == 404


def _sign_in(address: str, signer) -> object:
    issued = account_services.siwe_nonce_issue(address=address, scheme=SCHEME, host=HOST)
    return account_services.siwe_sign_in(
        message=issued.message,
        signature=sign_text(signer, issued.message),
        scheme=SCHEME,
        host=HOST,
    )


def test_a_contract_wallet_owner_manages_and_signs_through_erc1271(chain):
    state = sold_listing()
    key = Account.create()
    wallet = erc1271_wallet_deploy(chain, owner=key.address)
    # The site refuses to build a safeTransferFrom the wallet would reject (no
    # onERC721Received): the owner would pay for a revert.
    old = Client()
    old.force_login(state.old)
    refused = old.post(
        f"/api/v1/listings/{state.listing.slug}/ownership/transfer/prepare",
        {"to": wallet},
        content_type="application/json",
    )
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "transfer_refused"
    send_token(state.listing, state.creator, wallet, safe=False)  # plain transferFrom
    index()
    assert owner_of(state.listing) == wallet

    user = _sign_in(wallet, key)  # SIWE for a contract wallet: ERC-1271
    assert user.address == wallet
    assert can_edit(user, state.listing) == 200
    browser = Client()
    browser.force_login(user)
    prepared = browser.post(
        f"/api/v1/listings/{state.listing.slug}/splits/prepare",
        {"splits": [{"address": wallet, "bps": 7_000}, {"address": state.partner, "bps": 3_000}]},
        content_type="application/json",
    )
    assert prepared.status_code == 200, prepared.content
    document = prepared.json()["typed_data"]
    signature = key.sign_message(encode_typed_data(full_message=document)).signature.to_0x_hex()
    relayed = browser.post(
        f"/api/v1/listings/{state.listing.slug}/splits/relay",
        {"message": document["message"], "signature": signature},
        content_type="application/json",
    )
    assert relayed.status_code == 200, relayed.content
    index()
    assert SplitChange.objects.filter(listing=state.listing).count() == 2
    splits = {s.address: s.bps for s in Listing.objects.get(pk=state.listing.pk).splits.all()}
    assert splits == {wallet: 7_000, state.partner: 3_000}
    # A signature by anyone else is refused, before the relayer pays anything.
    prepared = browser.post(
        f"/api/v1/listings/{state.listing.slug}/splits/prepare",
        {"splits": [{"address": wallet, "bps": 10_000}]},
        content_type="application/json",
    ).json()
    forged = Account.create().sign_message(encode_typed_data(full_message=prepared["typed_data"]))
    reply = browser.post(
        f"/api/v1/listings/{state.listing.slug}/splits/relay",
        {"message": prepared["typed_data"]["message"], "signature": forged.signature.to_0x_hex()},
        content_type="application/json",
    )
    assert reply.status_code == 400 and reply.json()["error"]["code"] == "signature_invalid"

    # It releases a version and signs its attestation through ERC-1271: EAS records the
    # contract wallet as the attester.
    upload = uploaded_scanned_file(user, "model.bin")
    reply = browser.post(
        f"/api/v1/listings/{state.listing.slug}/versions",
        {"tag": "v2", "files": [{"path": "model.bin", "cid": upload.cid}]},
        content_type="application/json",
    )
    assert reply.status_code == 201, reply.content
    base = f"/api/v1/listings/{state.listing.slug}/versions/v2/release-signature"
    document = browser.post(f"{base}/prepare").json()
    signature = key.sign_message(encode_typed_data(full_message=document)).signature.to_0x_hex()
    reply = browser.post(
        base, {"message": document["message"], "signature": signature}, "application/json"
    )
    assert reply.status_code == 201, reply.content
    found = provenance.read_attestation(
        client.get_contract("EAS"),
        bytes(HexBytes(reply.json()["release_uid"])),
        provenance.MODEL_RELEASE,
    )
    assert found["attester"] == wallet and found["recipient"] == wallet


def test_a_denied_new_owner_cannot_manage_and_moderators_act_whoever_owns_it(chain):
    state = handed_over()
    admin = user_create(moderator=True)
    denylist.address_deny(address=state.heir.address, reason="Fraud.", actor=admin)
    state.new.refresh_from_db()
    listing = Listing.objects.get(pk=state.listing.pk)
    assert not listing_selectors.listing_controlled_by(listing=listing, user=state.new)
    with pytest.raises(ApiError) as caught:
        listing_services.listing_update(listing=listing, actor=state.new, summary="mine")
    assert caught.value.status_code == 403 and caught.value.get_codes() == "address_denied"
    # Hidden from the public like any denied owner's listing, and the old owner is no owner.
    assert Client().get(f"/listings/{listing.slug}/").status_code == 404
    assert can_edit(state.old, listing) == 404
    # The site will not build a transfer to a denied address either.
    denylist.address_lift(address=state.heir.address, reason="Cleared.", actor=admin)
    stranger = Account.create().address
    denylist.address_deny(address=stranger, reason="Spam.", actor=admin)
    new = Client()
    state.new.refresh_from_db()
    assert state.new.is_active
    new.force_login(state.new)
    reply = new.post(
        f"/api/v1/listings/{listing.slug}/ownership/transfer/prepare",
        {"to": stranger},
        content_type="application/json",
    )
    assert reply.status_code == 403 and reply.json()["error"]["code"] == "address_denied"
    # Moderation acts on the listing, whoever owns it: the old owner cannot delist it, a
    # moderator can.
    with pytest.raises(ApiError) as caught:
        listing_services.listing_set_status(listing=listing, to_status="delisted", actor=state.old)
    assert caught.value.status_code == 403
    moderation_services.listing_moderate(
        listing=listing, action="delist", actor=admin, reason="Reported and confirmed."
    )
    assert Listing.objects.get(pk=listing.pk).status == Listing.Status.DELISTED


def test_an_unregistered_listing_is_handed_over_only_by_registering_it_first(chain):
    creator = user_create()
    draft = factories.listing(creator=creator)
    browser = Client()
    browser.force_login(creator)
    url = f"/api/v1/listings/{draft.slug}/ownership/transfer/prepare"
    heir = Account.create().address
    reply = browser.post(url, {"to": heir}, content_type="application/json")
    assert reply.status_code == 409 and reply.json()["error"]["code"] == "not_registered"
    for bad in ("0x123", "0x0000000000000000000000000000000000000000", "me"):
        reply = browser.post(url, {"to": bad}, content_type="application/json")
        assert reply.status_code == 400 and reply.json()["error"]["code"] == "bad_address"
    same = browser.post(url, {"to": creator.address}, content_type="application/json")
    assert same.status_code == 409 and same.json()["error"]["code"] == "same_owner"
    # A published listing with a signed offer: register first, then the transfer.
    state_listing = tokenized_listing(tiers=TIERS)
    owner = state_listing.creator
    browser.force_login(owner)
    reply = browser.post(
        f"/api/v1/listings/{state_listing.slug}/ownership/transfer/prepare",
        {"to": heir},
        content_type="application/json",
    )
    assert reply.status_code == 200, reply.content
    body = reply.json()
    assert body["registered"] is False
    assert [t["name"] for t in body["transactions"]] == ["register", "safeTransferFrom"]
    assert "registers it with your signed offer" in body["consequences"][0]
    page = Client().get(f"/listings/{state_listing.slug}/")
    assert 'data-testid="ownership-unregistered"' in page.content.decode()
