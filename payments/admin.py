"""Payments in the admin: ledger facts and histories read-only (only the indexer writes them),
with filters and search for operators answering "where did this payment go?"."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from payments.models import (
    Entitlement,
    ListingChainEvent,
    ListingOffer,
    Payout,
    PlatformFeeChange,
    Purchase,
    RelayedPurchase,
    SplitChange,
    TierPriceChange,
)


@admin.register(Purchase)
class PurchaseAdmin(ReadOnlyAdmin):
    list_display = ("block_time", "listing", "tier_index", "buyer", "quantity", "currency",
                    "amount", "tx_hash")  # fmt: skip
    list_filter = ("currency", "block_time")
    search_fields = ("buyer", "tx_hash", "listing__title", "listing__slug")
    list_select_related = ("listing",)
    date_hierarchy = "block_time"


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = ("block_time", "kind", "account", "currency", "amount", "listing", "tx_hash")
    list_filter = ("kind", "currency", "block_time")
    search_fields = ("account", "to_address", "tx_hash", "listing__title", "listing__slug")
    list_select_related = ("listing",)
    date_hierarchy = "block_time"


@admin.register(Entitlement)
class EntitlementAdmin(ReadOnlyAdmin):
    list_display = ("holder", "listing", "tier", "kind", "balance", "expires_at", "updated_at")
    list_filter = ("kind",)
    search_fields = ("holder", "listing__title", "listing__slug")
    list_select_related = ("listing", "tier")


@admin.register(ListingOffer)
class ListingOfferAdmin(ReadOnlyAdmin):
    list_display = ("listing", "creator", "status", "counter", "valid_until", "created_at")
    list_filter = ("status", "chain_id")
    search_fields = ("creator", "digest", "listing__title", "listing__slug")


@admin.register(ListingChainEvent)
class ListingChainEventAdmin(ReadOnlyAdmin):
    list_display = ("kind", "listing", "onchain_listing_id", "log")
    list_filter = ("kind",)
    search_fields = ("listing__title", "listing__slug")


@admin.register(SplitChange)
class SplitChangeAdmin(ReadOnlyAdmin):
    list_display = ("block_time", "listing", "block_number", "tx_hash")
    search_fields = ("tx_hash", "listing__title", "listing__slug")
    date_hierarchy = "block_time"


@admin.register(TierPriceChange)
class TierPriceChangeAdmin(ReadOnlyAdmin):
    list_display = ("block_time", "listing", "tier_index", "price", "currency", "tx_hash")
    list_filter = ("currency",)
    search_fields = ("tx_hash", "listing__title", "listing__slug")


@admin.register(PlatformFeeChange)
class PlatformFeeChangeAdmin(ReadOnlyAdmin):
    list_display = ("block_time", "bps", "recipient", "block_number", "tx_hash")
    search_fields = ("recipient", "tx_hash")


@admin.register(RelayedPurchase)
class RelayedPurchaseAdmin(ReadOnlyAdmin):
    """What the relayer spent on buyers' gas, purchase by purchase (the day's sum is what the
    sponsorship budget counts)."""

    list_display = ("created_at", "listing", "tier_index", "buyer", "method", "source", "status",
                    "gas_used", "gas_cost", "api_token")  # fmt: skip
    list_filter = ("status", "method", "source", "day")
    search_fields = ("buyer", "intent_digest", "listing__slug", "listing__title")
    list_select_related = ("listing", "api_token")
    date_hierarchy = "created_at"

    def changelist_view(self, request, extra_context=None):
        from django.conf import settings

        from payments.relay import budget

        spent = budget.spent_on(budget.today())
        cap = settings.RELAY_GAS_BUDGET_WEI_PER_DAY
        extra_context = {
            **(extra_context or {}),
            "title": f"Relayed purchases: today {spent:,} of {cap:,} wei of gas sponsored",
        }
        return super().changelist_view(request, extra_context=extra_context)
