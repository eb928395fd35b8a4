import requests
from celery import shared_task

from listings import provenance


@shared_task(
    acks_late=True,  # idempotent: an attested version is not attested again
    autoretry_for=(requests.ConnectionError, requests.Timeout),
    retry_backoff=True,
    max_retries=8,
    soft_time_limit=120,
    time_limit=180,
)
def version_attest_release(version_id: int) -> str:
    return provenance.version_attest_release(version_id=version_id)
