"""Reads for compute: hosts, a listing's policy, the owner's jobs, logs and outputs."""

from django.http import Http404

from compute.models import (
    ComputeEnvironment,
    ComputePolicy,
    Job,
    JobInput,
    JobLogChunk,
    JobOutput,
)
from listings.models import Listing
from listings.selectors import listings_controlled_by
from payments.selectors import COMPUTE_KINDS, entitlement_active


def environment_list():
    return ComputeEnvironment.objects.all()


def policy_get(*, listing: Listing) -> ComputePolicy | None:
    return (
        ComputePolicy.objects.filter(listing=listing)
        .prefetch_related("environments", "algorithms__artifact")
        .first()
    )


def job_list_for_owner(*, owner):
    return Job.objects.filter(owner=owner).select_related("listing", "environment")


def job_get_for_owner(*, owner, uuid) -> Job:
    """The caller's own job; 404 for anyone else's (a job's existence is private)."""
    if not owner.is_authenticated:
        raise Http404("No such job.")
    job = (
        Job.objects.select_related("listing", "environment", "algorithm", "output_manifest")
        .filter(owner=owner, uuid=uuid)
        .first()
    )
    if job is None:
        raise Http404("No such job.")
    return job


def job_log_after(*, job: Job, after: int, limit_chars: int = 256 * 1024) -> tuple[str, int]:
    """The log text from character `after` on (at most about `limit_chars`), and where the
    next read starts. Chunks are stored whole, so the first one may start before `after`."""
    chunks = JobLogChunk.objects.filter(job=job)
    first = chunks.filter(offset__lte=after).order_by("-offset").values_list("offset", flat=True)
    start = first[0] if first else 0
    text, position = [], after
    for chunk in chunks.filter(offset__gte=start).order_by("offset"):
        end = chunk.offset + len(chunk.text)
        if end <= position:
            continue
        text.append(chunk.text[max(position - chunk.offset, 0) :])
        position = end
        if position - after >= limit_chars:
            break
    return "".join(text), position


def job_outputs_released(*, job: Job):
    """The outputs the buyer may have: none while the creator's review is pending or after
    it rejected them (the policy's review_outputs)."""
    if job.outputs_review in ("pending", "rejected"):
        return JobOutput.objects.none()
    return job.outputs.select_related("artifact")


def job_get_for_listing_owner(*, owner, uuid) -> Job:
    """A job on a listing the caller controls now (to review its outputs); 404 otherwise."""
    listings = listings_controlled_by(user=owner)
    job = Job.objects.select_related("listing").filter(uuid=uuid, listing__in=listings).first()
    if job is None:
        raise Http404("No such job.")
    return job


def job_output_for_user(*, user, uuid, path: str) -> JobOutput:
    """An output file for its job's owner once released, or for the listing's owner, who
    reviews held outputs (404 otherwise)."""
    if user.is_authenticated:
        listings = listings_controlled_by(user=user)
        held = Job.objects.filter(uuid=uuid, listing__in=listings).first()
        if held is not None and held.owner_id != user.pk:
            return _output(held.outputs.select_related("artifact"), path)
    return job_output_get(job=job_get_for_owner(owner=user, uuid=uuid), path=path)


def _output(outputs, path: str) -> JobOutput:
    output = outputs.filter(path=path).first()
    if output is None:
        raise Http404("No such output file.")
    return output


def job_output_get(*, job: Job, path: str) -> JobOutput:
    output = job_outputs_released(job=job).filter(path=path).first()
    if output is None:
        raise Http404("No such output file.")
    return output


def compute_entitlement(*, user, listing: Listing):
    if not user.is_authenticated:
        return None
    return entitlement_active(address=user.address, listing=listing, kinds=COMPUTE_KINDS)


def artifact_of_own_job(*, user, artifact) -> bool:
    """An output, input or algorithm of one of the user's jobs."""
    jobs = Job.objects.filter(owner=user)
    return (
        jobs.filter(algorithm=artifact).exists()
        or JobOutput.objects.filter(job__in=jobs, artifact=artifact).exists()
        or JobInput.objects.filter(job__in=jobs, artifact=artifact).exists()
    )


def active_job_count(*, owner) -> int:
    from compute.models import FINISHED

    return Job.objects.filter(owner=owner).exclude(status__in=FINISHED).count()
