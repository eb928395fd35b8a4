"""Reads for accounts."""

from accounts.models import SiweNonce, User


def siwe_nonce_get(*, nonce: str) -> SiweNonce | None:
    return SiweNonce.objects.filter(nonce=nonce).first()


def user_get_by_address(*, address: str) -> User | None:
    """The user for a checksummed address, or None."""
    return User.objects.filter(address=address).first()


def user_roles(*, user: User) -> list[str]:
    """Role names for display and API clients. Every user may buy and create; moderators and
    admins (superusers) may do more."""
    roles = ["member"]
    if user.is_moderator:
        roles.append("moderator")
    if user.is_superuser:
        roles.append("admin")
    return roles
