"""What must hold before a listing is published, besides being complete: no file of its latest
version flagged by the automatic scan (artifacts/scanning.py) or disguised as another type, and
the metadata a buyer needs (a licence, a task, a description)."""

from dataclasses import dataclass, field
from pathlib import PurePosixPath

from artifacts.models import ArtifactScan
from artifacts.scanning import PICKLE_EXTENSIONS, loads_as_pickle
from artifacts.selectors import artifact_scans_latest
from artifacts.services import artifact_scan_schedule
from core.errors import ApiError
from listings.cards import CardError, parse_card
from listings.licences import licence_conflicts
from listings.models import Listing, VersionFile

# What the bytes of a file with one of these names must be.
EXPECTED_TYPES = {".safetensors": {"safetensors"}, ".gguf": {"gguf"}, ".zip": {"zip"}}
V = ArtifactScan.Verdict


@dataclass
class FileCheck:
    path: str
    size: int
    cid: str
    artifact_id: int
    verdict: str  # an ArtifactScan verdict, "pending" when no scan has finished
    detected_type: str = ""
    detected_mime: str = ""
    findings: list[dict] = field(default_factory=list)

    @property
    def blocks(self) -> bool:
        return self.verdict == V.FLAGGED


def file_checks(files: list[VersionFile]) -> list[FileCheck]:
    """One row per file: the scan's verdict and findings plus a name/content mismatch check."""
    scans = artifact_scans_latest(artifact_ids=[f.artifact_id for f in files])
    rows = []
    for vf in files:
        scan = scans.get(vf.artifact_id)
        row = FileCheck(
            path=vf.path,
            size=vf.artifact.size,
            cid=vf.artifact.cid,
            artifact_id=vf.artifact_id,
            verdict=V.PENDING,
        )
        # A file named like a pickle counts only once its bytes were parsed as one.
        if scan is not None and (scan.pickle_scanned or not loads_as_pickle(vf.path)):
            row.verdict, row.findings = scan.verdict, list(scan.findings)
            row.detected_type, row.detected_mime = scan.detected_type, scan.detected_mime
        mismatch = _name_mismatch(vf.path, row.detected_type)
        if mismatch:
            row.findings.append({"check": "type", "severity": "dangerous", "message": mismatch})
            row.verdict = V.FLAGGED
        rows.append(row)
    return rows


def _name_mismatch(path: str, detected: str) -> str:
    """Why a file's name misrepresents its bytes ('' when it does not, or nothing is known)."""
    if not detected:
        return ""
    ext = PurePosixPath(path).suffix.lower()
    expected = EXPECTED_TYPES.get(ext)
    if expected and detected not in expected:
        return f"named {ext} but the bytes are {detected}"
    if detected == "pickle" and ext not in PICKLE_EXTENSIONS:
        return f"a pickle disguised as {ext or 'a file without extension'}"
    return ""


def metadata_lint(listing: Listing) -> list[str]:
    """What the listing's description lacks, in words a creator can act on."""
    problems = []
    if not (listing.license_terms_id or listing.license_id):
        problems.append("a licence (licence terms, or `license:` in the card)")
    if not listing.task:
        key = "task_categories" if listing.kind == Listing.Kind.DATASET else "pipeline_tag"
        problems.append(f"a task (`{key}:` in the card's front matter)")
    if not listing.summary.strip() and not _card_body(listing).strip():
        problems.append("a description (a summary or a card)")
    # One licence truth: a card edited before this check existed may still contradict.
    for conflict in licence_conflicts(license_id=listing.license_id, terms=listing.license_terms):
        problems.append(f"one licence ({conflict})")
    return problems


def _card_body(listing: Listing) -> str:
    try:
        return parse_card(listing.card).body
    except CardError:
        return listing.card


def latest_files(listing: Listing) -> list[VersionFile]:
    version = listing.versions.order_by("-created_at", "-id").first()
    if version is None:
        return []
    return list(version.files.select_related("artifact"))


def check_files_safe(*, listing: Listing) -> None:
    """Refuse (422) while a file of the latest version is flagged, naming file and finding."""
    check_files_safe_rows(file_checks(latest_files(listing)))


def check_files_safe_rows(rows: list[FileCheck]) -> None:
    for row in rows:
        if row.blocks:
            finding = next(
                (f for f in row.findings if f.get("severity") == "dangerous"), {"message": "?"}
            )
            raise ApiError(
                f"{row.path} failed the automatic checks: {finding['message']}. "
                "Replace it with a new version before publishing.",
                code="file_flagged",
                status=422,
            )


def check_files_cleared(rows: list[FileCheck], *, schedule: bool = True) -> None:
    """The gate for bytes that reach people or jobs (a release of a published listing, a
    download, a compute job's data): only files whose current scan is clean pass. Flagged: 403;
    a scan that could not look: 409 scan_error; not scanned yet: 409 scanning, and the missing
    scans are queued (a file released under a pickle name, or stored before this scanner)."""
    for row in rows:
        if row.verdict == V.FLAGGED:
            finding = next(
                (f for f in row.findings if f.get("severity") == "dangerous"), {"message": "?"}
            )
            raise ApiError(
                f"{row.path} failed the automatic safety checks ({finding['message']}) "
                "and is withheld.",
                code="file_flagged",
                status=403,
            )
    for row in rows:
        if row.verdict == V.ERROR:
            raise ApiError(
                f"The automatic checks of {row.path} could not vouch for it; it is withheld "
                "until a moderator has it scanned again.",
                code="scan_error",
                status=409,
            )
    pending = [row for row in rows if row.verdict != V.CLEAN]
    if pending:
        if schedule:
            artifact_scan_schedule(
                files=[(row.artifact_id, row.path) for row in pending], at_once=True
            )
        raise ApiError(
            f"{pending[0].path} is still being scanned for safety; try again in a moment.",
            code="scanning",
            status=409,
        )


def check_files_scanned(*, listing: Listing) -> None:
    """Refuse (409) while a file's scan has not finished, or finished without looking (an
    "error" verdict: bytes missing from the store, a pickle picklescan could not parse):
    approving a file nobody checked would let a malicious pickle through. Scans run from the
    worker queue; moderators rescan an errored file from the review page."""
    rows = file_checks(latest_files(listing))
    errored = [row for row in rows if row.verdict == V.ERROR]
    if errored:
        finding = next((f["message"] for f in errored[0].findings), "the scan failed")
        raise ApiError(
            f"The automatic checks of {errored[0].path} could not run ({finding}). "
            "Rescan the files, or reject the listing if the file is unreadable.",
            code="scan_error",
            status=409,
        )
    pending = [row.path for row in rows if row.verdict == V.PENDING]
    if pending:
        raise ApiError(
            f"The automatic checks of {pending[0]} have not finished yet; try again shortly.",
            code="scan_pending",
            status=409,
        )


def check_publishable(*, listing: Listing) -> None:
    """Everything a moderator's approval needs: scanned and safe files, complete metadata."""
    check_files_safe(listing=listing)
    check_files_scanned(listing=listing)
    check_metadata(listing=listing)


def check_metadata(*, listing: Listing) -> None:
    problems = metadata_lint(listing)
    if problems:
        raise ApiError(
            "Before publishing, the listing's description needs " + "; ".join(problems) + ".",
            code="metadata_incomplete",
            status=422,
        )
