import csv

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpResponse

from accounts import denylist
from accounts.addresses import address_normalize
from accounts.admin_audit import AuditedAdmin
from accounts.models import AuditEntry, DeniedAddress, SiweNonce, User
from core.admin import ReadOnlyAdmin
from core.errors import ApiError


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    ordering = ["-date_joined"]
    list_display = ["address", "display_name", "email", "is_staff", "is_superuser", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups"]
    search_fields = ["address", "display_name", "email"]
    readonly_fields = ["date_joined", "last_login"]
    fieldsets = [
        (None, {"fields": ["address", "display_name", "email"]}),
        ("Roles", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["date_joined", "last_login"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["address"]})]
    filter_horizontal = ["groups"]


@admin.register(SiweNonce)
class SiweNonceAdmin(admin.ModelAdmin):
    """Read-only: nonces are facts of sign-in attempts, written only by the sign-in service."""

    list_display = ["nonce", "address", "issued_at", "expires_at", "used_at"]
    list_filter = [("used_at", admin.EmptyFieldListFilter)]
    search_fields = ["nonce", "address"]
    date_hierarchy = "issued_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class DenyForm(forms.ModelForm):
    class Meta:
        model = DeniedAddress
        fields = ["address", "reason"]

    def clean_address(self):
        try:
            address = address_normalize(self.cleaned_data["address"])
        except ApiError as exc:
            raise forms.ValidationError(exc.message) from None
        if DeniedAddress.objects.filter(address=address, lifted_at=None).exists():
            raise forms.ValidationError("This address is denied already.")
        return address


@admin.register(DeniedAddress)
class DeniedAddressAdmin(admin.ModelAdmin):
    """Adding goes through `address_deny` (deactivates the user, audits); entries are never
    edited or deleted, only lifted (the action below), so the history stays."""

    list_display = ["address", "reason", "created_by", "created_at", "lifted_at", "lifted_by"]
    list_filter = [("lifted_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["address", "reason"]
    form = DenyForm
    actions = ["lift"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            "address",
            "reason",
            "created_by",
            "created_at",
            "lifted_at",
            "lifted_by",
            "lift_reason",
        ]

    def get_fields(self, request, obj=None):
        return ["address", "reason"] if obj is None else self.get_readonly_fields(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        entry = denylist.address_deny(address=obj.address, reason=obj.reason, actor=request.user)
        obj.pk = entry.pk

    @admin.action(description="Lift the selected denials")
    def lift(self, request, queryset):
        lifted = 0
        for entry in queryset.filter(lifted_at=None):
            denylist.address_lift(
                address=entry.address, reason="lifted in the admin", actor=request.user
            )
            lifted += 1
        self.message_user(request, f"{lifted} denial(s) lifted.")


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor", "action", "target_type", "target_label", "reason"]
    list_filter = ["action", "target_type", "created_at"]
    search_fields = ["action", "target_id", "target_label", "reason", "actor__address"]
    date_hierarchy = "created_at"
    list_select_related = ["actor"]
    actions = ["export_csv"]

    def has_export_permission(self, request) -> bool:
        """Like the audit page and its CSV (/moderation/audit/): admins only, not every staff
        member who may browse the log."""
        return request.user.is_superuser

    @admin.action(description="Export the selected entries as CSV", permissions=["export"])
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
        writer = csv.writer(response)
        writer.writerow(["created_at", "actor", "action", "target_type", "target_id", "reason"])
        for e in queryset.select_related("actor"):
            actor = e.actor.address if e.actor else "system"
            row = [e.created_at.isoformat(), actor, e.action, e.target_type, e.target_id, e.reason]
            writer.writerow([_csv_cell(value) for value in row])
        return response


def _csv_cell(text: str) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas; reasons are user text (a
    report's words), so such a cell is prefixed with a quote."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
