"""Token metadata: the JSON the licence token's uri() and the ownership token's tokenURI()
point to, for wallets and marketplaces."""

import pytest
from django.conf import settings
from django.test import Client

from chain import client, typed_data
from chain.deploy import license_uri, ownership_uri
from listings.models import Listing
from payments.tests.access_helpers import (
    TierSpec,
    artifact_store,  # noqa: F401 (autouse fixture)
    published_listing,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def listing():
    return published_listing(
        tiers=[
            TierSpec(name="Download", price_wei=10**16),
            TierSpec(
                name="Monthly compute",
                price_wei=2 * 10**16,
                kind="compute",
                duration_seconds=30 * 86_400,
                transferable=False,
            ),
        ]
    )


def token_hex(listing: Listing, position: int) -> str:
    return f"{typed_data.token_id(listing.onchain_id, position):064x}"


def path_of(uri: str) -> str:
    return uri.removeprefix(settings.SITE_URL)


def test_licence_metadata_at_the_uri_the_contract_gives(listing):
    uri = license_uri(settings.SITE_URL).replace("{id}", token_hex(listing, 1))
    response = Client().get(path_of(uri))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "public, max-age=300"
    assert response["Access-Control-Allow-Origin"] == "*"
    document = response.json()
    assert document["name"] == "Tiny model: Monthly compute licence"
    assert document["external_url"] == f"{settings.SITE_URL}/listings/{listing.slug}/"
    assert document["image"] == f"{settings.SITE_URL}/static/img/licence-compute.svg"
    assert document["decimals"] == 0
    assert document["attributes"] == [
        {"trait_type": "Listing", "value": "Tiny model"},
        {"trait_type": "Tier", "value": "Monthly compute"},
        {"trait_type": "Kind", "value": "Compute only"},
        {"trait_type": "Duration", "value": "30 days"},
        {"trait_type": "Transferable", "value": "No (soulbound)"},
        {"trait_type": "Price", "value": "0.02 ETH"},
    ]
    assert document["properties"]["price_wei"] == str(2 * 10**16)
    assert document["properties"]["listing_id"] == str(listing.onchain_id)
    assert "soulbound" in document["description"]


def test_the_id_may_be_upper_case_hex_or_decimal(listing):
    upper = Client().get(f"/api/licenses/{token_hex(listing, 0).upper()}.json")
    assert upper.json()["name"] == "Tiny model: Download licence"
    decimal = typed_data.token_id(listing.onchain_id, 0)
    assert Client().get(f"/api/licenses/{decimal}.json").json() == upper.json()


@pytest.mark.parametrize(
    "token",
    ["0" * 64, "zz" * 32, "1" * 79, "-1", "0x1234", "%20", "9" * 78],
)
def test_unknown_or_malformed_licence_ids_are_404_json(listing, token):
    response = Client().get(f"/api/licenses/{token}.json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert response["Cache-Control"] == "public, max-age=60"


def test_a_tier_that_does_not_exist_or_a_draft_listing_is_404(listing):
    assert Client().get(f"/api/licenses/{token_hex(listing, 7)}.json").status_code == 404
    other_creator = typed_data.token_id(
        typed_data.listing_id("0x" + "11" * 20, listing.pk), 0
    )  # same pk, someone else's address bits
    assert Client().get(f"/api/licenses/{other_creator:064x}.json").status_code == 404
    Listing.objects.filter(pk=listing.pk).update(status=Listing.Status.DRAFT)
    assert Client().get(f"/api/licenses/{token_hex(listing, 0)}.json").status_code == 404


def test_a_delisted_listing_still_describes_its_tokens(listing):
    Listing.objects.filter(pk=listing.pk).update(status=Listing.Status.DELISTED)
    document = Client().get(f"/api/licenses/{token_hex(listing, 0)}.json").json()
    assert document["properties"]["status"] == "delisted"


def test_ownership_metadata(listing):
    uri = ownership_uri(settings.SITE_URL) + str(listing.onchain_id)
    response = Client().get(path_of(uri))
    assert response.status_code == 200
    document = response.json()
    assert document["name"] == "Tiny model (ownership)"
    assert document["image"] == f"{settings.SITE_URL}/static/img/listing-ownership.svg"
    assert document["external_url"] == f"{settings.SITE_URL}/listings/{listing.slug}/"
    assert {"trait_type": "Licence tiers", "value": 2} in document["attributes"]
    assert document["properties"]["creator"] == listing.creator.address
    assert response["Cache-Control"] == "public, max-age=300"


@pytest.mark.parametrize("suffix", ["1", "abc", f"{2**256}", "0x10"])
def test_unknown_ownership_ids_are_404_json(listing, suffix):
    response = Client().get(f"/api/listings/ownership/{suffix}")
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "No such listing."


@pytest.mark.chain
def test_the_deployed_licence_token_points_here(contracts, listing):
    token = client.get_contract("LicenseToken")
    token_id = typed_data.token_id(listing.onchain_id, 0)
    uri = token.functions.uri(token_id).call().replace("{id}", f"{token_id:064x}")
    assert Client().get(path_of(uri)).json()["name"] == "Tiny model: Download licence"
