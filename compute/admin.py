from django.contrib import admin, messages

from compute import environments
from compute.models import ComputeEnvironment, ComputePolicy, ComputeUsage, Job, TrustedAlgorithm
from core.admin import ReadOnlyAdmin


@admin.register(ComputeEnvironment)
class ComputeEnvironmentAdmin(admin.ModelAdmin):
    """Operators add hosts here, then start the host's worker (docs/compute.md). Status is
    kept by heartbeats; draining is the operator's lever."""

    list_display = ("name", "queue", "gpu_model", "gpu_count", "status", "last_seen_at")
    list_filter = ("status",)
    search_fields = ("name", "gpu_model")
    readonly_fields = ("status", "last_seen_at", "created_at")
    actions = ("drain", "undrain")

    @admin.action(description="Drain: finish running jobs, accept no new ones")
    def drain(self, request, queryset):
        for environment in queryset:
            environments.environment_set_draining(environment=environment, draining=True)
        messages.success(request, f"{queryset.count()} host(s) draining.")

    @admin.action(description="Undrain: accept jobs again")
    def undrain(self, request, queryset):
        for environment in queryset:
            environments.environment_set_draining(environment=environment, draining=False)
        messages.success(request, f"{queryset.count()} host(s) undrained.")


class TrustedAlgorithmInline(admin.TabularInline):
    model = TrustedAlgorithm
    raw_id_fields = ("artifact",)
    extra = 0


@admin.register(ComputePolicy)
class ComputePolicyAdmin(admin.ModelAdmin):
    list_display = ("listing", "allow_raw_algorithms", "minutes_per_licence", "updated_at")
    raw_id_fields = ("listing",)
    filter_horizontal = ("environments",)
    inlines = [TrustedAlgorithmInline]


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    list_display = ("uuid", "owner", "listing", "environment", "status", "created_at")
    list_filter = ("status", "environment")
    search_fields = ("uuid", "owner__address", "listing__slug", "receipt_uid")
    date_hierarchy = "created_at"


@admin.register(ComputeUsage)
class ComputeUsageAdmin(ReadOnlyAdmin):
    list_display = ("job", "entitlement", "wall_seconds", "gpu_seconds", "metered_seconds")
