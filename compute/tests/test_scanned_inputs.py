"""Issue 15: a compute job stages only files scanned clean: a flagged model is refused at
submission, and a file whose scan is not current (a scanner upgrade) is not staged."""

import pytest

from artifacts.models import ArtifactScan
from artifacts.tests import corpus
from compute import runner, services
from compute.models import ComputePolicy, Job
from compute.tests.helpers import buyer_with_licence, dataset_listing, environment, script
from core.errors import ApiError
from payments.tests.access_helpers import published_listing

pytestmark = pytest.mark.django_db


def request(host):
    return services.JobRequest(environment=host.name, algorithm_file=script("print(1)\n"))


def test_a_flagged_model_is_not_run(compute_settings):
    host = environment()
    listing = published_listing(files=[("model.pkl", corpus.spawn_pickle())])
    ComputePolicy.objects.create(listing=listing, allow_raw_algorithms=True).environments.set(
        [host]
    )
    with pytest.raises(ApiError) as refused:
        services.job_submit(
            owner=buyer_with_licence(listing), listing=listing, request=request(host)
        )
    assert (refused.value.status_code, refused.value.get_codes()) == (403, "file_flagged")


def test_a_file_without_a_current_scan_is_not_staged(
    compute_settings, django_capture_on_commit_callbacks
):
    host = environment()
    listing = dataset_listing(hosts=[host])
    with django_capture_on_commit_callbacks(execute=False):  # queued, not run
        job = services.job_submit(
            owner=buyer_with_licence(listing), listing=listing, request=request(host)
        )
    ArtifactScan.objects.all().delete()  # as after a scanner upgrade, before the rescans
    runner.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.reason.startswith("Not staged:") and "scanned" in job.reason
