"""Writes for notifications: `notify` is the one door (idempotent per recipient and fact)."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from notifications.models import Notification

Kind = Notification.Kind


def notify(
    *, recipient, kind: str, title: str, key: str, body: str = "", url: str = ""
) -> Notification | None:
    """Tell `recipient` (a User, or an address that may belong to one) about something once per
    `key`. Returns the new notification, or None (no such person, or already told). An e-mail
    follows after commit when the person gave an address."""
    if isinstance(recipient, str):
        recipient = User.objects.filter(address__iexact=recipient).first()
    if recipient is None:
        return None
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=recipient, kind=kind, title=title[:200], body=body, url=url, key=key
            )
    except IntegrityError:
        return None  # the same fact, seen again (a handler's retry or a reorg replay)
    if recipient.email:
        from notifications.tasks import notification_email_send  # tasks import services

        notification_email_send.delay_on_commit(notification.pk)
    return notification


def notification_email(*, notification_id: int) -> bool:
    """Send one notification by e-mail, once. Returns whether a mail went out."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .select_related("recipient")
            .filter(pk=notification_id, emailed_at__isnull=True)
            .first()
        )
        if notification is None or not notification.recipient.email:
            return False
        link = f"{settings.SITE_URL.rstrip('/')}{notification.url}" if notification.url else ""
        text = "\n\n".join(part for part in (notification.body, link) if part)
        send_mail(
            subject=notification.title,
            message=text or notification.title,
            from_email=None,  # DEFAULT_FROM_EMAIL
            recipient_list=[notification.recipient.email],
        )
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return True


def notification_mark_read(*, recipient, ids: list[int] | None = None) -> int:
    """Mark the recipient's unread notifications (or only `ids`) read. Returns how many."""
    unread = Notification.objects.filter(recipient=recipient, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())
