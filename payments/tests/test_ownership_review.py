"""Holes found by reviewing issue 21 (control follows the ownership token), each on a real
chain: transfers the indexer stored before control followed the token, licence terms the former
owner wrote, versions left unsigned when a listing is handed back."""

import importlib

import pytest
from django.apps import apps
from django.test import Client
from eth_account.messages import encode_typed_data
from hexbytes import HexBytes

from chain import client, provenance
from listings import services as listing_services
from listings.models import Listing, OwnershipTransfer, Version
from payments.tests.access_helpers import artifact_store, uploaded_scanned_file  # noqa: F401
from payments.tests.indexing import index
from payments.tests.ownership_helpers import send_token, sold_listing

pytestmark = [pytest.mark.django_db, pytest.mark.chain]


@pytest.fixture
def chain(contracts, w3):
    """The deployed contracts, the chain rolled back after the test (w3's snapshot)."""
    return w3


backfill = importlib.import_module("listings.migrations.0008_ownership_backfill")


def _status(user, method: str, url: str, data=None) -> int:
    browser = Client()
    browser.force_login(user)
    return getattr(browser, method)(url, data or {}, content_type="application/json").status_code


def test_transfers_indexed_before_the_deploy_move_control_too(chain):
    """The indexer has always stored ListingOwnership logs but hands each to the apps once: a
    listing handed over before the deploy would stay its creator's for good. The migration
    replays them (the state right after 0007: no rows, owner = creator, split as of old)."""
    state = sold_listing()
    send_token(state.listing, state.creator, state.heir.address)
    index()
    OwnershipTransfer.objects.all().delete()
    Listing.objects.filter(pk=state.listing.pk).update(owner_address=state.creator.address)
    state.listing.splits.filter(address=state.heir.address).update(address=state.creator.address)

    backfill.ownership_backfill(apps, None)
    backfill.ownership_backfill(apps, None)  # twice (a re-run) records nothing more

    listing = Listing.objects.get(pk=state.listing.pk)
    assert listing.owner_address == state.heir.address
    assert [(t.from_address, t.to_address) for t in listing.ownership_transfers.all()] == [
        ("0x0000000000000000000000000000000000000000", state.creator.address),
        (state.creator.address, state.heir.address),
    ]
    splits = {s.address: (s.bps, s.label) for s in listing.splits.all()}
    assert splits == {state.heir.address: (9_000, ""), state.partner: (1_000, "Partner")}
    edit = f"/api/v1/listings/{listing.slug}"
    assert _status(state.old, "patch", edit, {"summary": "mine still?"}) == 404
    assert _status(state.new, "patch", edit, {"summary": "mine now"}) == 200


def test_the_new_owner_keeps_the_former_owners_licence_terms_while_editing(chain):
    """Terms the creator wrote themselves stay on the listing after the handover: the new
    owner's edit form and API must accept them (not drop them, nor refuse the edit)."""
    state = sold_listing()
    terms = listing_services.license_terms_create(
        owner=state.old, name="Lab terms", custom_text="Cite the lab."
    )
    listing_services.listing_update(listing=state.listing, actor=state.old, license_terms=terms)
    send_token(state.listing, state.creator, state.heir.address)
    index()
    listing = Listing.objects.get(pk=state.listing.pk)
    assert listing.owner_address == state.heir.address

    browser = Client()
    browser.force_login(state.new)
    page = browser.get(f"/listings/{listing.slug}/edit/")
    assert page.status_code == 200
    assert f'<option value="{terms.pk}" selected>' in page.content.decode()
    saved = browser.post(
        f"/listings/{listing.slug}/edit/details",
        {"title": "Renamed by the heir", "summary": listing.summary,
         "license_terms": terms.pk, "card": listing.card},
    )  # fmt: skip
    assert saved.status_code == 302
    listing.refresh_from_db()
    assert (listing.title, listing.license_terms_id) == ("Renamed by the heir", terms.pk)
    edit = f"/api/v1/listings/{listing.slug}"
    assert _status(state.new, "patch", edit, {"license_terms": terms.pk}) == 200
    # Someone else's terms on another listing stay out of reach.
    other = listing_services.license_terms_create(owner=state.old, name="Other terms")
    assert _status(state.new, "patch", edit, {"license_terms": other.pk}) == 400


def test_a_version_the_new_owner_left_unsigned_is_signed_after_a_hand_back(chain):
    """A → B → A: the platform attests only the creator's own releases, so a version B
    released and did not sign must be signable by whoever owns the listing now, or it stays
    unattested for good."""
    state = sold_listing()
    send_token(state.listing, state.creator, state.heir.address)
    index()
    upload = uploaded_scanned_file(state.new, "model.bin")
    listing = Listing.objects.get(pk=state.listing.pk)
    listing_services.version_create(
        listing=listing, actor=state.new, tag="v2", changelog="",
        files=[("model.bin", upload)],
    )  # fmt: skip
    send_token(state.listing, state.heir, state.creator.address)
    index()
    assert Listing.objects.get(pk=state.listing.pk).owner_address == state.creator.address

    creator = Client()
    creator.force_login(state.old)
    page = creator.get(f"/listings/{listing.slug}/edit/").content.decode()
    assert 'data-testid="sign-release"' in page
    base = f"/api/v1/listings/{listing.slug}/versions/v2/release-signature"
    assert _status(state.new, "post", f"{base}/prepare") == 404  # B's control has ended
    prepared = creator.post(f"{base}/prepare")
    assert prepared.status_code == 200, prepared.content
    document = prepared.json()
    signed = state.creator.sign_message(encode_typed_data(full_message=document))
    body = {"message": document["message"], "signature": signed.signature.to_0x_hex()}
    reply = creator.post(base, body, content_type="application/json")
    assert reply.status_code == 201, reply.content
    version = Version.objects.get(listing=listing, tag="v2")
    found = provenance.read_attestation(
        client.get_contract("EAS"), bytes(HexBytes(version.release_uid)), provenance.MODEL_RELEASE
    )
    assert found["attester"] == state.creator.address
