"""The deny-list: wallets refused sign-in, listing and buying. Denying deactivates the wallet's
user at once; lifting keeps the entry (marked lifted) for the record. Both are audited."""

from django.db import transaction
from django.utils import timezone

from accounts import selectors
from accounts.addresses import address_normalize
from accounts.audit import audit_record
from accounts.models import DeniedAddress, User
from core.errors import ApiError


def address_check_allowed(*, address: str) -> None:
    """Refuse a denied wallet (403) before it signs in, lists or buys."""
    if selectors.address_is_denied(address=address):
        raise ApiError(
            "This wallet address is blocked on this marketplace. "
            "Contact the operators if you believe this is a mistake.",
            code="address_denied",
            status=403,
        )


@transaction.atomic
def address_deny(*, address: str, reason: str, actor) -> DeniedAddress:
    """Put a wallet on the deny-list. Its user (if any) is deactivated at once: Django's session
    backend and DRF's token authentication refuse inactive users on every request, so no
    per-request deny-list lookup is needed to end its sessions."""
    address = address_normalize(address)
    if not reason.strip():
        raise ApiError("Give a reason for denying this address.", code="reason_required")
    if DeniedAddress.objects.select_for_update().filter(address=address, lifted_at=None).exists():
        raise ApiError("This address is denied already.", code="already_denied", status=409)
    entry = DeniedAddress.objects.create(address=address, reason=reason.strip(), created_by=actor)
    User.objects.filter(address=address).update(is_active=False)
    audit_record(
        actor=actor,
        action="address.deny",
        target_type="address",
        target_id=address,
        label=address,
        reason=reason,
    )
    return entry


@transaction.atomic
def address_lift(*, address: str, reason: str, actor) -> DeniedAddress:
    """Take a wallet off the deny-list (the entry stays, marked lifted) and reactivate it."""
    address = address_normalize(address)
    entry = (
        DeniedAddress.objects.select_for_update().filter(address=address, lifted_at=None).first()
    )
    if entry is None:
        raise ApiError("This address is not denied.", code="not_denied", status=404)
    entry.lifted_at = timezone.now()
    entry.lifted_by = actor
    entry.lift_reason = reason.strip()
    entry.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
    User.objects.filter(address=address).update(is_active=True)
    audit_record(
        actor=actor,
        action="address.lift",
        target_type="address",
        target_id=address,
        label=address,
        reason=reason,
    )
    return entry
