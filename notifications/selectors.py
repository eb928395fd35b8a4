"""Reads for notifications."""

from notifications.models import Notification

INBOX_SIZE = 100


def notification_unread_count(*, recipient) -> int:
    return Notification.objects.filter(recipient=recipient, read_at__isnull=True).count()


def notification_list(*, recipient, limit: int = INBOX_SIZE):
    return Notification.objects.filter(recipient=recipient)[:limit]
