"""Every management path of a listing asks one question, "who controls this listing"
(listings.selectors.listing_controlled_by), and the answer follows the ownership token. After
a real `safeTransferFrom` on anvil, the former owner gets 404 (403 where the listing is public
and the path is not owner-scoped) on each path, and the new holder passes each one."""

import pytest
from django.test import Client
from eth_account import Account
from eth_account.messages import encode_typed_data
from hexbytes import HexBytes

from chain import client, provenance
from compute.models import ComputePolicy
from listings.models import Listing, OwnershipTransfer, Version
from listings.tests import factories
from payments.access import gated
from payments.models import AccessRequest
from payments.tests.access_helpers import uploaded_scanned_file
from payments.tests.ownership_helpers import handed_over

pytestmark = [pytest.mark.django_db, pytest.mark.chain]

# (method, path, body): every place where a listing is managed, pages and API.
MANAGEMENT = [
    ("get", "/listings/{slug}/edit/", None),
    ("post", "/listings/{slug}/edit/details", {"title": "Mine now"}),
    ("post", "/listings/{slug}/edit/tiers", {}),
    ("post", "/listings/{slug}/edit/splits", {}),
    ("post", "/listings/{slug}/edit/status", {"to_status": "delisted"}),
    ("patch", "/api/v1/listings/{slug}", {"summary": "Mine now"}),
    ("put", "/api/v1/listings/{slug}/tiers", [{"name": "Free", "price_wei": "0"}]),
    ("put", "/api/v1/listings/{slug}/splits", [{"address": "{me}", "bps": 10_000}]),
    ("post", "/api/v1/listings/{slug}/versions", {"tag": "v9", "files": []}),
    ("post", "/api/v1/listings/{slug}/offer/prepare", {}),
    ("post", "/api/v1/listings/{slug}/offer", {"message": {}, "signature": "0x00"}),
    ("post", "/api/v1/listings/{slug}/splits/prepare", {"splits": [{"address": "{me}", "bps": 1}]}),
    ("post", "/api/v1/listings/{slug}/splits/relay", {"message": {}, "signature": "0x00"}),
    ("post", "/api/v1/listings/{slug}/tiers/0/price/prepare", {"price_wei": "5"}),
    ("get", "/api/v1/listings/{slug}/changes", None),
    ("post", "/api/v1/listings/{slug}/ownership/transfer/prepare", {"to": "{me}"}),
    ("get", "/listings/{slug}/requests/", None),
    ("post", "/listings/{slug}/requests/{request}/decide", {"decision": "approved"}),
    ("get", "/api/v1/compute/listings/{slug}/compute-policy", None),
    (
        "put",
        "/api/v1/compute/listings/{slug}/compute-policy",
        {"environments": [], "allow_raw_algorithms": True, "minutes_per_licence": 5},
    ),
    (
        "post",
        "/api/v1/compute/listings/{slug}/compute-policy/algorithms",
        {"name": "x", "cid": "bafkreiaaaa", "entry_point": "main.py"},
    ),
    ("delete", "/api/v1/compute/listings/{slug}/compute-policy/algorithms/1", None),
    ("get", "/dashboard/listings/{slug}/", None),
    ("get", "/api/v1/dashboard/listings/{slug}", None),
]
# Public listing, generic status endpoint: visible, so the refusal is 403, not 404.
STATUS_API = ("post", "/api/v1/listings/{slug}/status", {"status": "delisted"})


