from celery import shared_task

from notifications import services


@shared_task(ignore_result=True, acks_late=True, soft_time_limit=60, time_limit=90)
def notification_email_send(notification_id: int) -> bool:
    """E-mail one notification (idempotent: emailed_at is set under a row lock, so acks_late
    redelivery sends nothing twice once the first attempt committed)."""
    return services.notification_email(notification_id=notification_id)
