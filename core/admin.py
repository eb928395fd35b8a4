from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records only services or the indexer may write (hashes, recorded histories, chain
    facts): operators can browse and search them, never edit them by hand."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
