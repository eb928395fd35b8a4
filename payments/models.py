from django.conf import settings
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


# --- Gated access and downloads (payments.access) -------------------------


class AccessRequest(models.Model):
    """Someone asks a listing's creator for a tier that requires approval (a gated listing, as
    on a model hub). Its status moves only through `access.access_request_set_status`, which
    records every change; approving makes an AccessGrant."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        DENIED = "denied", "Denied"
        REVOKED = "revoked", "Revoked"

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="access_requests")
    tier = models.ForeignKey("listings.Tier", on_delete=models.CASCADE, related_name="+")
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_requests"
    )
    intended_use = models.TextField()
    organisation = models.CharField(max_length=200, blank=True)
    accepted_terms = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True, help_text="The creator's reason, shown to the requester.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["requester", "tier"],
                condition=models.Q(status="pending"),
                name="access_request_one_pending",
            ),
        ]
        indexes = [models.Index(fields=["listing", "status"], name="access_request_listing")]

    def __str__(self) -> str:
        return f"{self.requester} → {self.tier} ({self.status})"


class AccessRequestStatusChange(models.Model):
    """Every status change of an access request: who decided, and why."""

    access_request = models.ForeignKey(
        AccessRequest, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(max_length=16, choices=AccessRequest.Status.choices)
    to_status = models.CharField(max_length=16, choices=AccessRequest.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class AccessGrant(models.Model):
    """Access a creator gave by approving a request. Honoured like a licence token of the tier
    (`selectors.access_for`), but off-chain only: minting a token on approval would need a
    minter role in LicenseToken. Revoking sets revoked_at; the row stays."""

    holder = models.CharField(max_length=42, help_text="Checksummed wallet address.")
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="access_grants")
    tier = models.ForeignKey("listings.Tier", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, help_text="download, compute or both (the tier's).")
    request = models.OneToOneField(AccessRequest, on_delete=models.CASCADE, related_name="grant")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField(null=True, blank=True, help_text="None = perpetual.")
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["holder", "listing"], name="access_grant_holder_listing")]

    def __str__(self) -> str:
        return f"{self.holder} × {self.tier} (granted)"

    def is_active(self, now) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class DownloadNonce(models.Model):
    """A redeemed nonce of an EIP-712 DownloadRequest, so each signed request works once. Kept
    until the request's own expiry (after which it is refused anyway); the beat purges it."""

    holder = models.CharField(max_length=42)
    nonce = models.CharField(max_length=66, help_text="bytes32, 0x-hex, lowercase.")
    expires_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["holder", "nonce"], name="download_nonce_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.nonce} of {self.holder}"


# --- Derived from chain events (payments.onchain.handlers): the ledger and licence facts -----
# Each row points at the ChainLog it came from with on_delete=CASCADE: when a reorg orphans the
# log, the indexer deletes it and the row goes with it; balances, expiries and counters are then
# recomputed from the rows that remain (payments.onchain.recompute).


class Purchase(models.Model):
    """A licence sale (a `Purchased` event): money in, in the ledger. Recorded even for a
    listing we do not know (listing None): the money moved either way."""

    log = models.OneToOneField("chain.ChainLog", on_delete=models.CASCADE, related_name="+")
    buyer = models.CharField(max_length=42)
    listing = models.ForeignKey(
        Listing, null=True, blank=True, on_delete=models.SET_NULL, related_name="purchases"
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
    (a credit taken out). Paid + credited of a sale always add up to its amount."""

    class Kind(models.TextChoices):
        PAID = "paid", "Paid"
        CREDITED = "credited", "Credited"
        WITHDRAWN = "withdrawn", "Withdrawn"

    log = models.OneToOneField("chain.ChainLog", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    account = models.CharField(max_length=42, help_text="Recipient, or who withdrew.")
    currency = models.CharField(max_length=42)
    amount = WeiField()
    listing = models.ForeignKey(
        Listing, null=True, blank=True, on_delete=models.SET_NULL, related_name="payouts"
    )
    onchain_listing_id = WeiField(null=True, blank=True, help_text="None for withdrawals.")
    to_address = models.CharField(max_length=42, blank=True, help_text="Where a withdrawal went.")
    tx_hash = models.CharField(max_length=66)
    block_time = models.DateTimeField()

    class Meta:
        ordering = ["-block_time", "-id"]
        indexes = [
            models.Index(fields=["account", "currency", "kind"], name="payout_account"),
            models.Index(fields=["listing", "kind"], name="payout_listing"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} to {self.account}"


class LicenseTransfer(models.Model):
    """One token id moved by an ERC-1155 TransferSingle/TransferBatch (a mint comes from the
    zero address): the one source of licence balances."""

    log = models.ForeignKey("chain.ChainLog", on_delete=models.CASCADE, related_name="+")
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