def _fill(value, names: dict):
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, list):
        return [_fill(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    return value


def _call(client: Client, method: str, path: str, body, names: dict):
    url = _fill(path, names)
    if body is None:
        return getattr(client, method)(url)
    if url.startswith("/api/"):
        return getattr(client, method)(url, _fill(body, names), content_type="application/json")
    return getattr(client, method)(url, _fill(body, names))


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def state(contracts, w3):
    state = handed_over()
    requester = factories.user()
    research = state.listing.tiers.get(position=1)
    state.request = gated.access_request_create(
        listing=state.listing,
        tier=research,
        requester=requester,
        intended_use="Evaluation.",
        accepted_terms=True,
    )
    return state


def test_the_transfer_moves_control_and_the_history_records_it(state):
    listing = Listing.objects.get(pk=state.listing.pk)
    assert listing.creator == state.old  # the creator stays the creator (and the on-chain id)
    assert listing.owner_address == state.heir.address
    history = list(OwnershipTransfer.objects.filter(listing=listing).order_by("block_number"))
    assert [(t.from_address, t.to_address) for t in history] == [
        ("0x0000000000000000000000000000000000000000", state.creator.address),
        (state.creator.address, state.heir.address),
    ]
    assert history[1].tx_hash == state.transfer.transactionHash.to_0x_hex()
    # The public page shows the holders, blocks and transactions beside the provenance.
    page = Client().get(f"/listings/{listing.slug}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert state.transfer.transactionHash.to_0x_hex() in text
    assert f'data-holder="{state.heir.address}"' in text
    detail = Client().get(f"/api/v1/listings/{listing.slug}").json()
    assert detail["owner"] == state.heir.address
    assert [row["to_address"] for row in detail["ownership"]] == [
        state.creator.address,
        state.heir.address,
    ]
    # Operators see the same in the admin (read-only: it follows the chain).
    admin = factories.user()
    type(admin).objects.filter(pk=admin.pk).update(is_superuser=True, is_staff=True)
    admin.refresh_from_db()
    change = _as(admin).get(f"/admin/listings/listing/{listing.pk}/change/")
    assert change.status_code == 200
    assert state.transfer.transactionHash.to_0x_hex() in change.content.decode()


def test_the_former_owner_gets_404_or_403_on_every_management_path(state):
    old = _as(state.old)
    names = {"slug": state.listing.slug, "me": state.creator.address, "request": state.request.pk}
    refused = {}
    for method, path, body in MANAGEMENT:
        reply = _call(old, method, path, body, names)
        refused[f"{method.upper()} {path}"] = reply.status_code
    assert refused == {f"{m.upper()} {p}": 404 for m, p, _ in MANAGEMENT}
    method, path, body = STATUS_API
    assert _call(old, method, path, body, names).status_code == 403
    # Nothing changed on the way.
    listing = Listing.objects.get(pk=state.listing.pk)
    assert listing.title == "Tiny model" and listing.status == Listing.Status.PUBLISHED
    assert listing.versions.count() == 1
    assert AccessRequest.objects.get(pk=state.request.pk).status == "pending"
    assert not ComputePolicy.objects.filter(listing=listing).exists()
    # "My listings" no longer lists it; the public page no longer offers management.
    assert state.listing.slug not in old.get("/listings/mine/").content.decode()
    page = old.get(f"/listings/{state.listing.slug}/").content.decode()
    assert f"/listings/{state.listing.slug}/edit/" not in page


def test_the_new_owner_passes_every_management_path(state, django_capture_on_commit_callbacks):
    new = _as(state.new)
    stranger = factories.user().address
    names = {"slug": state.listing.slug, "me": state.heir.address, "request": state.request.pk}
    upload = uploaded_scanned_file(state.new, "model.bin")
    expected = {
        "GET /listings/{slug}/edit/": 200,
        "POST /listings/{slug}/edit/details": 302,
        "PATCH /api/v1/listings/{slug}": 200,
        # A published, registered listing changes tiers and splits on-chain, not here: the
        # owner reaches the service and is told so (409), never "not yours".
        "PUT /api/v1/listings/{slug}/tiers": 409,
        "PUT /api/v1/listings/{slug}/splits": 409,
        "POST /api/v1/listings/{slug}/offer/prepare": 409,
        "POST /api/v1/listings/{slug}/splits/prepare": 200,
        "POST /api/v1/listings/{slug}/tiers/0/price/prepare": 200,
        "GET /api/v1/listings/{slug}/changes": 200,
        "GET /listings/{slug}/requests/": 200,
        "POST /listings/{slug}/requests/{request}/decide": 302,
        "GET /api/v1/compute/listings/{slug}/compute-policy": 200,
        "PUT /api/v1/compute/listings/{slug}/compute-policy": 200,
        "GET /dashboard/listings/{slug}/": 200,
        "GET /api/v1/dashboard/listings/{slug}": 200,
    }
    bodies = {
        "POST /api/v1/listings/{slug}/splits/prepare": {
            "splits": [{"address": "{me}", "bps": 8_000}, {"address": stranger, "bps": 2_000}]
        },
    }
    got = {}
    for method, path, body in MANAGEMENT:
        key = f"{method.upper()} {path}"
        if key in expected:
            got[key] = _call(new, method, path, bodies.get(key, body), names).status_code
    assert got == expected
    # A version released by the new owner, from their own upload, then signed by them: EAS
    # records the owner as its attester (the platform only relays and pays the gas).
    with django_capture_on_commit_callbacks(execute=True):
        reply = new.post(
            f"/api/v1/listings/{state.listing.slug}/versions",
            {"tag": "v2", "files": [{"path": "model.bin", "cid": upload.cid}]},
            content_type="application/json",
        )
    assert reply.status_code == 201, reply.content
    version = Version.objects.get(listing=state.listing, tag="v2")
    assert version.released_by == state.heir.address and not version.release_uid
    base = f"/api/v1/listings/{state.listing.slug}/versions/v2/release-signature"
    assert _as(state.old).post(f"{base}/prepare").status_code == 404
    document = new.post(f"{base}/prepare").json()
    forged = Account.create().sign_message(encode_typed_data(full_message=document))
    body = {"message": document["message"], "signature": forged.signature.to_0x_hex()}
    reply = new.post(base, body, content_type="application/json")
    assert reply.status_code == 400 and reply.json()["error"]["code"] == "signature_invalid"
    signed = state.heir.sign_message(encode_typed_data(full_message=document))
    body["signature"] = signed.signature.to_0x_hex()
    reply = new.post(base, body, content_type="application/json")
    assert reply.status_code == 201, reply.content
    again = new.post(base, body, content_type="application/json")  # single use
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_attested"
    version.refresh_from_db()
    found = provenance.read_attestation(
        client.get_contract("EAS"), bytes(HexBytes(version.release_uid)), provenance.MODEL_RELEASE
    )
    assert found["attester"] == state.heir.address
    assert found["recipient"] == state.heir.address
    assert found["data"]["contentDigest"] == bytes(HexBytes(version.content_digest))
    assert found["data"]["version"] == "v2"
    assert AccessRequest.objects.get(pk=state.request.pk).status == "approved"
    listing = Listing.objects.get(pk=state.listing.pk)
    assert listing.summary == "Mine now" and listing.title == "Mine now"
    assert "Mine now" in new.get("/listings/mine/").content.decode()
    reply = new.post(
        f"/api/v1/listings/{state.listing.slug}/ownership/transfer/prepare",
        {"to": stranger},
        content_type="application/json",
    )
    assert reply.status_code == 200, reply.content
    assert reply.json()["registered"] is True
    assert [t["name"] for t in reply.json()["transactions"]] == ["safeTransferFrom"]
