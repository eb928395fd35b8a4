"""What the site tells a person: an access request or decision, a sale, a payout credited, a
finished job, a moderation outcome, a report on their listing. Ground floor: other apps call
`services.notify`; this app imports none of them."""

from django.conf import settings
from django.db import models


class Notification(models.Model):
    class Kind(models.TextChoices):
        ACCESS_REQUEST = "access_request", "Access request"
        ACCESS_DECISION = "access_decision", "Access decision"
        SALE = "sale", "Sale"
        PAYOUT = "payout", "Payout credited"
        JOB = "job", "Compute job"
        MODERATION = "moderation", "Moderation"
        REPORT = "report", "Report on your listing"

    # No index of its own: notification_once_per_fact and notification_unread start with it.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True, help_text="Where to act on it (a path).")
    # The fact it reports (e.g. "sale:31337:0xtx:3"): chain handlers run again after a reorg or
    # a retry, and the same fact must not notify twice.
    key = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="notification_once_per_fact")
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} · {self.title}"
