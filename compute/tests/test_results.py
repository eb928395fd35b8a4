"""Results are the owner's alone; receipts are public and verifiable."""

import hashlib

import pytest
from django.test import Client

from compute import receipts
from compute.models import Job
from compute.sandbox import SandboxSpec, command
from compute.tests.helpers import buyer_with_licence, dataset_listing, environment, submit
from listings.tests import factories
from payments.tests.access_helpers import api_for

SOURCE = "open('/out/answer.txt', 'w').write('42\\n')\n"


@pytest.fixture
def finished(compute_settings, transactional_db) -> Job:
    host = environment()
    listing = dataset_listing(hosts=[host])
    job = submit(listing, buyer_with_licence(listing), host, SOURCE)
    job.refresh_from_db()
    assert job.status == "succeeded", job.reason
    return job


def test_only_the_owner_downloads_the_results(finished):
    owner, stranger = Client(), Client()
    owner.force_login(finished.owner)
    stranger.force_login(factories.user())
    url = f"/compute/jobs/{finished.uuid}/outputs/answer.txt"
    response = owner.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"42\n"
    assert stranger.get(url).status_code == 404
    assert stranger.get(f"/compute/jobs/{finished.uuid}/").status_code == 404
    assert Client().get(url).status_code == 302  # to sign-in
    manifest = owner.get(f"/compute/jobs/{finished.uuid}/manifest")
    body = b"".join(manifest.streaming_content)
    assert "0x" + hashlib.sha256(body).hexdigest() == finished.output_digest
    page = owner.get(f"/compute/jobs/{finished.uuid}/").content.decode()
    assert finished.output_digest in page and 'data-status="succeeded"' in page


@pytest.mark.chain
def test_the_receipt_is_attested_once_and_verifiable(finished, contracts, w3):
    uid = receipts.job_attest_receipt(job_id=finished.pk)
    assert receipts.job_attest_receipt(job_id=finished.pk) == uid  # idempotent
    api = api_for(None)
    found = api.get(f"/api/v1/compute/receipts/{uid}", {"output_digest": finished.output_digest})
    assert found.status_code == 200, found.json()
    data = found.json()
    assert data["matches"] is True and data["host"] == finished.environment.name
    assert data["job_id"] == "0x" + finished.uuid.bytes.hex() + "00" * 16
    assert data["gpu_seconds"] == 0 and data["recipient"] == finished.owner.address
    wrong = api.get(f"/api/v1/compute/receipts/{uid}", {"output_digest": "0x" + "11" * 32})
    assert wrong.json()["matches"] is False
    assert api.get("/api/v1/compute/receipts/0x" + "00" * 32).status_code == 404
    assert api.get("/api/v1/compute/receipts/nothex").status_code == 400


def test_gpu_environments_get_the_devices_and_no_address_space_limit(tmp_path):
    spec = SandboxSpec(
        algo_dir=tmp_path,
        data_dir=tmp_path,
        inputs_dir=tmp_path,
        out_dir=tmp_path,
        entry_point="train.py",
        uid=200_001,
        time_limit_seconds=60,
        memory_mb=1024,
    )
    cpu = command(spec)
    assert any(arg.startswith("--as=") for arg in cpu)
    assert "CUDA_VISIBLE_DEVICES" not in cpu
    assert not any(arg.startswith("/dev/nvidia") for arg in cpu)  # no GPU device is passed
    spec.gpu_count = 2
    gpu = command(spec)
    assert not any(arg.startswith("--as=") for arg in gpu)
    at = gpu.index("CUDA_VISIBLE_DEVICES")
    assert gpu[at - 1] == "--setenv" and gpu[at + 1] == "0,1"
    import glob

    for node in glob.glob("/dev/nvidia*"):  # on a GPU host every node is passed through
        assert ["--dev-bind", node, node] == gpu[gpu.index(node) - 1 : gpu.index(node) + 2]
