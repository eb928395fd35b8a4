"""Offers a listing's owner signed (the EIP-712 terms a purchase carries)."""

from django.db import models

from core.db import WeiField
from listings.models import Listing, Version


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
    # A replaced offer stays registrable on-chain until it expires, so the creator signs its
    # cancellation with the replacement and the site relays it (contracts v2).
    cancel_signature = models.CharField(
        max_length=1024,
        blank=True,
        default="",
        help_text="The creator's signed OfferCancel of this offer, relayed on-chain.",
    )
    cancel_deadline = models.PositiveBigIntegerField(null=True, blank=True)
    cancel_tx = models.CharField(max_length=66, blank=True, default="")

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
