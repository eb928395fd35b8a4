"""Issue 15: a cap on each person's queued and running jobs, and buyers' job inputs deleted
once the job has been finished for the retention window."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from artifacts.models import Artifact
from artifacts.storage import storage_for
from compute import services
from compute.models import Job, JobInput
from compute.retention import job_inputs_purge
from compute.tests.helpers import buyer_with_licence, dataset_listing, environment, script
from core.errors import ApiError

pytestmark = pytest.mark.django_db


def queue(listing, owner, host, capture, inputs=()):
    with capture(execute=False):  # queued, not run
        return services.job_submit(
            owner=owner,
            listing=listing,
            request=services.JobRequest(
                environment=host.name, algorithm_file=script("1\n"), inputs=inputs
            ),
        )


def test_queued_jobs_are_capped_per_person(
    compute_settings, settings, django_capture_on_commit_callbacks
):
    settings.COMPUTE_MAX_ACTIVE_JOBS_PER_USER = 2
    host = environment()
    listing = dataset_listing(hosts=[host])
    owner = buyer_with_licence(listing, balance=10)
    for _ in range(2):
        queue(listing, owner, host, django_capture_on_commit_callbacks)
    with pytest.raises(ApiError) as refused:
        queue(listing, owner, host, django_capture_on_commit_callbacks)
    assert (refused.value.status_code, refused.value.get_codes()) == (429, "too_many_jobs")
    Job.objects.filter(owner=owner).update(status=Job.Status.SUCCEEDED)
    queue(listing, owner, host, django_capture_on_commit_callbacks)  # room again


def test_finished_jobs_inputs_are_garbage_collected(
    compute_settings, django_capture_on_commit_callbacks
):
    host = environment()
    listing = dataset_listing(hosts=[host])
    owner = buyer_with_licence(listing, balance=10)
    old_input = SimpleUploadedFile("old.txt", b"only this job's input")
    new_input = SimpleUploadedFile("new.txt", b"a recent job's input")
    old = queue(listing, owner, host, django_capture_on_commit_callbacks, inputs=[old_input])
    new = queue(listing, owner, host, django_capture_on_commit_callbacks, inputs=[new_input])
    long_ago = timezone.now() - timedelta(days=30)
    Job.objects.filter(pk=old.pk).update(status=Job.Status.SUCCEEDED, finished_at=long_ago)
    Job.objects.filter(pk=new.pk).update(status=Job.Status.SUCCEEDED, finished_at=timezone.now())
    gone = old.inputs.get(mount="inputs").artifact
    kept = new.inputs.get(mount="inputs").artifact
    data_files = list(old.inputs.filter(mount="data").values_list("artifact_id", flat=True))

    assert job_inputs_purge() == 1
    assert not Artifact.objects.filter(pk=gone.pk).exists()
    assert not storage_for(gone).exists(gone.cid)
    assert Artifact.objects.filter(pk=kept.pk).exists()
    # The listing's own files (staged under /data) are never touched.
    assert JobInput.objects.filter(job=old, mount="data").count() == len(data_files)
    assert Artifact.objects.filter(pk__in=data_files).count() == len(data_files)
    assert job_inputs_purge() == 0  # idempotent
