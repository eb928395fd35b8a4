"""The listings tables, by topic (one module each); import them from here."""

from listings.models.listing import (
    LicenseTerms,
    Listing,
    ListingLike,
    ListingNameRef,
    ListingStatusChange,
    ListingTag,
)
from listings.models.sale import PlatformFee, SplitRecipient, Tier
from listings.models.trust import OwnershipTransfer, Report
from listings.models.versions import Version, VersionFile

__all__ = [
    "LicenseTerms",
    "Listing",
    "ListingTag",
    "ListingNameRef",
    "ListingStatusChange",
    "ListingLike",
    "Tier",
    "PlatformFee",
    "SplitRecipient",
    "Version",
    "VersionFile",
    "Report",
    "OwnershipTransfer",
]
