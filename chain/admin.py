"""Read-only admin for the indexer: its cursor with the lag (is it keeping up?) and the logs it
stored. Everything here changes only through the indexer."""

from django.conf import settings
from django.contrib import admin

from chain.models import ChainLog, IndexerCursor, ReleaseAttestation
from core.admin import ReadOnlyAdmin


@admin.register(IndexerCursor)
class IndexerCursorAdmin(ReadOnlyAdmin):
    list_display = ["chain_id", "block_number", "head_now", "lag", "updated_at"]
    readonly_fields = ["chain_id", "block_number", "block_hash", "head", "deployment", "updated_at"]

    @admin.display(description="head")
    def head_now(self, cursor: IndexerCursor):
        # The node's head when it answers quickly; else the head the indexer saw last.
        from chain.indexer.status import chain_head  # web3 loads when an admin looks, not at start

        live = chain_head() if cursor.chain_id == settings.CHAIN_ID else None
        return live if live is not None else cursor.head

    @admin.display(description="lag (blocks)")
    def lag(self, cursor: IndexerCursor):
        head = self.head_now(cursor)
        return None if head is None else max(0, head - cursor.block_number)


@admin.register(ChainLog)
class ChainLogAdmin(ReadOnlyAdmin):
    list_display = ["block_number", "log_index", "contract", "event", "tx_hash", "block_time"]
    list_filter = ["contract", "event"]
    search_fields = ["tx_hash", "block_hash"]


@admin.register(ReleaseAttestation)
class ReleaseAttestationAdmin(ReadOnlyAdmin):
    list_display = ["uid", "version", "parent_uid", "base_model", "attested_at", "revoked_at"]
    search_fields = ["uid", "parent_uid", "base_model", "listing_id"]
