"""The tokenize step: the creator signs the listing offer; we check it as the contract will."""

import time

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from hexbytes import HexBytes
from rest_framework.test import APIClient

from accounts.models import User
from chain import client, provenance
from chain.anvil import dev_accounts
from listings import services as listing_services
from listings.models import Listing, Version
from listings.tests import factories
from payments.models import ListingOffer

pytestmark = [pytest.mark.django_db, pytest.mark.chain]


@pytest.fixture
def creator_key(contracts, w3):
    return Account.create()


@pytest.fixture
def listing(creator_key):
    creator = User.objects.create_user(creator_key.address)
    return factories.complete_listing(creator=creator, card="---\nbase_model: bert-base\n---\n")


def api(user) -> APIClient:
    client_ = APIClient()
    client_.force_authenticate(user)
    return client_


def sign(document: dict, key) -> str:
    return key.sign_message(encode_typed_data(full_message=document)).signature.to_0x_hex()


def prepare(listing) -> dict:
    reply = api(listing.creator).post(f"/api/v1/listings/{listing.slug}/offer/prepare")
    assert reply.status_code == 200, reply.json()
    return reply.json()


def submit(listing, message, signature):
    return api(listing.creator).post(
        f"/api/v1/listings/{listing.slug}/offer",
        {"message": message, "signature": signature},
        format="json",
    )


def test_prepare_gives_wallet_ready_typed_data(listing, contracts):
    document = prepare(listing)
    assert document["primaryType"] == "ListingOffer"
    assert document["domain"]["chainId"] == 31337
    assert (
        document["domain"]["verifyingContract"] == contracts["contracts"]["Marketplace"]["address"]
    )
    message = document["message"]
    assert message["listingId"] == str(listing.onchain_id)  # a string: JS would round it
    assert message["splits"] == [{"recipient": "0x" + "0" * 40, "bps": "10000"}]
    assert message["tiers"][0]["price"] == str(10**16)
    # Short-lived (issue 14): an unsold listing's creator renews it with one signature.
    assert time.time() + 6 * 24 * 3600 < int(message["validUntil"]) <= time.time() + 7 * 24 * 3600
    assert message["lockSplits"] is False and document["cancels"] == []


def test_signed_offer_is_accepted_attested_and_registers_on_chain(
    listing, creator_key, django_capture_on_commit_callbacks, w3
):
    document = prepare(listing)
    signature = sign(document, creator_key)
    with django_capture_on_commit_callbacks(execute=True):
        reply = submit(listing, document["message"], signature)
    assert reply.status_code == 201, reply.json()
    assert reply.json()["listing_status"] == Listing.Status.PENDING_REVIEW
    offer = ListingOffer.objects.get()
    assert offer.status == ListingOffer.Status.ACTIVE

    # The ModelRelease attestation was made and says what the version is.
    version = Version.objects.get()
    assert version.release_uid
    attestation = provenance.read_attestation(
        client.get_contract("EAS"), bytes(HexBytes(version.release_uid)), provenance.MODEL_RELEASE
    )
    assert attestation["recipient"] == listing.creator.address
    assert attestation["data"]["version"] == "v1"
    assert attestation["data"]["contentDigest"] == bytes(HexBytes(version.content_digest))
    assert attestation["data"]["cid"] == version.manifest.cid
    assert attestation["data"]["baseModel"] == "bert-base"

    # What we stored is exactly what the contract accepts.
    market = client.get_contract("Marketplace")
    anyone = dev_accounts(3)[2]
    client.transact(
        market.functions.register(offer.message, HexBytes(offer.signature)), account=anyone
    )
    assert market.functions.listing(listing.onchain_id).call()[0] == listing.creator.address


def test_offer_from_a_contract_wallet_is_accepted(contracts, w3):
    owner = Account.create()
    artifact = client.load_artifact("TestERC1271Wallet")
    deployer = dev_accounts(1)[0]
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    wallet = client.transact(factory.constructor(owner.address), account=deployer).contractAddress
    listing = factories.complete_listing(creator=User.objects.create_user(wallet))
    document = prepare(listing)
    reply = submit(listing, document["message"], sign(document, owner))
    assert reply.status_code == 201, reply.json()


def test_wrong_signer_is_refused(listing):
    document = prepare(listing)
    reply = submit(listing, document["message"], sign(document, Account.create()))
    assert reply.status_code == 400
    assert reply.json()["error"]["code"] == "signature_invalid"
    assert not ListingOffer.objects.exists()
    listing.refresh_from_db()
    assert listing.status == Listing.Status.DRAFT


