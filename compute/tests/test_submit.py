"""Every refusal happens before anything is queued: no job row, no task."""

from datetime import timedelta

import pytest
from django.utils import timezone

from artifacts.models import Upload
from compute.models import ComputeEnvironment, ComputeUsage, Job, TrustedAlgorithm
from compute.tests.helpers import buyer_with_licence, dataset_listing, environment, script
from listings.tests import factories
from payments.models import Entitlement
from payments.tests.access_helpers import api_for, entitle, stored_file, tier

pytestmark = pytest.mark.django_db


def post(user, listing, host, source="print(1)\n", **data):
    body = {"listing": listing.slug, "environment": host.name, **data}
    if source is not None:
        body["algorithm"] = script(source)
    return api_for(user).post("/api/v1/compute/jobs", body, format="multipart")


@pytest.fixture
def host(compute_settings):
    return environment()


def test_a_buyer_with_a_compute_licence_queues_a_job(host, django_capture_on_commit_callbacks):
    listing = dataset_listing(hosts=[host])
    buyer = buyer_with_licence(listing)
    with django_capture_on_commit_callbacks() as callbacks:
        response = post(buyer, listing, host)
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "queued" and len(callbacks) == 1
    job = Job.objects.get()
    assert {i.path for i in job.inputs.all()} == {"table.csv", "notes/readme.txt"}
    assert job.time_limit_seconds == host.max_duration_seconds


@pytest.mark.parametrize("case", ["none", "download-only", "expired"])
def test_without_a_compute_licence_403(host, case):
    listing = dataset_listing(hosts=[host])
    user = factories.user()
    if case == "download-only":
        entitle(user.address, tier(listing, "Download"))
    if case == "expired":
        entitle(user.address, tier(listing, "Compute"), expires_in=timedelta(seconds=-1))
    response = post(user, listing, host)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "compute_licence_required"
    assert not Job.objects.exists()


def test_a_raw_script_where_only_trusted_ones_run_403(host):
    listing = dataset_listing(hosts=[host], allow_raw=False)
    response = post(buyer_with_licence(listing), listing, host)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "algorithm_not_allowed"
    unknown = post(buyer_with_licence(listing), listing, host, None, algorithm_cid="bafkreiabc")
    assert unknown.status_code == 403
    assert not Job.objects.exists()


def test_a_trusted_algorithm_runs_without_raw_access(host, django_capture_on_commit_callbacks):
    listing = dataset_listing(hosts=[host], allow_raw=False)
    algorithm = stored_file(b"print('trusted')\n")
    TrustedAlgorithm.objects.create(
        policy=listing.compute_policy, name="Stats", artifact=algorithm, entry_point="stats.py"
    )
    response = post(buyer_with_licence(listing), listing, host, None, algorithm_cid=algorithm.cid)
    assert response.status_code == 201, response.json()
    assert response.json()["entry_point"] == "stats.py"


def test_a_raw_script_by_cid_must_be_the_buyers_own(host, django_capture_on_commit_callbacks):
    """CIDs are public: running someone else's paid file as a script would print it in the
    log (a SyntaxError quotes the line), so a raw CID must be bytes the buyer uploaded."""
    listing = dataset_listing(hosts=[host])
    buyer = buyer_with_licence(listing)
    others = stored_file(b"secret,paid,rows\n")
    refused = post(buyer, listing, host, None, algorithm_cid=others.cid, entry_point="a.py")
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "algorithm_not_found"
    mine = stored_file(b"print('mine')\n")
    Upload.objects.create(
        owner=buyer, filename="a.py", size=mine.size, status=Upload.Status.COMPLETE,
        artifact=mine, expires_at=timezone.now(),
    )  # fmt: skip
    accepted = post(buyer, listing, host, None, algorithm_cid=mine.cid, entry_point="a.py")
    assert accepted.status_code == 201, accepted.json()


def test_over_its_gpu_minutes_402(host):
    gpu = environment(gpu_count=2, gpu_model="H100")
    listing = dataset_listing(hosts=[gpu], minutes=1)
    buyer = buyer_with_licence(listing)
    entitlement = Entitlement.objects.get(holder=buyer.address)
    done = Job.objects.create(
        owner=buyer,
        listing=listing,
        version=listing.versions.first(),
        environment=gpu,
        entitlement=entitlement,
        algorithm=stored_file(b"x"),
        entry_point="a.py",
        time_limit_seconds=30,
        status="succeeded",
    )
    ComputeUsage.objects.create(
        entitlement=entitlement, job=done, wall_seconds=30, gpu_seconds=60, metered_seconds=60
    )
    response = post(buyer, listing, gpu)
    assert response.status_code == 402
    assert response.json()["error"]["code"] == "compute_minutes_exhausted"
    assert Job.objects.count() == 1


