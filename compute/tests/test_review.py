"""Review fixes: bad input answered 4xx, what a job writes that the database cannot hold, who
may trust a CID, and jobs no runner will ever pick up."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from artifacts.models import Upload
from compute import environments, runner, services, staging, tasks
from compute.models import ComputeEnvironment, Job
from compute.outputs import LogSink, OutputRejected, output_files, outputs_store
from compute.tests.helpers import buyer_with_licence, dataset_listing, environment, log_of, script
from payments.tests.access_helpers import api_for, stored_file

S = Job.Status


def queued(host, capture) -> Job:
    listing = dataset_listing(hosts=[host])
    with capture(execute=False):  # queued, not run
        return services.job_submit(
            owner=buyer_with_licence(listing),
            listing=listing,
            request=services.JobRequest(environment=host.name, algorithm_file=script("1\n")),
        )


@pytest.mark.django_db
def test_the_log_and_receipt_apis_answer_bad_input_with_400(
    compute_settings, django_capture_on_commit_callbacks
):
    job = queued(environment(), django_capture_on_commit_callbacks)
    api = api_for(job.owner)
    url = f"/api/v1/compute/jobs/{job.uuid}/log"
    assert api.get(url, {"after": 10**30}).json()["text"] == ""  # past any bigint: no 500
    for after in (-1, "x"):
        assert api.get(url, {"after": after}).status_code == 400, after
    assert api.get("/api/v1/compute/jobs/not-a-uuid/log").status_code == 404
    spaced = "0x" + "00 " * 31 + "00"  # bytes.fromhex would read 32 bytes from this
    for uid in (spaced, "0x" + "zz" * 32, "0x" + "0" * 63, "é"):
        response = api_for(None).get(f"/api/v1/compute/receipts/{uid}")
        assert response.status_code == 400 and response.json()["error"]["code"] == "uid_invalid"


@pytest.mark.django_db
def test_the_policy_page_refuses_a_non_ascii_digit_pk(compute_settings, client):
    listing = dataset_listing()
    client.force_login(listing.creator)
    url = f"/compute/listings/{listing.slug}/policy"
    for pk in ("²", "١", "", "x"):  # "²".isdigit() is True, int("²") raises
        response = client.post(url, {"action": "remove-algorithm", "pk": pk})
        assert response.status_code == 200, pk  # the page again, nothing removed
    assert client.post(url, {"action": "remove-algorithm", "pk": "7"}).status_code == 302


@pytest.mark.django_db
def test_a_nul_in_the_log_is_stored_as_a_replacement_character(
    compute_settings, django_capture_on_commit_callbacks
):
    """PostgreSQL text cannot hold NUL: the chunk's INSERT would fail the job."""
    job = queued(environment(), django_capture_on_commit_callbacks)
    sink = LogSink(job)
    sink.write(b"a\x00b\n")
    sink.flush()
    assert log_of(job) == "a\ufffdb\n"


def test_output_names_the_manifest_and_database_cannot_hold_are_refused(settings, tmp_path):
    settings.COMPUTE_OUTPUT_MAX_BYTES = 1024
    (tmp_path / "ok.txt").write_text("1")
    assert [name for name, _path, _size in output_files(tmp_path)] == ["ok.txt"]
    for bad in (b"\xff.txt", b"a\tQmForged\nb.txt", b"x" * 200 + b"/" + b"y" * 100):
        target = tmp_path.joinpath(bad.decode(errors="surrogateescape"))
        target.parent.mkdir(exist_ok=True)
        target.write_text("1")
        with pytest.raises(OutputRejected):
            output_files(tmp_path)
        target.unlink()


@pytest.mark.django_db(transaction=True)
def test_a_job_writing_a_non_utf8_name_fails_with_a_clear_reason(compute_settings):
    from compute.tests.helpers import submit

    listing = dataset_listing(hosts=[host := environment()])
    source = "import os\nopen(os.fsencode('/out/') + b'\\xff', 'w').write('1')\n"
    job = submit(listing, buyer_with_licence(listing), host, source)
    job.refresh_from_db()
    assert job.status == S.FAILED and "not UTF-8" in job.reason, job.reason
    assert not job.outputs.exists() and job.usage.wall_seconds >= 1
    assert not list(compute_settings.COMPUTE_STAGING_DIR.iterdir())


