"""Reads for accounts."""

from django.db.models import QuerySet

from accounts.models import AuditEntry, DeniedAddress, SiweNonce, User


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


def address_is_denied(*, address: str) -> bool:
    """Whether a (checksummed) address is on the active deny-list. One indexed lookup."""
    return DeniedAddress.objects.filter(address=address, lifted_at=None).exists()


def denied_addresses_active() -> QuerySet[DeniedAddress]:
    """Active denials, newest first; `.values("address")` makes a subquery for hiding."""
    return DeniedAddress.objects.filter(lifted_at=None).select_related("created_by")


def denied_address_history() -> QuerySet[DeniedAddress]:
    return DeniedAddress.objects.select_related("created_by", "lifted_by")


def audit_entries(*, action: str = "", actor: str = "", target: str = "") -> QuerySet[AuditEntry]:
    """The audit log, newest first, filtered by action prefix, actor address or target id."""
    entries = AuditEntry.objects.select_related("actor")
    if action:
        entries = entries.filter(action__startswith=action)
    if actor:
        entries = entries.filter(actor__address__iexact=actor)
    if target:
        entries = entries.filter(target_id=target)
    return entries
