"""The listing page's "Run a job" panel for the signed-in viewer.

{% load compute_tags %}{% compute_panel listing as compute %}
{% include "compute/_panel.html" %}"""

from dataclasses import dataclass, field

from django import template

from compute import selectors, services
from compute.models import ComputeEnvironment
from listings.selectors import listing_controlled_by

register = template.Library()


@dataclass
class ComputePanel:
    offered: bool = False  # the listing has a compute policy with at least one host
    is_creator: bool = False
    policy: object = None
    environments: list = field(default_factory=list)
    entitlement: object = None
    remaining_minutes: int = 0
    jobs: list = field(default_factory=list)


@register.simple_tag(takes_context=True)
def compute_panel(context, listing) -> ComputePanel:
    user = context["request"].user
    policy = selectors.policy_get(listing=listing)
    environments = list(policy.environments.all()) if policy else []
    panel = ComputePanel(
        offered=bool(environments),
        is_creator=listing_controlled_by(listing=listing, user=user),
        policy=policy,
        environments=environments,
    )
    panel.entitlement = selectors.compute_entitlement(user=user, listing=listing)
    if panel.entitlement is not None and policy is not None:
        seconds = services.allowance_remaining_seconds(entitlement=panel.entitlement, policy=policy)
        panel.remaining_minutes = max(seconds, 0) // 60
        panel.jobs = list(selectors.job_list_for_owner(owner=user).filter(listing=listing)[:5])
    return panel


@register.filter
def is_online(environment) -> bool:
    return environment.status == ComputeEnvironment.Status.ONLINE


@register.simple_tag
def active_jobs(user) -> dict:
    """The profile page's figure for the queued-jobs quota."""
    from django.conf import settings

    count = selectors.active_job_count(owner=user) if user.is_authenticated else 0
    return {"count": count, "limit": settings.COMPUTE_MAX_ACTIVE_JOBS_PER_USER}
