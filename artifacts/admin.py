"""Read-only admin: artifacts and uploads change only through services (hashes must match the
bytes, and status changes must be recorded)."""

from django.contrib import admin

from artifacts.models import Artifact, ArtifactScan, Upload, UploadStatusChange
from core.admin import ReadOnlyAdmin


class ArtifactScanInline(admin.TabularInline):
    model = ArtifactScan
    fields = ["scanned_at", "scanner", "verdict", "detected_type", "detected_mime", "findings"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Artifact)
class ArtifactAdmin(ReadOnlyAdmin):
    list_display = ["cid", "size", "sha256", "storage", "created_at"]
    list_filter = ["storage"]
    search_fields = ["cid", "sha256"]
    date_hierarchy = "created_at"
    inlines = [ArtifactScanInline]


@admin.register(ArtifactScan)
class ArtifactScanAdmin(ReadOnlyAdmin):
    """Scan results are facts about bytes, written only by the scanner."""

    list_display = ["artifact", "verdict", "detected_type", "scanner", "scanned_at"]
    list_filter = ["verdict", "detected_type", "scanner"]
    search_fields = ["artifact__cid", "artifact__sha256"]
    list_select_related = ["artifact"]
    date_hierarchy = "created_at"


class UploadStatusChangeInline(admin.TabularInline):
    model = UploadStatusChange
    fields = ["created_at", "from_status", "to_status", "reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Upload)
class UploadAdmin(ReadOnlyAdmin):
    list_display = ["filename", "owner", "size", "received", "status", "created_at", "expires_at"]
    list_filter = ["status"]
    search_fields = ["filename", "owner__address", "artifact__cid"]
    raw_id_fields = ["owner", "artifact"]
    exclude = ["hash_state"]
    inlines = [UploadStatusChangeInline]