def test_tampered_offer_is_refused(listing, creator_key):
    document = prepare(listing)
    document["message"]["tiers"][0]["price"] = "1"
    reply = submit(listing, document["message"], sign(document, creator_key))
    assert reply.status_code == 409
    assert reply.json()["error"]["code"] == "offer_mismatch"


def test_listing_changed_after_prepare_must_be_signed_again(listing, creator_key):
    document = prepare(listing)
    listing_services.listing_set_tiers(
        listing=listing,
        actor=listing.creator,
        tiers=[listing_services.TierSpec(name="Cheaper", price_wei=1)],
    )
    reply = submit(listing, document["message"], sign(document, creator_key))
    assert reply.json()["error"]["code"] == "offer_mismatch"


def test_offer_cancelled_on_chain_is_refused(listing, creator_key, w3):
    document = prepare(listing)
    funder = dev_accounts(1)[0]
    w3.eth.wait_for_transaction_receipt(
        w3.eth.send_transaction(
            {"from": funder.address, "to": creator_key.address, "value": 10**18}
        )
    )
    client.transact(
        client.get_contract("Marketplace").functions.incrementCounter(), account=creator_key
    )
    reply = submit(listing, document["message"], sign(document, creator_key))
    assert reply.status_code == 409
    assert reply.json()["error"]["code"] == "offer_cancelled"


@pytest.mark.parametrize(
    "change, code",
    [
        ({"validUntil": str(int(time.time()) + 60)}, "offer_expired"),
        ({"validAfter": str(int(time.time()) + 86400)}, "offer_expired"),
        ({"validUntil": str(int(time.time()) + 10 * 365 * 86400)}, "offer_window"),
        ({"validUntil": "soon"}, "offer_malformed"),
        ({"counter": None}, "offer_malformed"),
    ],
)
def test_bad_validity_windows_are_refused(listing, creator_key, change, code):
    document = prepare(listing)
    document["message"].update(change)
    reply = submit(listing, document["message"], "0x" + "11" * 65)
    assert reply.status_code == 400
    assert reply.json()["error"]["code"] == code


@pytest.mark.parametrize("signature", ["nope", "0x1234", "", "0x" + "zz" * 65])
def test_malformed_signatures_are_400(listing, signature):
    reply = submit(listing, prepare(listing)["message"], signature)
    assert reply.status_code == 400


def test_only_the_creator_may_prepare_or_submit(listing):
    stranger = factories.user()
    url = f"/api/v1/listings/{listing.slug}/offer"
    assert api(stranger).post(f"{url}/prepare").status_code == 404
    assert (
        api(stranger).post(url, {"message": {}, "signature": "0x"}, format="json").status_code
        == 404
    )
    assert APIClient().post(f"{url}/prepare").status_code in (401, 403)


def test_incomplete_or_submitted_listings_cannot_be_prepared(creator_key, listing):
    bare = factories.listing(creator=listing.creator)
    reply = api(bare.creator).post(f"/api/v1/listings/{bare.slug}/offer/prepare")
    assert reply.status_code == 400 and reply.json()["error"]["code"] == "incomplete"
    document = prepare(listing)
    assert submit(listing, document["message"], sign(document, creator_key)).status_code == 201
    reply = api(listing.creator).post(f"/api/v1/listings/{listing.slug}/offer/prepare")
    assert reply.status_code == 409


def test_the_live_offer_is_public_once_published(listing, creator_key):
    document = prepare(listing)
    submit(listing, document["message"], sign(document, creator_key))
    url = f"/api/v1/listings/{listing.slug}/offer"
    assert APIClient().get(url).status_code == 404  # pending review: not public yet
    listing_services.listing_set_status(
        listing=listing, to_status=Listing.Status.PUBLISHED, actor=None
    )
    reply = APIClient().get(url)
    assert reply.status_code == 200
    assert reply.json()["message"]["listingId"] == str(listing.onchain_id)


# ------------------------------------------------------------------ contracts v2 (issue 14)


def _signed_and_published(listing, creator_key) -> ListingOffer:
    document = prepare(listing)
    assert submit(listing, document["message"], sign(document, creator_key)).status_code == 201
    listing_services.listing_set_status(
        listing=listing, to_status=Listing.Status.PUBLISHED, actor=None
    )
    return ListingOffer.objects.get(status=ListingOffer.Status.ACTIVE)


