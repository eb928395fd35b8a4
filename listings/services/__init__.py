"""Writes for listings, one module per topic. Every change of status goes through
`status.listing_set_status`.

- status: the transition table, submit, publish without review
- details: create a draft, edit its descriptive fields, licence terms
- terms: a draft's tiers and split
- versions: releases, their manifest and content digest
- counts: downloads and likes

Callers use `from listings import services` and the names below."""

from listings.services.counts import listing_count_download, listing_like_set
from listings.services.details import (
    EDITABLE_STATUSES,
    RESERVED_SLUGS,
    license_terms_create,
    listing_create,
    listing_lock,
    listing_update,
)
from listings.services.status import (
    AUTOPUBLISH_ATTEMPTS,
    CREATOR,
    MODERATOR,
    NEEDS_REASON,
    TRANSITIONS,
    listing_autopublish,
    listing_check_complete,
    listing_set_status,
    listing_submit,
)
from listings.services.terms import (
    MAX_ROYALTY_BPS,
    MAX_SPLITS,
    MAX_TIERS,
    UINT32_MAX,
    UINT128_MAX,
    TierSpec,
    listing_set_splits,
    listing_set_tiers,
)
from listings.services.versions import UNREVIEWED, content_digest, version_create, version_manifest

__all__ = [
    "AUTOPUBLISH_ATTEMPTS",
    "CREATOR",
    "EDITABLE_STATUSES",
    "MAX_ROYALTY_BPS",
    "MAX_SPLITS",
    "MAX_TIERS",
    "MODERATOR",
    "NEEDS_REASON",
    "RESERVED_SLUGS",
    "TRANSITIONS",
    "UINT128_MAX",
    "UINT32_MAX",
    "UNREVIEWED",
    "TierSpec",
    "content_digest",
    "license_terms_create",
    "listing_autopublish",
    "listing_check_complete",
    "listing_count_download",
    "listing_create",
    "listing_like_set",
    "listing_lock",
    "listing_set_splits",
    "listing_set_status",
    "listing_set_tiers",
    "listing_submit",
    "listing_update",
    "version_create",
    "version_manifest",
]
