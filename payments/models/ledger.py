"""The money and licence facts the indexer reads from the chain."""

from django.db import models

from core.db import WeiField
from listings.models import Listing
from payments.models.offers import ListingOffer


class Purchase(models.Model):
    """A licence sale (a `Purchased` event): money in, in the ledger. Recorded even for a
    listing we do not know (listing None): the money moved either way."""

    log = models.OneToOneField("chain.ChainLog", on_delete=models.CASCADE, related_name="+")
    buyer = models.CharField(max_length=42)
    # No index of its own: purchase_listing (listing, block_time) starts with it. The indexer
    # writes a row per sale, and every index is one more write (issue 20).
    listing = models.ForeignKey(
        Listing,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="purchases",
        db_index=False,
    )
    tier = models.ForeignKey(
        "listings.Tier", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    onchain_listing_id = WeiField()
    token_id = WeiField()
    tier_index = models.PositiveSmallIntegerField(help_text="The tier id on-chain.")
    quantity = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=42, help_text="ERC-20 address; zero address = ETH.")
    amount = WeiField()
    expires_at = models.DateTimeField(null=True, blank=True, help_text="None = perpetual.")
    tx_hash = models.CharField(max_length=66)
    block_time = models.DateTimeField()

    class Meta:
        ordering = ["-block_time", "-id"]
        indexes = [
            models.Index(fields=["buyer", "token_id"], name="purchase_buyer_token"),
            models.Index(fields=["listing", "block_time"], name="purchase_listing"),
        ]

    def __str__(self) -> str:
        return f"{self.buyer} bought {self.quantity} × {self.token_id}"


class Payout(models.Model):
    """Money out of a sale or a withdrawal: `paid` (sent at once), `credited` (kept for the
    recipient to withdraw: the platform fee, or a payment the recipient refused), `withdrawn`
    (a credit taken out). Paid + credited of a sale always add up to its amount.

    A sale's payouts hang off its `Purchased` log, one row per payee (`position`), derived from
    the terms in force (payments.onchain.payouts); a refused payment's row hangs off its own
    `Credited` log, a withdrawal's off its `Withdrawn` log (position 0)."""

    class Kind(models.TextChoices):
        PAID = "paid", "Paid"
        CREDITED = "credited", "Credited"
        WITHDRAWN = "withdrawn", "Withdrawn"

    # Neither foreign key has an index of its own: payout_unique (log, position) and
    # payout_listing (listing, kind) start with them. Four rows a sale: each index costs.
    log = models.ForeignKey(
        "chain.ChainLog", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    position = models.PositiveSmallIntegerField(default=0, help_text="Payee's index in a sale.")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    account = models.CharField(max_length=42, help_text="Recipient, or who withdrew.")
    currency = models.CharField(max_length=42)
    amount = WeiField()
    listing = models.ForeignKey(
        Listing,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="payouts",
        db_index=False,
    )
    onchain_listing_id = WeiField(null=True, blank=True, help_text="None for withdrawals.")
    to_address = models.CharField(max_length=42, blank=True, help_text="Where a withdrawal went.")
    tx_hash = models.CharField(max_length=66)
    block_time = models.DateTimeField()

    class Meta:
        ordering = ["-block_time", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["log", "position"], name="payout_unique"),
        ]
        indexes = [
            models.Index(fields=["account", "currency", "kind"], name="payout_account"),
            models.Index(fields=["listing", "kind"], name="payout_listing"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} to {self.account}"


class LicenseTransfer(models.Model):
    """One token id moved by an ERC-1155 TransferSingle/TransferBatch (a mint comes from the
    zero address): the one source of licence balances."""

    # license_transfer_unique (log, position) serves look-ups by log.
    log = models.ForeignKey(
        "chain.ChainLog", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    position = models.PositiveIntegerField(default=0, help_text="Index within a batch.")
    token_id = WeiField()
    from_address = models.CharField(max_length=42)
    to_address = models.CharField(max_length=42)
    value = WeiField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["log", "position"], name="license_transfer_unique"),
        ]
        indexes = [
            models.Index(fields=["token_id", "to_address"], name="license_transfer_to"),
            models.Index(fields=["token_id", "from_address"], name="license_transfer_from"),
        ]


class LicenseExpiry(models.Model):
    """A holder's expiry carried over by a transfer (LicenseToken `ExpiryUpdated`). Purchases
    set expiries too (Purchase.expires_at); the latest of the two, in chain order, holds."""

    log = models.OneToOneField("chain.ChainLog", on_delete=models.CASCADE, related_name="+")
    holder = models.CharField(max_length=42)
    token_id = WeiField()
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["holder", "token_id"], name="license_expiry_holder")]


class ListingChainEvent(models.Model):
    """Registration and moderator pauses of a listing on-chain, for the listing's derived
    state (the registered offer, `Listing.onchain_paused`)."""

    class Kind(models.TextChoices):
        REGISTERED = "registered", "Registered"
        PAUSED = "paused", "Paused"
        UNPAUSED = "unpaused", "Unpaused"

    log = models.OneToOneField("chain.ChainLog", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    onchain_listing_id = WeiField()
    listing = models.ForeignKey(
        Listing, null=True, blank=True, on_delete=models.CASCADE, related_name="chain_events"
    )
    offer = models.ForeignKey(
        ListingOffer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["listing", "kind"], name="listing_chain_event")]


# --- Changes of a registered listing's terms and of the platform fee (payments.onchain.changes)
