"""Every change an operator makes in the Django admin also goes to the audit log (who, what,
when), next to Django's own LogEntry: the audit log is the one place admins review and export."""

from django.contrib import admin

from accounts.audit import audit_record


class AuditedAdmin(admin.ModelAdmin):
    def _audit(self, request, obj, verb: str, message="") -> None:
        audit_record(
            actor=request.user,
            action=f"admin.{verb}",
            target=obj,
            data={"change": str(message)[:2000]} if message else {},
        )

    def log_addition(self, request, obj, message):
        self._audit(request, obj, "add", message)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        self._audit(request, obj, "change", message)
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            self._audit(request, obj, "delete")
        return super().log_deletions(request, queryset)
