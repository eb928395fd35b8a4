"""Split, price and fee changes, and the notices of lowered shares."""

from django.db import models

from core.db import WeiField
from listings.models import Listing


class SplitChange(models.Model):
    """A listing's split as the contract stored it (`SplitUpdated`): at registration, then at
    every setSplits / setSplitsBySig. The latest row in chain order is the live split; each
    sale is paid by the split live at its block, so history is the audit trail."""

    log = models.OneToOneField("chain.ChainLog", on_delete=models.CASCADE, related_name="+")
    onchain_listing_id = WeiField()
    listing = models.ForeignKey(
        Listing, null=True, blank=True, on_delete=models.CASCADE, related_name="split_changes"
    )
    splits = models.JSONField(help_text='[{"recipient": address, "bps": int}], contract order.')
    tx_hash = models.CharField(max_length=66)
    block_number = models.PositiveBigIntegerField()
    block_time = models.DateTimeField()

    class Meta:
        ordering = ["-block_number", "-id"]
        indexes = [models.Index(fields=["listing", "block_number"], name="split_change_listing")]


class SplitNotice(models.Model):
    """A split change announced by the contract (`SplitsScheduled`, contracts v2): it lowers a
    contributor's share, so it applies only after the notice period, by `applySplits`. The
    contributors it lowers see it on their dashboard until then."""

    log = models.OneToOneField("chain.ChainLog", on_delete=models.CASCADE, related_name="+")
    onchain_listing_id = WeiField()
    listing = models.ForeignKey(
        Listing, null=True, blank=True, on_delete=models.CASCADE, related_name="split_notices"
    )
    splits = models.JSONField(help_text='[{"recipient": address, "bps": int}] announced.')
    effective_at = models.DateTimeField()
    block_number = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["-block_number", "-id"]


class TierPriceChange(models.Model):
    """A tier's price and currency as the contract stored them (`TierUpdated`)."""

    log = models.OneToOneField("chain.ChainLog", on_delete=models.CASCADE, related_name="+")
    onchain_listing_id = WeiField()
    listing = models.ForeignKey(
        Listing, null=True, blank=True, on_delete=models.CASCADE, related_name="price_changes"
    )
    tier_index = models.PositiveSmallIntegerField()
    price = WeiField()
    currency = models.CharField(max_length=42)
    tx_hash = models.CharField(max_length=66)
    block_number = models.PositiveBigIntegerField()
    block_time = models.DateTimeField()

    class Meta:
        ordering = ["-block_number", "-id"]
        indexes = [models.Index(fields=["listing", "tier_index"], name="price_change_tier")]


class PlatformFeeChange(models.Model):
    """The platform fee and its recipient as set on-chain (`PlatformFeeUpdated`)."""

    log = models.OneToOneField("chain.ChainLog", on_delete=models.CASCADE, related_name="+")
    recipient = models.CharField(max_length=42)
    bps = models.PositiveSmallIntegerField()
    tx_hash = models.CharField(max_length=66)
    block_number = models.PositiveBigIntegerField()
    block_time = models.DateTimeField()

    class Meta:
        ordering = ["-block_number", "-id"]
