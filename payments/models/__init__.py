"""The payments tables, by sub-domain (one module each); import them from here."""

from payments.models.access import (
    AccessGrant,
    AccessRequest,
    AccessRequestStatusChange,
    DownloadNonce,
    Entitlement,
)
from payments.models.changes import PlatformFeeChange, SplitChange, SplitNotice, TierPriceChange
from payments.models.ledger import (
    LicenseExpiry,
    LicenseTransfer,
    ListingChainEvent,
    Payout,
    PayoutEntry,
    PayoutKind,
    PayoutSchedule,
    PayoutShare,
    Purchase,
)
from payments.models.offers import ListingOffer
from payments.models.relay import RelayDay, RelayedPurchase, TokenSpendPolicy

__all__ = [
    "ListingOffer",
    "Entitlement",
    "AccessRequest",
    "AccessRequestStatusChange",
    "AccessGrant",
    "DownloadNonce",
    "Purchase",
    "Payout",
    "PayoutEntry",
    "PayoutKind",
    "PayoutSchedule",
    "PayoutShare",
    "LicenseTransfer",
    "LicenseExpiry",
    "ListingChainEvent",
    "SplitChange",
    "SplitNotice",
    "TierPriceChange",
    "PlatformFeeChange",
    "RelayDay",
    "RelayedPurchase",
    "TokenSpendPolicy",
]
