"""What a listing sells: its tiers and the split of each sale."""

from django.db import models
from django.db.models import Q

from core.db import WeiField
from listings.models.listing import Listing


class Tier(models.Model):
    """A licence tier. Its position is the tier id on-chain (token id = listing × tier)."""

    class Kind(models.TextChoices):
        DOWNLOAD = "download", "Download"
        COMPUTE = "compute", "Compute only"
        BOTH = "both", "Download and compute"

    ETH = "0x0000000000000000000000000000000000000000"

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="tiers")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=80)
    price_wei = WeiField()
    # ERC-20 token address, or the zero address for ETH.
    currency = models.CharField(max_length=42, default=ETH)
    duration_seconds = models.PositiveBigIntegerField(default=0, help_text="0 = perpetual")
    transferable = models.BooleanField(default=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.DOWNLOAD)
    supply_cap = models.PositiveBigIntegerField(null=True, blank=True, help_text="empty = no cap")
    # A free tier gated by the creator: access comes only from an approved access request
    # (payments.AccessGrant), never from the free licence token alone (anyone can mint that).
    requires_approval = models.BooleanField(default=False)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["listing_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["listing", "position"], name="tier_unique_position"),
        ]

    def __str__(self) -> str:
        return f"{self.listing} / {self.name}"

    @property
    def is_eth(self) -> bool:
        return self.currency == self.ETH


class SplitRecipient(models.Model):
    """Who is paid what share of each sale (after the platform fee), in basis points. The
    creator's own row becomes the contract's "current owner" recipient in the signed offer, so
    their share follows the ownership token."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="splits")
    address = models.CharField(max_length=42)
    bps = models.PositiveIntegerField()
    label = models.CharField(max_length=80, blank=True)

    class Meta:
        ordering = ["listing_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["listing", "address"], name="split_unique_address"),
            models.CheckConstraint(condition=Q(bps__gt=0, bps__lte=10_000), name="split_bps_range"),
        ]


class PlatformFee(models.Model):
    """The platform fee as the chain last said it: one row (pk 1), written when the indexer
    records a `PlatformFeeUpdated` (listings.onchain.platform_fee_set). Pages read the fee here,
    so showing a listing never calls the chain (which loaded web3 into the web process)."""

    ROW = 1

    bps = models.PositiveSmallIntegerField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.bps} bps"
