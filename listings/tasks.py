"""Celery tasks of listings: `_task` names, `name=` pinned (docs/architecture.md)."""

import requests
from celery import shared_task
from celery.contrib.django.task import DjangoTask
from web3.exceptions import ContractLogicError

from chain import client
from listings import provenance
from listings.moderation import chain as moderation_chain


@shared_task(
    name="listings.tasks.version_attest_release",
    acks_late=True,  # idempotent: an attested version is not attested again
    autoretry_for=(requests.ConnectionError, requests.Timeout),
    retry_backoff=True,
    max_retries=8,
    soft_time_limit=120,
    time_limit=180,
)
def version_attest_release_task(version_id: int) -> str:
    return provenance.version_attest_release(version_id=version_id)


class _PauseTask(DjangoTask):  # DjangoTask: the app's task class (delay_on_commit)
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        """Called once the retries are spent (or at once for errors not worth retrying)."""
        listing_id, paused = args  # queued as .delay_on_commit(listing.pk, paused)
        moderation_chain.listing_pause_failed(listing_id=listing_id, paused=paused, error=exc)


@shared_task(
    name="listings.tasks.listing_pause_onchain",
    base=_PauseTask,
    acks_late=True,  # idempotent: pausing a paused listing changes nothing on-chain
    autoretry_for=client.RPC_ERRORS,
    # A revert (a key without MODERATOR_ROLE) fails the same way every time: record it now.
    dont_autoretry_for=(ContractLogicError,),
    retry_backoff=True,
    max_retries=8,
    soft_time_limit=120,
    time_limit=180,
)
def listing_pause_onchain_task(listing_id: int, paused: bool) -> str:
    """Pause (or unpause) sales of a listing in the Marketplace contract with the platform's
    moderator key. Works before the listing's first sale too (the contract keeps the flag for
    lazy listings). `Listing.onchain_paused` follows from the indexed event, not from here."""
    return moderation_chain.listing_pause_onchain(listing_id=listing_id, paused=paused)


@shared_task(
    name="listings.tasks.listing_autopublish", ignore_result=True, soft_time_limit=60, time_limit=90
)
def listing_autopublish_task(listing_id: int, attempt: int) -> None:
    """Publish a listing submitted while review is off, once its scans have finished."""
    from listings import services
    from listings.models import Listing

    listing = Listing.objects.filter(pk=listing_id, status=Listing.Status.PENDING_REVIEW).first()
    if listing is not None:  # withdrawn or published meanwhile: nothing to do
        services.listing_autopublish(listing=listing, attempt=attempt)
