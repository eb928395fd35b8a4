"""Releases: immutable versions made of stored artifacts, their manifest and content digest."""

import hashlib
import io

from django.db import transaction

from artifacts.models import Artifact
from artifacts.services import artifact_create_from_stream, artifact_scan_schedule
from core.errors import ApiError
from listings.models import (
    Listing,
    Version,
    VersionFile,
)
from listings.moderation import checks
from listings.selectors import (
    listing_check_controlled_by,
)
from listings.services.details import listing_lock

S = Listing.Status


def version_manifest(files: list[tuple[str, str]]) -> bytes:
    """A version's manifest: one 'path<TAB>cid' line per file, sorted by path."""
    return "".join(f"{path}\t{cid}\n" for path, cid in sorted(files)).encode()


def content_digest(files: list[tuple[str, str]]) -> str:
    """sha256 of the manifest, as 0x-hex: the bytes32 the creator signs and provenance attests.
    Anyone holding the file list (or the manifest, fetched by its CID) can recompute it."""
    return "0x" + hashlib.sha256(version_manifest(files)).hexdigest()


# Listings whose new versions reach buyers with no review in between.
UNREVIEWED = {S.PUBLISHED, S.PAUSED, S.DELISTED}


def version_create(
    *, listing: Listing, actor, tag: str, changelog: str = "", files: list[tuple[str, Artifact]]
) -> Version:
    """An immutable release made of already-stored artifacts, as (path, artifact) pairs.

    A release of a published listing goes to buyers without review, so each of its files must
    have been scanned clean under the name it is released as (409 `scanning` meanwhile, with
    the scan queued; checked outside the transaction so that queueing survives the refusal).
    Drafts may release pending files: publishing waits for their scans."""
    listing_check_controlled_by(listing=listing, user=actor, what="release versions")
    if Listing.objects.filter(pk=listing.pk, status__in=UNREVIEWED).exists():
        rows = checks.file_checks([VersionFile(artifact=a, path=path) for path, a in files])
        checks.check_files_safe_rows(rows)
        checks.check_files_cleared(rows)
    return _version_create(listing=listing, actor=actor, tag=tag, changelog=changelog, files=files)


@transaction.atomic
def _version_create(
    *, listing: Listing, actor, tag: str, changelog: str, files: list[tuple[str, Artifact]]
) -> Version:
    listing = listing_lock(listing)  # serialises releases of one listing: tags stay unique
    # Again under the lock: a handover of the listing cannot interleave with the release.
    listing_check_controlled_by(listing=listing, user=actor, what="release versions")
    tag = tag.strip()
    if not tag or len(tag) > 64:
        raise ApiError("A version needs a tag of at most 64 characters.", code="invalid_tag")
    if listing.versions.filter(tag=tag).exists():
        raise ApiError(
            f"Version {tag} exists already; versions cannot change.", code="tag_taken", status=409
        )
    paths = [path for path, _ in files]
    if not files or len(set(paths)) != len(paths):
        raise ApiError(
            "A version needs one or more files with distinct names.", code="invalid_files"
        )
    for path in paths:
        _check_file_path(path)
    # Bytes the scanner already flagged never make a release, even of a published listing
    # (which no moderator reviews again): the creator learns at once, naming the file.
    checks.check_files_safe_rows(
        checks.file_checks([VersionFile(artifact=a, path=path) for path, a in files])
    )
    pairs = [(path, a.cid) for path, a in files]
    manifest = artifact_create_from_stream(stream=io.BytesIO(version_manifest(pairs)))
    version = Version.objects.create(
        listing=listing,
        tag=tag,
        changelog=changelog,
        manifest=manifest,
        content_digest=content_digest(pairs),
        released_by=listing.owner_address,
    )
    VersionFile.objects.bulk_create(
        VersionFile(version=version, artifact=artifact, path=path) for path, artifact in files
    )
    # Files already scanned at upload are skipped; reused or unscanned ones are scanned now.
    artifact_scan_schedule(files=[(artifact.pk, path) for path, artifact in files])
    if listing.status != S.DRAFT and listing.owner_address == listing.creator.address:
        # A draft's version is attested when its offer is signed (payments.offers.services); a later
        # one at once. After a handover the new owner signs it (listings.release_signing).
        from listings import tasks  # tasks import services

        tasks.version_attest_release_task.delay_on_commit(version.pk)
    return version


def _check_file_path(path: str) -> None:
    """Relative paths without '..', so a version unpacks safely into any directory."""
    parts = path.split("/")
    if (
        not path
        or len(path) > 255
        or path.startswith("/")
        or any(part in ("", ".", "..") for part in parts)
        or any(ord(c) < 32 for c in path)
    ):
        raise ApiError(f"'{path[:80]}' is not a valid file path.", code="invalid_path")