def test_the_time_limit_is_capped_by_the_minutes_left(host):
    gpu = environment(gpu_count=2, max_duration_seconds=3600)
    listing = dataset_listing(hosts=[gpu], minutes=1)
    response = post(buyer_with_licence(listing), listing, gpu)
    assert response.status_code == 201
    assert response.json()["time_limit_seconds"] == 30  # 60 GPU-seconds on 2 GPUs


@pytest.mark.parametrize(
    "status,code",
    [(ComputeEnvironment.Status.DRAINING, 409), (ComputeEnvironment.Status.OFFLINE, 409)],
)
def test_an_unavailable_host_is_refused(host, status, code):
    listing = dataset_listing(hosts=[host])
    ComputeEnvironment.objects.filter(pk=host.pk).update(status=status)
    response = post(buyer_with_licence(listing), listing, host)
    assert response.status_code == code
    assert response.json()["error"]["code"] == "environment_unavailable"


def test_a_host_the_listing_did_not_choose_is_refused(host):
    listing = dataset_listing(hosts=[host])
    other = environment()
    response = post(buyer_with_licence(listing), listing, other)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "environment_not_allowed"


def test_bad_entry_point_and_missing_algorithm_400(host):
    listing = dataset_listing(hosts=[host])
    buyer = buyer_with_licence(listing)
    bad = post(buyer, listing, host, None, algorithm_cid=stored_file(b"x").cid, entry_point="../x")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "entry_point_invalid"
    none = post(buyer, listing, host, None)
    assert none.status_code == 400 and none.json()["error"]["code"] == "algorithm_required"
    assert post(None, listing, host).status_code in (401, 403)


def test_jobs_are_private_to_their_owner(host, django_capture_on_commit_callbacks):
    listing = dataset_listing(hosts=[host])
    buyer = buyer_with_licence(listing)
    job_id = post(buyer, listing, host).json()["id"]
    stranger = factories.user()
    for path in ("", "/log"):
        assert api_for(stranger).get(f"/api/v1/compute/jobs/{job_id}{path}").status_code == 404
        assert api_for(buyer).get(f"/api/v1/compute/jobs/{job_id}{path}").status_code == 200
    assert api_for(stranger).post(f"/api/v1/compute/jobs/{job_id}/cancel").status_code == 404
    cancelled = api_for(buyer).post(f"/api/v1/compute/jobs/{job_id}/cancel")
    assert cancelled.json()["status"] == "cancelled"
    again = api_for(buyer).post(f"/api/v1/compute/jobs/{job_id}/cancel")
    assert again.status_code == 409


def test_the_creator_edits_the_policy_and_nobody_else(host):
    listing = dataset_listing(hosts=[])
    url = f"/api/v1/compute/listings/{listing.slug}/compute-policy"
    body = {"environments": [host.name], "allow_raw_algorithms": False, "minutes_per_licence": 5}
    assert api_for(factories.user()).put(url, body, format="json").status_code == 404
    response = api_for(listing.creator).put(url, body, format="json")
    assert response.status_code == 200 and response.json()["environments"] == [host.name]
    unknown = api_for(listing.creator).put(url, {**body, "environments": ["nope"]}, format="json")
    assert unknown.status_code == 400
    algo = stored_file(b"print(1)\n")
    Upload.objects.create(
        owner=listing.creator, filename="a.py", size=algo.size, status=Upload.Status.COMPLETE,
        artifact=algo, expires_at=timezone.now(),
    )  # fmt: skip
    added = api_for(listing.creator).post(
        f"{url}/algorithms", {"name": "A", "cid": algo.cid, "entry_point": "a.py"}, format="json"
    )
    assert added.status_code == 201 and added.json()["algorithms"][0]["cid"] == algo.cid


def test_environments_are_public():
    environment(name="gpu-a", gpu_count=1)
    response = api_for(None).get("/api/v1/compute/environments")
    assert response.status_code == 200
    assert response.json()[0]["queue"] == "compute.gpu-a"


def test_the_listing_page_shows_the_panel(host, client):
    listing = dataset_listing(hosts=[host])
    buyer = buyer_with_licence(listing)
    client.force_login(buyer)
    page = client.get(f"/listings/{listing.slug}/").content.decode()
    assert 'data-testid="compute-form"' in page and "60 compute minutes left" in page
    client.force_login(factories.user())
    page = client.get(f"/listings/{listing.slug}/").content.decode()
    assert 'data-testid="compute-needs-licence"' in page
