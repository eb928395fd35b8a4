"""API clients without a session: an EIP-712 DownloadRequest signed by the holder (EOA or
ERC-1271 wallet) is traded once for a signed URL."""

import secrets
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone
from eth_account import Account
from eth_account.messages import encode_typed_data

from accounts.models import User
from accounts.tests.factories import erc1271_wallet_deploy
from payments.access import signed_requests
from payments.models import DownloadNonce
from payments.tasks import download_nonce_purge_task
from payments.tests.access_helpers import (
    CONTENT,
    api_for,
    artifact_store,  # noqa: F401 (autouse fixture)
    entitle,
    published_listing,
    tier,
)

pytestmark = [pytest.mark.django_db, pytest.mark.chain]


@pytest.fixture
def listing():
    return published_listing()


@pytest.fixture
def cid(listing) -> str:
    return listing.versions.get().files.get(path="weights/model.bin").artifact.cid


@pytest.fixture
def key(listing):
    account = Account.create()
    entitle(account.address, tier(listing, "Download"))
    return account


def request_for(address: str, cid: str, **overrides) -> dict:
    message = {
        "holder": address,
        "cid": cid,
        "expiry": int(time.time()) + 300,
        "nonce": "0x" + secrets.token_hex(32),
    }
    return {**message, **overrides}


def sign(message: dict, key, *, chain_id: int | None = None) -> str:
    parsed = signed_requests.download_request_parse(message)
    document = signed_requests.download_request_typed_data(parsed)
    if chain_id is not None:
        document["domain"]["chainId"] = chain_id
    signable = encode_typed_data(full_message=document)
    return key.sign_message(signable).signature.to_0x_hex()


def redeem(message: dict, signature: str):
    return api_for(None).post(
        "/api/v1/downloads", {"request": message, "signature": signature}, format="json"
    )


def test_a_signed_request_gets_a_url_that_downloads(w3, key, cid):
    message = request_for(key.address, cid)
    reply = redeem(message, sign(message, key))
    assert reply.status_code == 200, reply.json()
    body = reply.json()
    assert (body["path"], body["cid"], body["size"]) == ("weights/model.bin", cid, len(CONTENT))
    response = Client().get(urlsplit(body["url"]).path, HTTP_RANGE="bytes=0-3")
    assert response.status_code == 206
    assert b"".join(response.streaming_content) == CONTENT[:4]


def test_the_typed_data_is_the_documented_one():
    document = signed_requests.download_request_typed_data(
        signed_requests.download_request_parse(request_for(Account.create().address, "bafy"))
    )
    assert document["domain"] == {
        "name": "AI Model Marketplace Downloads",
        "version": "1",
        "chainId": 31337,
    }
    assert document["types"]["DownloadRequest"] == [
        {"name": "holder", "type": "address"},
        {"name": "cid", "type": "string"},
        {"name": "expiry", "type": "uint64"},
        {"name": "nonce", "type": "bytes32"},
    ]


def test_the_prepared_request_signs_and_redeems(w3, key, cid):
    reply = api_for(None).get("/api/v1/downloads/request", {"holder": key.address, "cid": cid})
    assert reply.status_code == 200
    document = reply.json()
    assert document["primaryType"] == "DownloadRequest"
    signature = key.sign_message(encode_typed_data(full_message=document)).signature.to_0x_hex()
    assert redeem(document["message"], signature).status_code == 200


def test_a_signature_by_someone_else_is_refused(w3, key, cid):
    message = request_for(key.address, cid)
    reply = redeem(message, sign(message, Account.create()))
    assert reply.status_code == 403
    assert reply.json()["error"]["code"] == "signature_invalid"


def test_a_signature_for_another_chain_is_refused(w3, key, cid):
    message = request_for(key.address, cid)
    reply = redeem(message, sign(message, key, chain_id=1))
    assert reply.status_code == 403
    assert reply.json()["error"]["message"] == (
        f"The request was not signed by {key.address} for chain id 31337."
    )


def test_a_request_works_once(w3, key, cid):
    message = request_for(key.address, cid)
    signature = sign(message, key)
    assert redeem(message, signature).status_code == 200
    replay = redeem(message, signature)
    assert replay.status_code == 409
    assert replay.json()["error"]["code"] == "nonce_used"


def test_expired_and_far_future_requests_are_refused(w3, key, cid):
    expired = request_for(key.address, cid, expiry=int(time.time()) - 1)
    reply = redeem(expired, sign(expired, key))
    assert (reply.status_code, reply.json()["error"]["code"]) == (403, "request_expired")
    far = request_for(key.address, cid, expiry=int(time.time()) + 3600)
    reply = redeem(far, sign(far, key))
    assert (reply.status_code, reply.json()["error"]["code"]) == (400, "request_expiry_too_far")
    assert not DownloadNonce.objects.exists()


def test_an_erc1271_wallet_holder_signs_through_its_owner(w3, listing, cid):
    owner = Account.create()
    wallet = erc1271_wallet_deploy(w3, owner=owner.address)
    entitle(wallet, tier(listing, "Both"))
    message = request_for(wallet, cid)
    assert redeem(message, sign(message, owner)).status_code == 200
    other = request_for(wallet, cid)
    assert redeem(other, sign(other, Account.create())).status_code == 403


def test_a_holder_without_a_licence_gets_the_hint(w3, cid):
    stranger = Account.create()
    message = request_for(stranger.address, cid)
    reply = redeem(message, sign(message, stranger))
    assert reply.status_code == 403
    assert reply.json()["error"]["message"].startswith("Buy the 'Download' tier (0.01 ETH)")


def test_the_creator_signs_for_their_own_files(w3):
    creator_key = Account.create()
    listing = published_listing(creator=User.objects.create_user(creator_key.address))
    cid = listing.versions.get().files.get(path="README.md").artifact.cid
    message = request_for(creator_key.address, cid)
    assert redeem(message, sign(message, creator_key)).status_code == 200


@pytest.mark.parametrize(
    "field, value",
    [("holder", "0x123"), ("holder", None), ("cid", ""), ("cid", 5), ("expiry", "soon"),
     ("expiry", -1), ("expiry", 2**64), ("nonce", "0x1234"), ("nonce", "zz"), ("nonce", None)],
)  # fmt: skip
def test_malformed_requests_are_400(key, cid, field, value):
    message = {**request_for(key.address, cid), field: value}
    reply = redeem(message, "0x" + "11" * 65)
    assert reply.status_code == 400
    assert reply.json()["error"]["code"] == "request_malformed"


def test_malformed_bodies_and_signatures_are_4xx(w3, key, cid):
    message = request_for(key.address, cid)
    assert redeem(message, "not hex").status_code == 400
    assert redeem(message, "0x1234").status_code == 400
    no_request = api_for(None).post("/api/v1/downloads", {"request": "x"}, format="json")
    assert no_request.status_code == 400
    unknown = request_for(key.address, "bafyunknown")
    assert redeem(unknown, sign(unknown, key)).status_code == 404
    assert api_for(None).get("/api/v1/downloads/request", {"holder": "x"}).status_code == 400


def test_used_nonces_are_purged_after_their_expiry(w3, key, cid):
    message = request_for(key.address, cid)
    redeem(message, sign(message, key))
    old = DownloadNonce.objects.create(
        holder=key.address, nonce="0x" + "00" * 32, expires_at=timezone.now() - timedelta(hours=1)
    )
    assert download_nonce_purge_task.delay().get() == 1
    assert not DownloadNonce.objects.filter(pk=old.pk).exists()
    assert DownloadNonce.objects.count() == 1