@pytest.mark.django_db(transaction=True)
def test_many_files_past_the_output_cap_stop_the_job_while_it_runs(compute_settings):
    """RLIMIT_FSIZE caps each file; the total is watched while the job runs (the host's disk
    would fill long before the time limit), not only at publishing."""
    from compute.tests.helpers import submit

    listing = dataset_listing(hosts=[host := environment()])
    source = (
        "import time\n"
        "for i in range(8):\n"
        "    open(f'/out/part{i}', 'wb').write(b'x' * 60_000)\n"  # each under the 64 KiB cap
        "print('written', flush=True)\n"
        "time.sleep(30)\n"
    )
    started = time.monotonic()
    job = submit(listing, buyer_with_licence(listing), host, source, max_seconds=15)
    job.refresh_from_db()
    assert job.status == S.FAILED and "output limit" in job.reason, job.reason
    assert time.monotonic() - started < 10  # not left to run to its time limit
    assert "[runner] The job wrote more than the output limit" in log_of(job)
    assert job.usage.wall_seconds >= 1 and not job.outputs.exists()


@pytest.mark.django_db
def test_a_trusted_algorithm_must_be_the_creators_own_file(compute_settings):
    listing = dataset_listing()
    url = f"/api/v1/compute/listings/{listing.slug}/compute-policy/algorithms"
    others = stored_file(b"secret,paid,rows\n")  # e.g. another listing's file: CIDs are public
    body = {"name": "A", "cid": others.cid, "entry_point": "a.py"}
    refused = api_for(listing.creator).post(url, body, format="json")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "algorithm_not_found"
    Upload.objects.create(
        owner=listing.creator, filename="a.py", size=others.size, status=Upload.Status.COMPLETE,
        artifact=others, expires_at=timezone.now(),
    )  # fmt: skip
    assert api_for(listing.creator).post(url, body, format="json").status_code == 201
    # The API and forms trim whitespace; the services must not rely on it ("$" matches
    # before a final newline).
    assert not services.ENTRY_POINT.match("a.py\n") and not services.INPUT_NAME.match("a\n")


@pytest.mark.django_db
def test_the_watchdog_fails_jobs_queued_on_a_host_that_went_offline(
    compute_settings, django_capture_on_commit_callbacks
):
    host = environment()
    job = queued(host, django_capture_on_commit_callbacks)
    busy = queued(host, django_capture_on_commit_callbacks)
    old = timezone.now() - timedelta(seconds=compute_settings.COMPUTE_JOB_STALE_SECONDS + 1)
    Job.objects.filter(pk__in=[job.pk, busy.pk]).update(created_at=old)
    assert environments.jobs_fail_stale() == []  # its host is online: it will run
    ComputeEnvironment.objects.filter(pk=host.pk).update(status=ComputeEnvironment.Status.OFFLINE)
    # A host whose every slot runs a job looks offline too (heartbeats wait behind the jobs).
    busy = services.job_set_status(job=busy, to_status=S.STAGING)
    assert environments.jobs_fail_stale() == []
    services.job_set_status(job=busy, to_status=S.CANCELLED)
    assert environments.jobs_fail_stale() == [job.pk]
    job.refresh_from_db()
    assert job.status == S.FAILED and "went offline" in job.reason
    entitlement = job.entitlement
    policy = job.listing.compute_policy
    left = services.allowance_remaining_seconds(entitlement=entitlement, policy=policy)
    assert left == policy.minutes_per_licence * 60  # nothing reserved any more


@pytest.mark.django_db
def test_staging_stamps_the_heartbeat_while_it_copies(
    compute_settings, django_capture_on_commit_callbacks, monkeypatch
):
    """A large dataset takes longer to stage than the watchdog waits for a silent runner."""
    job = queued(environment(), django_capture_on_commit_callbacks)
    job = services.job_set_status(job=job, to_status=S.STAGING)
    old = timezone.now() - timedelta(seconds=compute_settings.COMPUTE_JOB_STALE_SECONDS + 1)
    Job.objects.filter(pk=job.pk).update(heartbeat_at=old)
    monkeypatch.setattr(staging, "HEARTBEAT_SECONDS", 0)
    area = staging.Staging.for_job(job)
    area.prepare(job)
    area.cleanup()
    job.refresh_from_db()
    assert job.heartbeat_at > old
    assert environments.jobs_fail_stale() == []