def _submit_with(listing, document, signature, cancels):
    return api(listing.creator).post(
        f"/api/v1/listings/{listing.slug}/offer",
        {"message": document["message"], "signature": signature, "cancels": cancels},
        format="json",
    )


def _later(monkeypatch, seconds: int) -> None:
    """The site's clock `seconds` on (a renewal a moment later has a new validity window)."""
    now = time.time
    monkeypatch.setattr(time, "time", lambda: now() + seconds)


def test_a_renewed_offer_cancels_the_old_one_on_chain(
    listing, creator_key, django_capture_on_commit_callbacks, w3, monkeypatch
):
    old = _signed_and_published(listing, creator_key)
    _later(monkeypatch, 5)
    document = prepare(listing)
    assert document["renewal"] is True
    (cancel,) = document["cancels"]
    assert cancel["primaryType"] == "OfferCancel"
    assert cancel["message"]["offerDigest"] == old.digest
    signature = sign(
        {k: document[k] for k in ("types", "primaryType", "domain", "message")}, creator_key
    )

    missing = _submit_with(listing, document, signature, [])
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "cancel_missing"
    forged = [{"message": cancel["message"], "signature": sign(cancel, Account.create())}]
    refused = _submit_with(listing, document, signature, forged)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "signature_invalid"

    cancels = [{"message": cancel["message"], "signature": sign(cancel, creator_key)}]
    with django_capture_on_commit_callbacks(execute=True):  # the relay runs after commit
        reply = _submit_with(listing, document, signature, cancels)
    assert reply.status_code == 201, reply.json()
    again = _submit_with(listing, document, signature, cancels)
    assert again.status_code == 409 and again.json()["error"]["code"] == "offer_duplicate"
    listing.refresh_from_db()
    assert listing.status == Listing.Status.PUBLISHED  # same terms: no new review
    old.refresh_from_db()
    assert old.status == ListingOffer.Status.SUPERSEDED and old.cancel_tx.startswith("0x")

    # On-chain, the old offer can no longer register the listing; the new one can.
    market = client.get_contract("Marketplace")
    assert market.functions.cancelledOffers(old.creator, HexBytes(old.digest)).call() is True
    anyone = dev_accounts(3)[2]
    with pytest.raises(Exception, match="0x"):
        client.transact(
            market.functions.register(old.message, HexBytes(old.signature)), account=anyone
        )
    new = ListingOffer.objects.get(status=ListingOffer.Status.ACTIVE)
    client.transact(market.functions.register(new.message, HexBytes(new.signature)), account=anyone)
    assert market.functions.registeredOffer(listing.onchain_id).call() == HexBytes(new.digest)


def test_a_renewal_cannot_change_the_terms(listing, creator_key, monkeypatch):
    _signed_and_published(listing, creator_key)
    _later(monkeypatch, 5)
    tier = listing.tiers.get(position=0)
    tier.price_wei += 1
    tier.save()
    document = prepare(listing)
    signature = sign(
        {k: document[k] for k in ("types", "primaryType", "domain", "message")}, creator_key
    )
    cancels = [
        {"message": c["message"], "signature": sign(c, creator_key)} for c in document["cancels"]
    ]
    reply = _submit_with(listing, document, signature, cancels)
    assert reply.status_code == 409 and reply.json()["error"]["code"] == "offer_mismatch"


def test_the_creator_may_lock_the_split_when_signing(listing, creator_key, w3):
    reply = api(listing.creator).post(
        f"/api/v1/listings/{listing.slug}/offer/prepare", {"lock_splits": True}, format="json"
    )
    assert reply.status_code == 200
    document = reply.json()
    assert document["message"]["lockSplits"] is True
    signature = sign(
        {k: document[k] for k in ("types", "primaryType", "domain", "message")}, creator_key
    )
    assert _submit_with(listing, document, signature, []).status_code == 201
    offer = ListingOffer.objects.get()
    market = client.get_contract("Marketplace")
    client.transact(
        market.functions.register(offer.message, HexBytes(offer.signature)),
        account=dev_accounts(3)[2],
    )
    assert market.functions.listing(listing.onchain_id).call()[6] is True  # splitsLocked


def test_a_currency_off_the_allow_list_is_refused_before_signing(listing):
    tier = listing.tiers.get(position=0)
    tier.currency = "0x" + "12" * 20
    tier.save()
    reply = api(listing.creator).post(f"/api/v1/listings/{listing.slug}/offer/prepare")
    assert reply.status_code == 409
    assert reply.json()["error"]["code"] == "currency_not_allowed"
