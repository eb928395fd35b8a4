"""A token client (no browser session) reaches its job's outputs and the manifest its receipt
hashes, and sees which hosts and algorithms a listing allows before it submits anything."""

import hashlib

import pytest
from django.test import Client

from accounts import tokens
from compute.models import Job, TrustedAlgorithm
from compute.tests.helpers import buyer_with_licence, dataset_listing, environment, submit
from listings.models import Listing
from listings.tests import factories
from payments.tests.access_helpers import stored_file

SOURCE = "open('/out/answer.txt', 'w').write('42\\n')\n"


def bearer(user) -> Client:
    secret = tokens.api_token_create(user=user, name="agent").secret
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def finished(compute_settings, transactional_db) -> Job:
    host = environment()
    listing = dataset_listing(hosts=[host])
    job = submit(listing, buyer_with_licence(listing), host, SOURCE)
    job.refresh_from_db()
    assert job.status == "succeeded", job.reason
    return job


def test_the_owner_fetches_outputs_with_a_token(finished):
    owner = bearer(finished.owner)
    job = owner.get(f"/api/v1/compute/jobs/{finished.uuid}").json()
    [output] = job["outputs"]
    assert output["url"] == f"/api/v1/compute/jobs/{finished.uuid}/outputs/answer.txt"
    response = owner.get(output["url"])
    assert response.status_code == 200
    assert body(response) == b"42\n"
    assert hashlib.sha256(b"42\n").hexdigest() == output["sha256"]
    manifest = owner.get(f"/api/v1/compute/jobs/{finished.uuid}/manifest")
    assert manifest.status_code == 200
    assert "0x" + hashlib.sha256(body(manifest)).hexdigest() == finished.output_digest
    # The page URL is for browsers: a token request is sent to the sign-in page.
    assert owner.get(f"/compute/jobs/{finished.uuid}/outputs/answer.txt").status_code == 302


def test_strangers_and_anonymous_callers_get_nothing(finished):
    url = f"/api/v1/compute/jobs/{finished.uuid}/outputs/answer.txt"
    stranger = bearer(factories.user())
    response = stranger.get(url)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert stranger.get(f"/api/v1/compute/jobs/{finished.uuid}/manifest").status_code == 404
    assert Client().get(url).status_code == 403
    revoked = Client(HTTP_AUTHORIZATION="Bearer mkt_not-a-live-token")
    assert revoked.get(url).status_code == 403
    assert revoked.get(url).json()["error"]["code"] == "authentication_failed"
    owner = bearer(finished.owner)
    missing = owner.get(f"/api/v1/compute/jobs/{finished.uuid}/outputs/../../etc/passwd")
    assert missing.status_code == 404
    assert owner.get(f"/api/v1/compute/jobs/{finished.uuid}/outputs/other.txt").status_code == 404


def test_outputs_held_for_review_stay_with_the_creator(finished):
    Job.objects.filter(pk=finished.pk).update(outputs_review="pending")
    url = f"/api/v1/compute/jobs/{finished.uuid}/outputs/answer.txt"
    assert bearer(finished.owner).get(url).status_code == 404
    assert (
        bearer(finished.owner).get(f"/api/v1/compute/jobs/{finished.uuid}/manifest").status_code
        == 404
    )
    creator = bearer(finished.listing.creator)
    assert body(creator.get(url)) == b"42\n"


def test_a_buyer_sees_the_allowed_hosts_and_algorithms_before_submitting(
    compute_settings, transactional_db
):
    allowed, other = environment(gpu_model="H100", gpu_count=1), environment()
    listing = dataset_listing(allow_raw=False, minutes=30, hosts=[allowed])
    TrustedAlgorithm.objects.create(
        policy=listing.compute_policy,
        name="Column summary",
        artifact=stored_file(b"print('summary')\n"),
        entry_point="summary.py",
    )
    response = Client().get(f"/api/v1/compute/listings/{listing.slug}/compute")
    assert response.status_code == 200
    offer = response.json()
    assert [env["name"] for env in offer["environments"]] == [allowed.name]
    assert offer["environments"][0]["gpu_model"] == "H100"
    assert offer["environments"][0]["status"] == "online"
    assert other.name not in str(offer)
    assert offer["offered"] is True and offer["allow_raw_algorithms"] is False
    assert offer["minutes_per_licence"] == 30
    [algorithm] = offer["algorithms"]
    assert algorithm["name"] == "Column summary" and algorithm["entry_point"] == "summary.py"


def test_no_compute_offer_and_hidden_listings(compute_settings, transactional_db):
    listing = dataset_listing(hosts=[])
    offer = Client().get(f"/api/v1/compute/listings/{listing.slug}/compute").json()
    assert offer["offered"] is False and offer["environments"] == []
    Listing.objects.filter(pk=listing.pk).update(status=Listing.Status.DRAFT)
    hidden = bearer(factories.user()).get(f"/api/v1/compute/listings/{listing.slug}/compute")
    assert hidden.status_code == 404
    assert Client().get("/api/v1/compute/listings/no-such-listing/compute").status_code == 404
