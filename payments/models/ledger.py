"""The money and licence facts the indexer reads from the chain."""

from django.db import models

from core.db import WeiField
from listings.models import Listing
from payments.models.offers import ListingOffer


class PayoutKind(models.TextChoices):
    PAID = "paid", "Paid"
    CREDITED = "credited", "Credited"
    WITHDRAWN = "withdrawn", "Withdrawn"


class PayoutSchedule(models.Model):
    """Who got what from a sale, as one shared row: the sales of a listing under the same terms
    at the same price are paid alike, so they point at the same schedule (Purchase.payouts)
    instead of each writing a row per payee (issue 20: those rows were half of what indexing a
    sale wrote). `key` names the lines (kind, account, amount in order): equal lines, one row."""

    key = models.CharField(max_length=64, unique=True)

    def __str__(self) -> str:
        return f"payout schedule {self.pk}"


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
    # Who got what (payments.onchain.payouts); None when the terms in force were unknown.
    # Indexed with the currency (purchase_payouts): a payee's totals count the sales of each
    # schedule in one currency from the index alone.
    payouts = models.ForeignKey(
        PayoutSchedule,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )

    class Meta:
        ordering = ["-block_time", "-id"]
        indexes = [
            models.Index(fields=["buyer", "token_id"], name="purchase_buyer_token"),
            models.Index(fields=["listing", "block_time"], name="purchase_listing"),
            models.Index(fields=["payouts", "currency"], name="purchase_payouts"),
        ]

    def __str__(self) -> str:
        return f"{self.buyer} bought {self.quantity} × {self.token_id}"


class PayoutShare(models.Model):
    """One payee's part of a sale under a schedule: `paid` (sent at once) or `credited` (kept for
    it to withdraw: the platform fee, or a share its payee refused)."""

    schedule = models.ForeignKey(
        PayoutSchedule, on_delete=models.CASCADE, related_name="shares", db_index=False
    )
    position = models.PositiveSmallIntegerField(help_text="Payee's index in a sale.")
    kind = models.CharField(max_length=16, choices=PayoutKind.choices)
    account = models.CharField(max_length=42)
    amount = WeiField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["schedule", "position"], name="payout_share_unique"),
        ]
        indexes = [models.Index(fields=["account", "kind"], name="payout_share_account")]


class PayoutColumns(models.Model):
    """What a payout row says besides its log, position and listing: the columns PayoutEntry
    stores and the Payout view shows."""

    kind = models.CharField(max_length=16, choices=PayoutKind.choices)
    account = models.CharField(max_length=42, help_text="Recipient, or who withdrew.")
    currency = models.CharField(max_length=42)
    amount = WeiField()
    onchain_listing_id = WeiField(null=True, blank=True, help_text="None for withdrawals.")
    to_address = models.CharField(max_length=42, blank=True, help_text="Where a withdrawal went.")
    tx_hash = models.CharField(max_length=66)
    block_time = models.DateTimeField()

    class Meta:
        abstract = True


class PayoutEntry(PayoutColumns):
    """Money out that is not a sale's schedule: a payment its payee refused, credited by its own
    `Credited` log, and a withdrawal (`Withdrawn`: a credit taken out)."""

    # Neither foreign key has an index of its own: payout_entry_unique (log, position) and
    # payout_entry_listing (listing, kind) start with them.
    log = models.ForeignKey(
        "chain.ChainLog", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    position = models.PositiveSmallIntegerField(default=0)
    listing = models.ForeignKey(
        Listing,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    class Meta(PayoutColumns.Meta):
        constraints = [
            models.UniqueConstraint(fields=["log", "position"], name="payout_entry_unique"),
        ]
        indexes = [
            models.Index(fields=["account", "currency", "kind"], name="payout_entry_account"),
            models.Index(fields=["listing", "kind"], name="payout_entry_listing"),
        ]


class Payout(PayoutColumns):
    """Money out of a sale or a withdrawal, one row per payee and sale, as every report reads
    it: `paid` (sent at once), `credited` (kept for the recipient to withdraw: the platform fee,
    or a payment the recipient refused), `withdrawn` (a credit taken out). Paid + credited of a
    sale always add up to its amount.

    A database view (migration 0014), not a table: each purchase's schedule lines
    (PayoutShare, hanging off the sale's `Purchased` log) and the PayoutEntry rows (a refused
    payment off its `Credited` log, a withdrawal off its `Withdrawn` log). Read-only; the
    indexer writes the tables under it. A migration that alters payments_purchase,
    payments_payoutshare or payments_payoutentry drops the view first and makes it again
    (payments.payout_view.around_payout_view)."""

    Kind = PayoutKind

    # DO_NOTHING: the rows under the view go with their log, purchase or listing by the
    # tables' own keys; Django must not try to delete from a view.
    log = models.ForeignKey(
        "chain.ChainLog", on_delete=models.DO_NOTHING, related_name="+", db_constraint=False
    )
    position = models.PositiveSmallIntegerField(default=0, help_text="Payee's index in a sale.")
    listing = models.ForeignKey(
        Listing,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="payouts",
        db_constraint=False,
    )

    class Meta(PayoutColumns.Meta):
        managed = False
        db_table = "payments_payout"
        ordering = ["-block_time", "-id"]

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
