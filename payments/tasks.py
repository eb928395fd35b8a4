from celery import shared_task

from payments import downloads


@shared_task(ignore_result=True, acks_late=True, soft_time_limit=60, time_limit=90)
def download_nonce_purge() -> int:
    """Delete the nonces of expired signed download requests. Idempotent (acks_late is safe);
    for the beat schedule."""
    return downloads.download_nonce_purge()
