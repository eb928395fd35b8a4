"""Listings with real stored files, scanned as in production (the scan runs after commit)."""

import io

from artifacts.scanning import loads_as_pickle
from artifacts.services import artifact_create_from_stream, artifact_scan_run
from listings import services
from listings.tests import factories


def listing_with_file(*, path: str, content: bytes, capture, card: str | None = None, **kwargs):
    """A complete draft whose v1 holds `content` at `path`; `capture` is pytest-django's
    django_capture_on_commit_callbacks, so the scan scheduled by version_create runs."""
    listing = factories.listing(card=card, **kwargs)
    stored = artifact_create_from_stream(stream=io.BytesIO(content))
    with capture(execute=True):
        services.version_create(
            listing=listing, actor=listing.creator, tag="v1", files=[(path, stored)]
        )
    services.listing_set_tiers(
        listing=listing,
        actor=listing.creator,
        tiers=[services.TierSpec(name="Download", price_wei=10**16)],
    )
    return listing


def scan_files(listing) -> None:
    """Run the scans version_create scheduled (after commit, which a `db` test never reaches)."""
    for version in listing.versions.all():
        for vf in version.files.all():
            artifact_scan_run(artifact_id=vf.artifact_id, as_pickle=loads_as_pickle(vf.path))
