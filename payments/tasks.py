"""Celery tasks of payments: `_task` names, `name=` pinned (docs/architecture.md)."""

from celery import shared_task

from chain import client
from payments.access import signed_requests
from payments.offers import cancels


@shared_task(
    name="payments.tasks.download_nonce_purge",
    ignore_result=True,
    acks_late=True,
    soft_time_limit=60,
    time_limit=90,
)
def download_nonce_purge_task() -> int:
    """Delete the nonces of expired signed download requests. Idempotent (acks_late is safe);
    for the beat schedule."""
    return signed_requests.download_nonce_purge()


@shared_task(
    name="payments.tasks.offer_cancels_relay",
    ignore_result=True,
    acks_late=True,  # idempotent: an offer cancelled on-chain already is only recorded
    autoretry_for=client.RPC_ERRORS,
    retry_backoff=True,
    max_retries=8,
    soft_time_limit=120,
    time_limit=180,
)
def offer_cancels_relay_task(offer_ids: list[int]) -> list[str]:
    """Relay the creator's signed cancellations of replaced offers (payments.offers.cancels)."""
    return cancels.offer_cancels_relay(offer_ids=offer_ids)


@shared_task(
    name="payments.tasks.relay_reconcile",
    ignore_result=True,
    acks_late=True,  # idempotent: a settled relay is not looked at again
    soft_time_limit=60,
    time_limit=90,
)
def relay_reconcile_task() -> int:
    """Settle relayed purchases whose receipt the request stopped waiting for."""
    from payments.relay import submit  # web3 and eth-account: in the worker only

    return submit.reconcile()
