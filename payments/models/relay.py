"""Relayed (gasless) purchases, the relayer's daily gas budget, and what API tokens may spend."""

from django.db import models

from core.db import WeiField
from listings.models import Listing


class RelayDay(models.Model):
    """One UTC day of the relayer's gas sponsorship. Its row is the lock that serialises the
    budget check and the relayer's nonces (`select_for_update`)."""

    day = models.DateField(unique=True)

    def __str__(self) -> str:
        return str(self.day)


class RelayedPurchase(models.Model):
    """A purchase the site's relayer submitted for a buyer who signed it (gasless: the buyer
    pays no gas). `gas_cost` is reserved from the day's sponsorship before sending and replaced
    by what the receipts say once mined. The intent digest is unique: one signed purchase is
    relayed at most once."""

    class Method(models.TextChoices):
        AUTHORIZATION = "authorization", "EIP-3009 receiveWithAuthorization"
        PERMIT = "permit", "ERC-2612 permit + signed intent"
        TRANSFER = "transfer", "EIP-3009 transferWithAuthorization (x402)"

    class Source(models.TextChoices):
        API = "api", "API or browser"
        X402 = "x402", "x402 payment"

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="relayed")
    tier_index = models.PositiveSmallIntegerField()
    quantity = models.PositiveIntegerField()
    buyer = models.CharField(max_length=42)
    currency = models.CharField(max_length=42)
    amount = WeiField()
    method = models.CharField(max_length=16, choices=Method.choices)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.API)
    intent_digest = models.CharField(max_length=66, unique=True)
    api_token = models.ForeignKey(
        "accounts.ApiToken",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="relayed_purchases",
    )
    relayer = models.CharField(max_length=42)
    day = models.DateField(db_index=True, help_text="The UTC day whose budget pays the gas.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    tx_hashes = models.JSONField(default=list, blank=True)
    deadline = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Unix time: after it the signed payment cannot be used."
    )
    gas_used = models.PositiveBigIntegerField(null=True, blank=True)
    gas_cost = WeiField(help_text="Wei: reserved until mined, then what the receipts say.")
    error = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Relayed purchase {self.intent_digest[:10]}… ({self.status})"


class TokenSpendPolicy(models.Model):
    """Spend controls of one API token (set by its owner in the browser, never by a token):
    what purchases relayed under it (gasless or x402) may cost. Checked under the relay's lock
    before anything is signed or sent (payments.spending)."""

    api_token = models.OneToOneField(
        "accounts.ApiToken", on_delete=models.CASCADE, related_name="spend_policy"
    )
    currency = models.CharField(max_length=42, help_text="The only currency it may spend.")
    daily_cap = WeiField(null=True, blank=True, help_text="Base units per UTC day; empty: none.")
    listing_cap = WeiField(null=True, blank=True, help_text="Base units per listing; empty: none.")
    allowed_listings = models.ManyToManyField(
        Listing, blank=True, related_name="+", help_text="Empty: any listing."
    )
    spend_until = models.DateTimeField(null=True, blank=True, help_text="Empty: no end.")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Spend policy of {self.api_token}"
