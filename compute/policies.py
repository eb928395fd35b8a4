"""Writes for a listing's compute policy (its creator's choices): which hosts may run it,
whether buyers may bring their own scripts, the minutes per licence, trusted algorithms."""

from django.db import transaction

from accounts.selectors import user_get_by_address
from compute.models import ComputeEnvironment, ComputePolicy, Job, TrustedAlgorithm
from compute.services import ENTRY_POINT
from core.errors import ApiError
from listings.models import Listing
from listings.selectors import artifacts_publishable_by, listing_controlled_by


def policy_get_or_create(*, listing: Listing) -> ComputePolicy:
    """The listing's compute policy, created with the defaults on first use (a write: the
    first read of a listing's policy inserts its row)."""
    policy, _ = ComputePolicy.objects.get_or_create(listing=listing)
    return policy


# What the policy page and the API say before a creator lets buyers bring their own scripts.
RAW_SCRIPTS_WARNING = (
    "A buyer's own script reads your data inside the sandbox and chooses what it writes to "
    "its outputs. The egress guard refuses outputs that contain your data (whole, partial or "
    "shifted copies) or that are larger than the percentage you set, but it cannot recognise "
    "a transformed copy (compressed, encrypted, re-encoded) that fits under that size. Allow "
    "raw scripts only for buyers you would also sell a download to, keep the percentage low, "
    "or review outputs before they are released."
)


@transaction.atomic
def policy_update(
    *,
    listing: Listing,
    environments: list[str],
    allow_raw_algorithms: bool,
    minutes_per_licence: int,
    max_output_percent: int | None = None,
    review_outputs: bool | None = None,
) -> ComputePolicy:
    """Replace the policy's settings; `environments` are host names (unknown ones refused).
    Raw scripts are an explicit opt-in (RAW_SCRIPTS_WARNING says what it risks); the two
    egress settings keep their values when not given."""
    found = list(ComputeEnvironment.objects.filter(name__in=environments))
    unknown = sorted(set(environments) - {env.name for env in found})
    if unknown:
        raise ApiError(f"No such compute host: {', '.join(unknown)}.", code="environment_unknown")
    policy = policy_get_or_create(listing=listing)
    policy.allow_raw_algorithms = allow_raw_algorithms
    policy.minutes_per_licence = minutes_per_licence
    if max_output_percent is not None:
        if not 0 <= max_output_percent <= 1000:
            raise ApiError(
                "The output limit is a percentage of the data's size, 0 to 1000.",
                code="max_output_percent_invalid",
            )
        policy.max_output_percent = max_output_percent
    if review_outputs is not None:
        policy.review_outputs = review_outputs
    policy.save()
    policy.environments.set(found)
    return policy


@transaction.atomic
def trusted_algorithm_add(
    *, listing: Listing, name: str, cid: str, entry_point: str
) -> TrustedAlgorithm:
    if not ENTRY_POINT.match(entry_point):
        raise ApiError(
            "The entry point must be a file name ending in .py.", code="entry_point_invalid"
        )
    # Only the owner's own bytes: CIDs are public, and "trusting" another listing's paid file
    # would run it as a script whose SyntaxError quotes it in the log.
    owner = user_get_by_address(address=listing.owner_address)
    artifact = artifacts_publishable_by(user=owner, cids=[cid]).get(cid) if owner else None
    if artifact is None:
        raise ApiError(
            "No file of yours has that CID: upload it first.", code="algorithm_not_found"
        )
    policy = policy_get_or_create(listing=listing)
    algorithm, _ = TrustedAlgorithm.objects.update_or_create(
        policy=policy, artifact=artifact, defaults={"name": name, "entry_point": entry_point}
    )
    return algorithm


def trusted_algorithm_remove(*, listing: Listing, pk: int) -> None:
    TrustedAlgorithm.objects.filter(policy__listing=listing, pk=pk).delete()


@transaction.atomic
def job_outputs_review(*, job: Job, actor, approve: bool) -> Job:
    """The listing's owner releases (or withholds for good) a job's outputs held for review."""
    job = Job.objects.select_for_update().select_related("listing").get(pk=job.pk)
    if not listing_controlled_by(listing=job.listing, user=actor):
        raise ApiError("No such job.", code="not_found", status=404)
    if job.outputs_review != "pending":
        raise ApiError(
            "This job's outputs are not waiting for review.", code="not_pending", status=409
        )
    job.outputs_review = "approved" if approve else "rejected"
    job.save(update_fields=["outputs_review"])
    return job
