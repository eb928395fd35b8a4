"""Test data for compute: a dataset listing whose files are really stored, a host, a policy,
and a buyer holding a compute licence (an Entitlement as the indexer writes it)."""

import io
import itertools

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from compute import services
from compute.models import ComputeEnvironment, ComputePolicy, Job
from listings.models import Listing
from listings.tests import factories
from payments.tests.access_helpers import entitle, published_listing, tier

DATASET = b"id,value\n1,10\n2,20\n3,30\n"
_names = itertools.count(1)


@pytest.fixture
def compute_settings(settings, tmp_path):
    settings.COMPUTE_STAGING_DIR = tmp_path / "staging"
    settings.COMPUTE_OUTPUT_MAX_BYTES = 64 * 1024
    settings.COMPUTE_ATTEST_RECEIPTS = False
    return settings


def environment(**fields) -> ComputeEnvironment:
    defaults = {
        "name": f"host-{next(_names)}",
        "ram_mb": 512,
        "max_duration_seconds": 20,
        "status": ComputeEnvironment.Status.ONLINE,
        "last_seen_at": timezone.now(),
    }
    return ComputeEnvironment.objects.create(**{**defaults, **fields})


def dataset_listing(*, allow_raw: bool = True, minutes: int = 60, hosts=()) -> Listing:
    listing = published_listing(files=[("table.csv", DATASET), ("notes/readme.txt", b"hi\n")])
    Listing.objects.filter(pk=listing.pk).update(kind=Listing.Kind.DATASET)
    policy = ComputePolicy.objects.create(
        listing=listing, allow_raw_algorithms=allow_raw, minutes_per_licence=minutes
    )
    policy.environments.set(hosts)
    return listing


def buyer_with_licence(listing: Listing, *, balance: int = 1):
    user = factories.user()
    entitle(user.address, tier(listing, "Compute"), balance=balance)
    return user


def script(source: str, name: str = "main.py") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, source.encode(), content_type="text/x-python")


def submit(listing, owner, host, source: str, **request) -> Job:
    """Submit `source` as a raw script; with eager Celery the job runs at commit."""
    return services.job_submit(
        owner=owner,
        listing=listing,
        request=services.JobRequest(
            environment=host.name, algorithm_file=script(source), **request
        ),
    )


def log_of(job: Job) -> str:
    return "".join(job.log_chunks.order_by("offset").values_list("text", flat=True))


def as_bytes(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode())
