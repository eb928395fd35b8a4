"""The model tree from ModelRelease attestations (listings/model_tree.py) on the real chain: a
fine-tune's or quantization's first release derives, on-chain, from its base model's release;
the tree shows those edges with the attestation's uid, also after a card stops naming them."""

import pytest
from django.test import Client
from hexbytes import HexBytes

from chain import client, provenance
from chain.models import ReleaseAttestation
from listings import model_tree
from listings import provenance as listing_provenance
from listings.cards import parse_card
from listings.models import Listing
from listings.services.details import name_refs_sync
from payments.tests.access_helpers import published_listing

pytestmark = pytest.mark.django_db


def with_card(title: str, card: str) -> Listing:
    listing = published_listing(title=title)
    Listing.objects.filter(pk=listing.pk).update(card=card, card_metadata=parse_card(card).metadata)
    listing.refresh_from_db()
    name_refs_sync(listing)  # what the services do when a card is saved
    return listing


def attest(listing: Listing, capture) -> str:
    """Release the listing's latest version as the platform does (the Celery task's service),
    with the after-commit read-back into the tree."""
    with capture(execute=True):
        return listing_provenance.version_attest_release(version_id=listing.versions.first().pk)


def html(listing: Listing) -> str:
    reply = Client().get(f"/listings/{listing.slug}/")
    assert reply.status_code == 200
    return reply.content.decode()


@pytest.fixture
def family(contracts, w3, django_capture_on_commit_callbacks):
    base = with_card("Tiny BERT", "---\nbase_model: bert-base-uncased\n---\nA model.\n")
    quant = with_card(
        "Tiny BERT int8", "---\nbase_model: tiny-bert\nbase_model_relation: quantized\n---\nQ.\n"
    )
    base_uid = attest(base, django_capture_on_commit_callbacks)
    quant_uid = attest(quant, django_capture_on_commit_callbacks)
    return base, quant, base_uid, quant_uid


def test_a_first_release_derives_on_chain_from_its_base_models_release(family):
    base, quant, base_uid, quant_uid = family
    eas = client.get_contract("EAS")
    on_chain = provenance.read_attestation(
        eas, bytes(HexBytes(quant_uid)), provenance.MODEL_RELEASE
    )
    assert "0x" + bytes(on_chain["data"]["parentUID"]).hex() == base_uid
    assert on_chain["data"]["baseModel"] == "tiny-bert"
    # Read back into the tree's rows, once.
    record = ReleaseAttestation.objects.get(uid=quant_uid)
    assert (record.parent_uid, record.base_model, record.version) == (base_uid, "tiny-bert", "v1")
    assert ReleaseAttestation.objects.get(uid=base_uid).base_model == "bert-base-uncased"


def test_the_tree_marks_attested_edges_with_their_uid(family):
    base, quant, base_uid, quant_uid = family

    tree = model_tree.listing_model_tree(listing=base)
    assert [(n.name, n.relation, n.attested_uid) for n in tree.children] == [
        ("Tiny BERT int8", "quantization", quant_uid)
    ]
    # The outside base model is attested by the base's own release.
    assert [(n.name, n.listing, n.attested_uid) for n in tree.parents] == [
        ("bert-base-uncased", None, base_uid)
    ]
    page = html(base)
    assert f'data-uid="{quant_uid}"' in page and "quantization" in page

    tree = model_tree.listing_model_tree(listing=quant)
    assert [(n.listing, n.relation, n.attested_uid) for n in tree.parents] == [
        (base, "quantization", quant_uid)
    ]
    assert f'data-uid="{quant_uid}"' in html(quant)


def test_an_edited_card_keeps_the_attested_edges(family):
    base, quant, base_uid, quant_uid = family
    Listing.objects.filter(pk=quant.pk).update(card="No base any more.", card_metadata={})
    quant.refresh_from_db()
    name_refs_sync(quant)

    parents = model_tree.listing_model_tree(listing=quant).parents
    assert [(n.listing, n.attested_uid) for n in parents] == [(base, quant_uid)]
    children = model_tree.listing_model_tree(listing=base).children
    assert [(n.listing, n.attested_uid) for n in children] == [(quant, quant_uid)]


def test_a_card_edge_without_an_attestation_has_no_badge_and_hidden_listings_stay_hidden(
    family,
):
    base, quant, base_uid, quant_uid = family
    merge = with_card(
        "Tiny BERT merge", "---\nbase_model: tiny-bert\nbase_model_relation: merge\n---\n"
    )
    children = model_tree.listing_model_tree(listing=base).children
    assert [(n.name, n.relation, n.attested_uid) for n in children] == [
        ("Tiny BERT int8", "quantization", quant_uid),
        ("Tiny BERT merge", "merge", ""),
    ]
    Listing.objects.filter(pk=quant.pk).update(status=Listing.Status.DELISTED)
    children = model_tree.listing_model_tree(listing=base).children
    assert [n.listing for n in children] == [merge]
    assert quant_uid not in html(base)


def test_releases_missed_by_the_read_back_are_recorded_by_the_command(family):
    from io import StringIO

    from django.core.management import call_command

    base, quant, base_uid, quant_uid = family
    ReleaseAttestation.objects.all().delete()
    assert not model_tree.listing_model_tree(listing=quant).parents[0].attested_uid
    out = StringIO()
    call_command("record_releases", stdout=out)
    assert "recorded 2" in out.getvalue()
    assert model_tree.listing_model_tree(listing=quant).parents[0].attested_uid == quant_uid


def test_the_api_detail_has_the_same_tree(family):
    base, quant, base_uid, quant_uid = family
    tree = Client().get(f"/api/v1/listings/{base.slug}").json()["model_tree"]
    assert tree["children"] == [
        {
            "name": "Tiny BERT int8",
            "slug": quant.slug,
            "relation": "quantization",
            "attestation_uid": quant_uid,
        }
    ]
    assert tree["parents"] == [
        {"name": "bert-base-uncased", "slug": None, "relation": "", "attestation_uid": base_uid}
    ]
    assert tree["releases"] == [base_uid]


def test_a_revoked_release_attests_nothing(family, settings):
    from eth_account import Account

    base, quant, base_uid, quant_uid = family
    eas = client.get_contract("EAS")
    request = {
        "schema": provenance.MODEL_RELEASE.uid,
        "data": {"uid": bytes(HexBytes(quant_uid)), "value": 0},
    }
    client.transact(
        eas.functions.revoke(request), account=Account.from_key(settings.CHAIN_DEPLOYER_KEY)
    )
    ReleaseAttestation.objects.filter(uid=quant_uid).delete()  # read back again, revoked now
    call_command_quietly("record_releases")
    assert ReleaseAttestation.objects.get(uid=quant_uid).revoked_at is not None
    children = model_tree.listing_model_tree(listing=base).children
    assert [(n.listing, n.attested_uid) for n in children] == [(quant, "")]  # the card's edge


def call_command_quietly(name: str) -> None:
    from io import StringIO

    from django.core.management import call_command

    call_command(name, stdout=StringIO())


def test_operators_see_the_recorded_releases_in_the_admin(family, client):
    from eth_account import Account

    from accounts.models import User

    base, quant, base_uid, quant_uid = family
    client.force_login(User.objects.create_superuser(Account.create().address))
    page = client.get("/admin/chain/releaseattestation/").content.decode()
    assert quant_uid in page and base_uid in page