@pytest.mark.django_db
def test_odd_input_file_names_are_refused_not_staged(
    compute_settings, django_capture_on_commit_callbacks
):
    listing = dataset_listing(hosts=[host := environment()])
    buyer = buyer_with_licence(listing)
    # (Django's parser already reduces "../x" and "a/b.csv" to their last part.)
    for name in (".hidden", "é.csv", "x" * 300):
        body = {
            "listing": listing.slug,
            "environment": host.name,
            "algorithm": script("1\n"),
            "inputs": [script("x", name=name)],
        }
        response = api_for(buyer).post("/api/v1/compute/jobs", body, format="multipart")
        assert response.status_code == 400, (name, response.content)
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_the_hosts_heartbeat_removes_staging_left_by_a_killed_runner(
    compute_settings, django_capture_on_commit_callbacks
):
    """A runner killed outright never reaches its `finally`: the copies of the paid files
    would stay on the host for good."""
    host = environment()
    left, running = (queued(host, django_capture_on_commit_callbacks) for _ in range(2))
    for job in (left, running):
        job = services.job_set_status(job=job, to_status=S.STAGING)
        staging.Staging.for_job(job).prepare(job)
    services.job_set_status(job=left, to_status=S.FAILED, reason="the watchdog")
    other = compute_settings.COMPUTE_STAGING_DIR / "not-a-job"
    other.mkdir()
    tasks.heartbeat(host.name)  # what the host's worker runs from its queue
    assert not staging.Staging.for_job(left).root.exists()
    assert (staging.Staging.for_job(running).root / "data" / "table.csv").exists()
    assert other.exists()  # only directories named after a job are touched


@pytest.mark.django_db
def test_publishing_stamps_the_heartbeat_and_a_failed_job_keeps_no_outputs(
    compute_settings, django_capture_on_commit_callbacks, tmp_path
):
    """Storing a large result takes longer than the watchdog waits: the stamps must be
    committed as it goes, and if the watchdog failed the job anyway, no outputs are kept."""
    job = queued(environment(), django_capture_on_commit_callbacks)
    for status in (S.STAGING, S.RUNNING, S.PUBLISHING):
        job = services.job_set_status(job=job, to_status=status)
    out = tmp_path / "out"  # not tmp_path itself: the artifact store lives there too
    out.mkdir()
    (out / "a.txt").write_text("1")
    old = timezone.now() - timedelta(seconds=compute_settings.COMPUTE_JOB_STALE_SECONDS + 1)
    Job.objects.filter(pk=job.pk).update(heartbeat_at=old)
    digest, manifest, outputs = outputs_store(job=job, out_dir=out)
    job.refresh_from_db()
    assert job.heartbeat_at > old and [o.path for o in outputs] == ["a.txt"]
    assert digest == "0x" + manifest.sha256
    services.job_set_status(job=job, to_status=S.FAILED, reason="the watchdog")
    assert runner._end(job, S.SUCCEEDED, "", output_digest=digest) is False
    job.refresh_from_db()
    assert job.status == S.FAILED and job.output_digest == "" and not job.outputs.exists()


@pytest.mark.django_db
def test_a_host_whose_slots_are_all_busy_stays_online(
    settings, compute_settings, django_capture_on_commit_callbacks
):
    """Heartbeat tasks wait in the queue while every worker slot runs a job: the running job's
    own log flushes keep the host's last_seen fresh, so it does not go offline meanwhile."""
    host = environment()
    job = queued(host, django_capture_on_commit_callbacks)
    stale = timezone.now() - timedelta(seconds=settings.COMPUTE_HOST_STALE_SECONDS + 1)
    ComputeEnvironment.objects.filter(pk=host.pk).update(last_seen_at=stale)
    LogSink(job).flush()  # what the runner does every half second while the job runs
    assert environments.environments_mark_stale() == 0
    host.refresh_from_db()
    assert host.status == "online" and host.last_seen_at > stale
