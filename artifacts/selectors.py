"""Reads for artifacts and uploads."""

from django.db.models import QuerySet

from artifacts import scanning
from artifacts.models import Artifact, ArtifactScan, Upload
from marketplace.api_errors import ApiError


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
