from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from eth_utils import to_checksum_address

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
