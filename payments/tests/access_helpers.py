"""Test data for downloads and gated access: published listings whose files are really stored
(local store in a temp dir), licence entitlements as the indexer writes them, API clients."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from artifacts.scanning import loads_as_pickle
from artifacts.services import artifact_create_from_stream, artifact_scan_run
from chain import typed_data
from listings import services as listing_services
from listings.models import Listing, Tier
from listings.tests import factories
from payments.models import Entitlement

TierSpec = listing_services.TierSpec
CONTENT = bytes(range(256)) * 40 + b"tail"  # 10,244 bytes, every offset distinguishable
DEFAULT_TIERS = [
    TierSpec(name="Download", price_wei=10**16),
    TierSpec(name="Compute", price_wei=2 * 10**16, kind=Tier.Kind.COMPUTE),
    TierSpec(name="Both", price_wei=5 * 10**16, kind=Tier.Kind.BOTH),
]


@pytest.fixture(autouse=True)
def artifact_store(settings, tmp_path):
    """Each test gets its own local store."""
    settings.ARTIFACT_STORAGE = "local"
    settings.ARTIFACT_ROOT = tmp_path / "store"
    settings.UPLOAD_DIR = tmp_path / "store" / ".uploads"


def stored_file(content: bytes = CONTENT):
    return artifact_create_from_stream(stream=io.BytesIO(content))


def uploaded_scanned_file(owner, name: str, content: bytes = CONTENT):
    """A file `owner` uploaded (real bytes in the store), scanned clean as `name`: what a
    release of a published listing needs (issue 15)."""
    stored = stored_file(content)
    factories.upload_of(owner, stored)
    scan_files([(name, stored)])
    return stored


def scan_files(files) -> None:
    """Scan (path, artifact) pairs now, as the worker does after an upload or a release: only
    files scanned clean under their names are served or staged."""
    for path, artifact in files:
        artifact_scan_run(artifact_id=artifact.pk, as_pickle=loads_as_pickle(path))


def published_listing(
    *, creator=None, tiers=None, files=None, status=Listing.Status.PUBLISHED, title="Tiny model"
) -> Listing:
    """A listing with version v1 holding `files` ([(path, bytes)]), `tiers`, in `status`."""
    listing = factories.listing(creator=creator, title=title)
    files = files or [("weights/model.bin", CONTENT), ("README.md", b"# Tiny model\n")]
    stored = [(path, stored_file(content)) for path, content in files]
    listing_services.version_create(listing=listing, actor=listing.creator, tag="v1", files=stored)
    scan_files(stored)
    listing_services.listing_set_tiers(
        listing=listing, actor=listing.creator, tiers=tiers or DEFAULT_TIERS
    )
    Listing.objects.filter(pk=listing.pk).update(status=status)
    listing.refresh_from_db()
    return listing


def tier(listing: Listing, name: str) -> Tier:
    return listing.tiers.get(name=name)


def entitle(address: str, tier_: Tier, *, expires_in: timedelta | None = None, balance: int = 1):
    """An entitlement as the indexer records a purchase of `tier_` by `address`."""
    listing = tier_.listing
    return Entitlement.objects.create(
        holder=address,
        listing=listing,
        tier=tier_,
        token_id=typed_data.token_id(listing.onchain_id, tier_.position),
        kind=tier_.kind,
        balance=balance,
        expires_at=timezone.now() + expires_in if expires_in is not None else None,
    )


def api_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client
