"""The audit log: who did what to whom and why (moderators' and admins' actions), appended by
the services that act, read in the admin (accounts.admin_audit)."""

from accounts.models import AuditEntry


def audit_record(
    *,
    actor,
    action: str,
    target=None,
    target_type: str = "",
    target_id="",
    label: str = "",
    reason: str = "",
    data: dict | None = None,
) -> AuditEntry:
    """Append one entry to the audit log. `target` (any model instance) fills type, id and
    label; or give them explicitly for things that are not rows (an address)."""
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or target.pk
        label = label or str(target)
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=target_type,
        target_id=str(target_id)[:64],
        target_label=label[:200],
        reason=reason.strip(),
        data=data or {},
    )
