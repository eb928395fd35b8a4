from django.db import models

from listings.models import Listing, Version
from marketplace.db import WeiField


class ListingOffer(models.Model):
    """A creator's EIP-712 signed listing offer: the lazy listing. The first purchase submits it
    on-chain to register the listing; until then the creator has paid no gas. The signed
    message is kept exactly as signed (`message`), so it can be sent to the contract as is."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUPERSEDED = "superseded", "Superseded by a newer offer"
        REGISTERED = "registered", "Registered on-chain"

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="offers")
    version = models.ForeignKey(Version, on_delete=models.PROTECT, related_name="offers")
    chain_id = models.PositiveBigIntegerField()
    marketplace = models.CharField(max_length=42, help_text="The verifying contract.")
    creator = models.CharField(max_length=42)
    onchain_listing_id = WeiField()
    counter = WeiField()
    valid_after = models.PositiveBigIntegerField()
    valid_until = models.PositiveBigIntegerField()
    message = models.JSONField(help_text="The ListingOffer struct exactly as signed.")
    signature = models.CharField(max_length=1024)
    digest = models.CharField(max_length=66, unique=True, help_text="EIP-712 hash signed.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # At most one offer per listing is live at a time.
            models.UniqueConstraint(
                fields=["listing"],
                condition=models.Q(status="active"),
                name="offer_one_active_per_listing",
            ),
        ]

    def __str__(self) -> str:
        return f"Offer for {self.listing} ({self.status})"


class Entitlement(models.Model):
    """Who may use which licence tier, until when. Derived only from chain events by the
    indexer's handlers (purchases grant and renew, transfers move, expiry ends), never written
    by a request: one row per (holder, licence token)."""

    holder = models.CharField(max_length=42, help_text="Checksummed wallet address.")
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="entitlements")
    tier = models.ForeignKey("listings.Tier", on_delete=models.CASCADE, related_name="+")
    token_id = WeiField()
    kind = models.CharField(max_length=16, help_text="download, compute or both (the tier's).")
    balance = models.PositiveBigIntegerField(default=0, help_text="Licence tokens held.")
    expires_at = models.DateTimeField(null=True, blank=True, help_text="None = perpetual.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["holder", "token_id"], name="entitlement_unique"),
        ]
        indexes = [models.Index(fields=["holder", "listing"], name="entitlement_holder_listing")]

    def __str__(self) -> str:
        return f"{self.holder} × {self.tier}"

    def is_active(self, now) -> bool:
        return self.balance > 0 and (self.expires_at is None or self.expires_at > now)
