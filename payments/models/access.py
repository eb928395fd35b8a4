"""Who may use what: entitlements from the chain, access requests and grants, download nonces."""

from django.conf import settings
from django.db import models

from core.db import WeiField
from listings.models import Listing


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
