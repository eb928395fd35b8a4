"""Reads for artifacts and uploads."""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet, Sum

from artifacts import scanning
from artifacts.models import Artifact, ArtifactScan, Upload
from core.errors import ApiError


def upload_get_for_owner(*, upload_id, owner) -> Upload:
    """The caller's own upload. Someone else's answers exactly like an unknown one (404), so
    upload ids reveal nothing."""
    upload = Upload.objects.select_related("artifact").filter(pk=upload_id, owner=owner).first()
    if upload is None:
        raise ApiError("No such upload.", code="not_found", status=404)
    return upload


def upload_list_for_owner(*, owner, status: str | None = None) -> QuerySet[Upload]:
    uploads = Upload.objects.filter(owner=owner).select_related("artifact")
    return uploads.filter(status=status) if status else uploads


# Who else may see an artifact's metadata: apps above this one register a check (listings: a
# file of a listing the caller can see; compute: a job's own files), as the chain indexer's
# handlers are registered, so artifacts imports no domain app.
_VISIBILITY_CHECKS: list[Callable[..., bool]] = []


def artifact_visibility_register(check: Callable[..., bool]) -> None:
    """`check(user=..., artifact=...)` → True when `user` may see the artifact's metadata."""
    if check not in _VISIBILITY_CHECKS:
        _VISIBILITY_CHECKS.append(check)


def artifact_get_for_user(*, cid: str, user) -> Artifact:
    """An artifact's metadata (size, sha256) for its uploader, or for whoever may see a file
    it is (a published listing's, one's own job's). Anyone else gets the same 404 as for an
    unknown CID: a CID of a private draft must not confirm that the bytes exist, nor their
    size."""
    artifact = Artifact.objects.filter(cid=cid).first()
    if artifact is not None and user.is_authenticated:
        own = Upload.objects.filter(owner=user, artifact=artifact).exists()
        if own or any(check(user=user, artifact=artifact) for check in _VISIBILITY_CHECKS):
            return artifact
    raise ApiError("No artifact with this CID.", code="not_found", status=404)


def artifact_get(*, cid: str) -> Artifact:
    artifact = Artifact.objects.filter(cid=cid).first()
    if artifact is None:
        raise ApiError("No artifact with this CID.", code="not_found", status=404)
    return artifact


def artifact_scans_latest(*, artifact_ids) -> dict[int, ArtifactScan]:
    """The scan of each artifact by the current scanner, by artifact id. Verdicts of older
    scanners do not count: the deny-list scanner before the allow-list passed files that run
    code (an artifact without a current scan is pending until it is scanned again)."""
    latest: dict[int, ArtifactScan] = {}
    current = ArtifactScan.objects.filter(
        artifact_id__in=list(artifact_ids), scanner=scanning.SCANNER
    )
    for scan in current.order_by("artifact_id", "-created_at", "-id"):
        latest.setdefault(scan.artifact_id, scan)
    return latest


@dataclass(frozen=True)
class UploadUsage:
    open_bytes: int
    open_quota: int
    stored_bytes: int
    stored_quota: int


def upload_usage_for(*, owner) -> UploadUsage:
    """What counts against a person's upload quotas: bytes declared by their open uploads, and
    bytes of the distinct files their finished uploads keep in the store."""
    open_bytes = Upload.objects.filter(owner=owner, status=Upload.Status.OPEN).aggregate(
        total=Sum("size")
    )["total"]
    kept = Upload.objects.filter(owner=owner, status=Upload.Status.COMPLETE).values("artifact_id")
    stored = Artifact.objects.filter(pk__in=kept).aggregate(total=Sum("size"))["total"]
    return UploadUsage(
        open_bytes=open_bytes or 0,
        open_quota=settings.UPLOAD_QUOTA_OPEN_BYTES,
        stored_bytes=stored or 0,
        stored_quota=settings.UPLOAD_QUOTA_STORED_BYTES,
    )
