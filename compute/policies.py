"""Writes for a listing's compute policy (its creator's choices): which hosts may run it,
whether buyers may bring their own scripts, the minutes per licence, trusted algorithms."""

from django.db import transaction

from accounts.selectors import user_get_by_address
from compute.models import ComputeEnvironment, ComputePolicy, TrustedAlgorithm
from compute.services import ENTRY_POINT
from listings.models import Listing
from listings.selectors import artifacts_publishable_by
from marketplace.api_errors import ApiError


def policy_for(*, listing: Listing) -> ComputePolicy:
    policy, _ = ComputePolicy.objects.get_or_create(listing=listing)
    return policy


@transaction.atomic
def policy_update(
    *,
    listing: Listing,
    environments: list[str],
    allow_raw_algorithms: bool,
    minutes_per_licence: int,
) -> ComputePolicy:
    """Replace the policy's settings; `environments` are host names (unknown ones refused)."""
    found = list(ComputeEnvironment.objects.filter(name__in=environments))
    unknown = sorted(set(environments) - {env.name for env in found})
    if unknown:
        raise ApiError(f"No such compute host: {', '.join(unknown)}.", code="environment_unknown")
    policy = policy_for(listing=listing)
    policy.allow_raw_algorithms = allow_raw_algorithms
    policy.minutes_per_licence = minutes_per_licence
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
    policy = policy_for(listing=listing)
    algorithm, _ = TrustedAlgorithm.objects.update_or_create(
        policy=policy, artifact=artifact, defaults={"name": name, "entry_point": entry_point}
    )
    return algorithm


def trusted_algorithm_remove(*, listing: Listing, pk: int) -> None:
    TrustedAlgorithm.objects.filter(policy__listing=listing, pk=pk).delete()
