from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone

from core.eth import to_checksum_address

MODERATORS_GROUP = "moderators"


class UserManager(BaseUserManager):
    """A user is a wallet address. Passwords exist only for operators who want admin login."""

    def create_user(self, address: str, password: str | None = None, **extra):
        user = self.model(address=to_checksum_address(address), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, address: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(address, password, **extra)

    def get_by_natural_key(self, address: str):
        return self.get(address=to_checksum_address(address))


class User(AbstractBaseUser, PermissionsMixin):
    address = models.CharField(max_length=42, unique=True, help_text="Checksummed wallet address.")
    display_name = models.CharField(max_length=80, blank=True)
    email = models.EmailField(blank=True)
    # The public profile (/creators/<address>/): a short bio and up to three https links.
    bio = models.TextField(max_length=500, blank=True)
    links = models.TextField(blank=True, help_text="One https URL per line, three at most.")
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May use the Django admin.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "address"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.display_name or self.short_address

    @property
    def short_address(self) -> str:
        return f"{self.address[:6]}…{self.address[-4:]}"

    @property
    def link_list(self) -> list[str]:
        return [line for line in self.links.splitlines() if line.strip()]

    @property
    def is_moderator(self) -> bool:
        """Moderators are a group; admins (superusers) are moderators too."""
        if self.is_superuser:
            return True
        return self.groups.filter(name=MODERATORS_GROUP).exists()


class SiweNonce(models.Model):
    """A server-issued Sign-In with Ethereum nonce: single use, for one address, until expires_at.

    Only this row makes a signed message worth anything: a message whose nonce is unknown, used
    or expired is refused, so a leaked signature cannot be replayed."""

    nonce = models.CharField(max_length=64, unique=True)
    address = models.CharField(max_length=42, help_text="Checksummed address it was issued to.")
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = "SIWE nonce"

    def __str__(self) -> str:
        return f"{self.nonce} for {self.address}"


class DeniedAddress(models.Model):
    """A wallet the platform refuses: it cannot sign in, list or buy, and its listings are hidden.

    Rows are never deleted: lifting a denial sets lifted_at/lifted_by, so the history of who was
    denied, why and for how long stays. Only one active (unlifted) entry per address."""

    address = models.CharField(max_length=42, help_text="Checksummed wallet address.")
    reason = models.TextField()
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lift_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["address"],
                condition=models.Q(lifted_at__isnull=True),
                name="denied_address_one_active",
            )
        ]
        indexes = [models.Index(fields=["address", "lifted_at"], name="denied_address_lookup")]

    def __str__(self) -> str:
        return f"{self.address} ({'lifted' if self.lifted_at else 'denied'})"

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None


class AuditEntry(models.Model):
    """One moderation or admin action: who did what to which object, when and why.

    Append-only (no service updates or deletes rows). The target is stored as type + id + label
    rather than a foreign key so the entry outlives the object and any app can write one."""

    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_entries"
    )
    action = models.CharField(max_length=64, db_index=True, help_text="e.g. listing.approve")
    target_type = models.CharField(max_length=64, blank=True, help_text="e.g. listings.listing")
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=200, blank=True)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="audit_target"),
            models.Index(fields=["actor", "-created_at"], name="audit_actor_time"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_label}"


class ApiToken(models.Model):
    """A personal API token (`Authorization: Bearer mkt_…`). Only the SHA-256 of the secret is
    stored: the secret is shown once, when created, and a database leak hands out no tokens.
    Revoking sets revoked_at (the row stays, so the settings page shows what was revoked)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=16, help_text="First characters of the secret.")
    secret_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="api_token_user_live")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_live(self, now) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
