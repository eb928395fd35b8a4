"""Reports to moderators and the ownership token's transfers."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.db import WeiField
from listings.models.listing import Listing


class Report(models.Model):
    """A signed-in user's report of a listing. Moderators resolve it, and the decision stays."""

    class Category(models.TextChoices):
        MALWARE = "malware", "Malicious or unsafe files"
        COPYRIGHT = "copyright", "Copyright or licence violation"
        PRIVACY = "privacy", "Personal data or privacy"
        MISLEADING = "misleading", "Misleading description"
        ILLEGAL = "illegal", "Illegal or harmful content"
        SPAM = "spam", "Spam or scam"
        OTHER = "other", "Something else"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACTIONED = "actioned", "Resolved: action taken"
        DISMISSED = "dismissed", "Resolved: no action"

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    category = models.CharField(max_length=16, choices=Category.choices)
    text = models.TextField(max_length=4000)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    decision = models.TextField(blank=True, help_text="What the moderator decided, and why.")
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "listing"], name="report_status_listing")]
        constraints = [
            # One open report per person and listing: reporting again adds nothing to the queue.
            models.UniqueConstraint(
                fields=["listing", "reporter"],
                condition=Q(status="open"),
                name="report_one_open_per_reporter",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.listing}"


class OwnershipTransfer(models.Model):
    """A `Transfer` of a listing's ListingOwnership token (the mint at registration included),
    one per log: the latest in chain order names the listing's owner, and the rows together are
    its ownership history. Deleted with the log when a reorg orphans it."""

    log = models.OneToOneField("chain.ChainLog", on_delete=models.CASCADE, related_name="+")
    listing = models.ForeignKey(
        Listing, null=True, on_delete=models.CASCADE, related_name="ownership_transfers"
    )
    onchain_listing_id = WeiField()
    from_address = models.CharField(max_length=42)
    to_address = models.CharField(max_length=42)
    tx_hash = models.CharField(max_length=66)
    block_number = models.PositiveBigIntegerField()
    log_index = models.PositiveIntegerField()
    block_time = models.DateTimeField()

    class Meta:
        ordering = ["listing_id", "block_number", "log_index"]
        indexes = [
            models.Index(fields=["listing", "block_number", "log_index"], name="ownership_order")
        ]

    def __str__(self) -> str:
        return f"{self.listing_id}: {self.from_address} -> {self.to_address}"

    @property
    def order(self) -> tuple[int, int]:
        return (self.block_number, self.log_index)
