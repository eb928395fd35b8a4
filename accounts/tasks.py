from celery import shared_task

from accounts import services


@shared_task(ignore_result=True, acks_late=True, soft_time_limit=60, time_limit=90)
def nonce_purge() -> int:
    """Delete expired SIWE nonces. Idempotent (acks_late is safe); for the beat schedule."""
    return services.siwe_nonce_purge_expired()
