"""A buyer with a compute licence (bought on anvil, indexed) submits a Python script over a
dataset from the listing page, watches the log stream and the status change on the job page,
downloads the result, and the JobReceipt on chain matches it. The job runs on a real Celery
worker consuming the host's own queue, in the real sandbox."""

import hashlib
import io
import textwrap

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone
from eth_account import Account
from playwright.sync_api import expect

from artifacts.cid import hash_file
from artifacts.services import artifact_create_from_stream
from compute import receipts
from compute.models import ComputeEnvironment, ComputePolicy, Job
from listings.models import LicenseTerms, Listing
from marketplace.celery import app as celery_app
from payments.tests.buying import TierSpec, tokenized_listing
from payments.tests.indexing import buy, index
from tests.e2e.helpers import snapshot

DATASET = b"city,temperature\nOslo,4\nLima,19\nCairo,27\n"
SCRIPT = textwrap.dedent(
    """
    import csv, time
    rows = list(csv.DictReader(open("/data/climate.csv")))
    for i, row in enumerate(rows):
        print("reading", row["city"], flush=True)
        time.sleep(3 if i == 0 else 0.4)  # the first line shows while the job still runs
    mean = sum(int(r["temperature"]) for r in rows) / len(rows)
    open("/out/result.txt", "w").write(f"mean temperature {mean:.2f}\\n")
    print("done", flush=True)
    """
)


@pytest.fixture(autouse=True)
def _terms(transactional_db):
    LicenseTerms.objects.get_or_create(owner=None, name="Open")


@pytest.fixture
def host(transactional_db, compute_settings):
    compute_settings.COMPUTE_ATTEST_RECEIPTS = True
    return ComputeEnvironment.objects.create(
        name="e2e-cpu", ram_mb=512, status="online", last_seen_at=timezone.now()
    )


@pytest.fixture
def host_worker(host, contracts):
    """A real worker on the host's queue and the default one (where receipts are attested)."""
    celery_app.conf.task_always_eager = False
    try:
        with start_worker(
            celery_app,
            pool="solo",
            perform_ping_check=False,
            shutdown_timeout=10,
            queues=[host.queue, "celery"],
        ) as worker:
            yield worker
    finally:
        celery_app.conf.task_always_eager = True


@pytest.fixture
def listing(contracts, host, wallet):
    dataset = artifact_create_from_stream(stream=io.BytesIO(DATASET))
    listing = tokenized_listing(
        creator_key=Account.create(),
        title="City climate",
        tiers=[TierSpec(name="Compute", price_wei=10**16, kind="compute")],
        files=[("climate.csv", dataset)],
    )
    Listing.objects.filter(pk=listing.pk).update(kind=Listing.Kind.DATASET)
    policy = ComputePolicy.objects.create(listing=listing, allow_raw_algorithms=True)
    policy.environments.set([host])
    return listing


def test_run_a_script_over_a_dataset(signed_in_page, wallet, listing, host_worker, tmp_path):
    page = signed_in_page
    buy(listing, wallet.account)
    index()
    page.goto(f"/listings/{listing.slug}/")
    expect(page.get_by_test_id("compute-minutes")).to_contain_text("60 compute minutes left")
    page.get_by_test_id("compute-script").set_input_files(
        {"name": "mean.py", "mimeType": "text/x-python", "buffer": SCRIPT.encode()}
    )
    page.get_by_test_id("compute-submit").click()

    status = page.get_by_test_id("job-status")
    log = page.get_by_test_id("job-log")
    expect(status).to_have_attribute("data-status", "running")
    expect(log).to_contain_text("reading Oslo")  # streamed while the job still runs
    expect(status).to_have_attribute("data-status", "running")
    expect(status).to_have_attribute("data-status", "succeeded")
    expect(log).to_contain_text("done")
    uid = page.get_by_test_id("job-receipt-uid")
    expect(uid).to_be_visible(timeout=20_000)  # attested by the worker, then the page reloads

    with page.expect_download() as result:
        page.get_by_test_id("job-output-result.txt").click()
    result_path = tmp_path / "result.txt"
    result.value.save_as(result_path)
    assert result_path.read_bytes() == b"mean temperature 16.67\n"
    with page.expect_download() as manifest:
        page.get_by_test_id("job-manifest").click()
    manifest_path = tmp_path / "manifest.tsv"
    manifest.value.save_as(manifest_path)

    receipt = receipts.receipt_read(uid=uid.inner_text().strip())
    assert receipt["output_digest"] == "0x" + hashlib.sha256(manifest_path.read_bytes()).hexdigest()
    assert manifest_path.read_text() == f"result.txt\t{hash_file(result_path).cid}\n"
    assert receipt["input_digests"] == ["0x" + hashlib.sha256(DATASET).hexdigest()]
    assert receipt["algorithm_digest"] == "0x" + hashlib.sha256(SCRIPT.encode()).hexdigest()
    assert receipt["host"] == "e2e-cpu"
    assert receipt["recipient"] == wallet.address
    assert Job.objects.get().status == "succeeded"

    # The receipt page says, in words, that the chain agrees with the job; the manifest is
    # hashed in the browser. My jobs lists the job with its status and a link to the receipt.
    page.goto("/compute/jobs/")
    row = page.locator(f'[data-job="{Job.objects.get().uuid}"]')
    expect(row.locator("[data-job-status]")).to_have_text("Succeeded")
    row.get_by_role("link", name="Receipt").click()
    verdict = page.get_by_test_id("receipt-verdict")
    expect(verdict).to_have_text(
        "Matches: the receipt on chain agrees with this job on every point."
    )
    checks = page.get_by_test_id("receipt-checks")
    expect(checks).to_contain_text("hashes, in this browser, to the attested digest")
    expect(checks).to_contain_text("It ran on host “e2e-cpu”.")
    expect(checks.locator('[data-ok="true"]')).to_have_count(7)
    snapshot(page, "compute__receipt")
    page.set_viewport_size({"width": 390, "height": 844})
    snapshot(page, "compute__receipt_phone")
