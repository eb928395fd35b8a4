from celery import shared_task

from artifacts import services


@shared_task(ignore_result=True, acks_late=True, soft_time_limit=300, time_limit=360)
def upload_purge_expired() -> int:
    """Expire idle uploads and delete their part files. Idempotent (acks_late is safe); for the
    beat schedule (hourly is plenty)."""
    return services.upload_purge_expired()
