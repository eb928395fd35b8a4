"""Writes for notifications: `notify` is the one door (idempotent per recipient and fact);
`notify_many` the same for a batch of facts (the chain handlers')."""

from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from core.bulk import insert_rows
from core.eth import is_address, to_checksum_address
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


@dataclass(frozen=True)
class Notice:
    """One thing to tell: `notify`'s arguments."""

    recipient: object  # a User, or an address that may belong to one
    kind: str
    title: str
    key: str
    body: str = ""
    url: str = ""


CHUNK = 500  # values per IN (...): under every database's parameter limit


def users_by_address(addresses: set[str]) -> dict[str, User]:
    """{lowercase address: user} for the addresses that belong to someone. Users' addresses are
    stored checksummed (accounts.models), so an exact match on that form uses their index."""
    found = {}
    ordered = sorted({to_checksum_address(a) for a in addresses if is_address(a)})
    for start in range(0, len(ordered), CHUNK):
        for user in User.objects.filter(address__in=ordered[start : start + CHUNK]):
            found[user.address.lower()] = user
    return found


def _told(recipient_ids: set[int], keys: set[str]) -> set[tuple[int, str]]:
    """(recipient id, key) of the facts among `keys` these recipients were told already. By
    recipient and key: the unique index's order (key alone would scan the table)."""
    ordered, told = sorted(keys), set()
    for start in range(0, len(ordered), CHUNK):
        chunk = Notification.objects.filter(
            recipient_id__in=recipient_ids, key__in=ordered[start : start + CHUNK]
        )
        told.update(chunk.values_list("recipient_id", "key"))
    return told


def notify_many(notices: list[Notice]) -> int:
    """`notify` for each of `notices`, in a few queries whatever their number (a backfill
    hands the chain handlers thousands of sales at once). Returns how many were new."""
    addresses = {n.recipient.lower() for n in notices if isinstance(n.recipient, str)}
    users = users_by_address(addresses) if addresses else {}
    resolved = []
    for notice in notices:
        who = notice.recipient
        recipient = users.get(who.lower()) if isinstance(who, str) else who
        if recipient is not None:
            resolved.append((recipient, notice))
    if not resolved:
        return 0
    told = _told({r.pk for r, _ in resolved}, {n.key for _, n in resolved})
    fresh = {}
    for recipient, notice in resolved:
        if (recipient.pk, notice.key) not in told:
            fresh.setdefault((recipient.pk, notice.key), (recipient, notice))
    now = timezone.now()
    insert_rows(
        Notification,
        ("recipient", "kind", "title", "body", "url", "key", "created_at"),
        [
            (recipient.pk, n.kind, n.title[:200], n.body, n.url, n.key, now)
            for recipient, n in fresh.values()
        ],
        ignore_conflicts=True,  # told meanwhile by another process: still once
    )  # one prepared statement: a backfill tells a creator of thousands of sales at once
    _email_after_commit({key for key, (recipient, _) in fresh.items() if recipient.email})
    return len(fresh)


def _email_after_commit(keys: set[tuple[int, str]]) -> None:
    if not keys:
        return
    from notifications.tasks import notification_email_send  # tasks import services

    ordered = sorted({key for _, key in keys})
    for start in range(0, len(ordered), CHUNK):
        rows = Notification.objects.filter(key__in=ordered[start : start + CHUNK])
        for pk, recipient_id, key in rows.values_list("pk", "recipient_id", "key"):
            if (recipient_id, key) in keys:
                notification_email_send.delay_on_commit(pk)


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
