"""Operators' admin for listings. Statuses change only through moderation (the transition table
and the audit log), so the status, chain-derived and denormalised fields are read-only here;
descriptive fields may be corrected, and every change is audited."""

from django.contrib import admin

from accounts.admin_audit import AuditedAdmin
from core.admin import ReadOnlyAdmin
from listings.models import (
    LicenseTerms,
    Listing,
    ListingStatusChange,
    OwnershipTransfer,
    Report,
    SplitRecipient,
    Tier,
    Version,
    VersionFile,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class TierInline(ReadOnlyInline):
    model = Tier
    fields = ["position", "name", "price_wei", "currency", "kind", "duration_seconds", "active"]
    readonly_fields = fields


class SplitInline(ReadOnlyInline):
    model = SplitRecipient
    fields = ["address", "bps", "label"]
    readonly_fields = fields


class StatusChangeInline(ReadOnlyInline):
    model = ListingStatusChange
    fields = ["created_at", "from_status", "to_status", "actor", "reason"]
    readonly_fields = fields


class OwnershipInline(ReadOnlyInline):
    model = OwnershipTransfer
    fields = ["block_number", "from_address", "to_address", "tx_hash", "block_time"]
    readonly_fields = fields


class ReportInline(ReadOnlyInline):
    model = Report
    fields = ["created_at", "category", "reporter", "text", "status", "decision", "resolved_by"]
    readonly_fields = fields


@admin.register(Listing)
class ListingAdmin(AuditedAdmin):
    list_display = ["title", "slug", "kind", "status", "creator", "onchain_paused", "sales_count"]
    list_filter = ["status", "kind", "onchain_paused", "is_free", "has_compute", "created_at"]
    search_fields = [
        "title", "slug", "summary", "creator__address", "creator__display_name", "owner_address",
    ]  # fmt: skip
    list_select_related = ["creator"]
    date_hierarchy = "created_at"
    raw_id_fields = ["creator", "license_terms"]
    fields = [
        "title",
        "slug",
        "kind",
        "summary",
        "card",
        "license_terms",
        "royalty_bps",
        "creator",
        "owner_address",
        "status",
        "onchain_paused",
        "sales_count",
        "min_price_wei",
        "is_free",
        "has_compute",
        "task",
        "license_id",
        "card_metadata",
        "created_at",
        "updated_at",
        "published_at",
    ]
    readonly_fields = [
        "slug",
        "creator",
        "owner_address",  # follows the ownership token (listings.ownership), never edited here
        "kind",
        "status",
        "onchain_paused",
        "sales_count",
        "min_price_wei",
        "is_free",
        "has_compute",
        "task",
        "license_id",
        "card_metadata",
        "royalty_bps",
        "created_at",
        "updated_at",
        "published_at",
    ]
    inlines = [TierInline, SplitInline, OwnershipInline, StatusChangeInline, ReportInline]

    def has_add_permission(self, request) -> bool:
        return False  # listings are created by their creators (the signed offer needs a wallet)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # delist instead: licence holders keep their tokens and the history


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    """Resolve reports on the moderation pages (the decision is audited there)."""

    list_display = ["created_at", "listing", "category", "reporter", "status", "resolved_by"]
    list_filter = ["status", "category", "created_at"]
    search_fields = ["listing__title", "listing__slug", "reporter__address", "text", "decision"]
    list_select_related = ["listing", "reporter", "resolved_by"]


@admin.register(ListingStatusChange)
class ListingStatusChangeAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "listing", "from_status", "to_status", "actor", "reason"]
    list_filter = ["to_status", "from_status"]
    search_fields = ["listing__title", "listing__slug", "actor__address", "reason"]
    list_select_related = ["listing", "actor"]


class VersionFileInline(ReadOnlyInline):
    model = VersionFile
    fields = ["path", "artifact"]
    readonly_fields = fields


@admin.register(Version)
class VersionAdmin(ReadOnlyAdmin):
    """Versions are immutable (their digest is signed and attested)."""

    list_display = ["listing", "tag", "content_digest", "release_uid", "created_at"]
    search_fields = ["listing__title", "listing__slug", "tag", "content_digest"]
    list_select_related = ["listing"]
    inlines = [VersionFileInline]


@admin.register(LicenseTerms)
class LicenseTermsAdmin(AuditedAdmin):
    list_display = ["name", "owner", "commercial_use", "ai_training_allowed"]
    list_filter = ["commercial_use", "derivatives_allowed", "ai_training_allowed"]
    search_fields = ["name", "owner__address"]
    raw_id_fields = ["owner"]
