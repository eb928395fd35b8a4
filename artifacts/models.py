import uuid

from django.conf import settings
from django.db import models


class Artifact(models.Model):
    """Stored bytes, named by their content: one row per distinct file, whoever uploaded it.

    `cid` is exactly what `ipfs add --cid-version=1` gives for the bytes (see artifacts/cid.py),
    so the same file always maps to the same row and can be pinned to any IPFS node unchanged."""

    cid = models.CharField(max_length=100, unique=True)
    sha256 = models.CharField(max_length=64, db_index=True, help_text="Hex digest of the bytes.")
    size = models.PositiveBigIntegerField()
    # The storage backend that holds the bytes (settings.ARTIFACT_STORAGE when it was stored).
    storage = models.CharField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.cid


class Upload(models.Model):
    """A resumable upload of one file. The bytes received so far live in a part file on disk
    (see services.upload_paths); `received` says how many of them count, and `hash_state` carries
    the whole-file sha256 state between chunk requests."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        COMPLETE = "complete", "Complete"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Expired"

    # Not a sequential id: upload URLs are not guessable (and someone else's answers 404).
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    filename = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(help_text="Declared size in bytes.")
    content_type = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, blank=True, help_text="Declared by the client.")
    received = models.PositiveBigIntegerField(default=0)
    hash_state = models.BinaryField(null=True, blank=True, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    artifact = models.ForeignKey(
        Artifact, null=True, blank=True, on_delete=models.PROTECT, related_name="uploads"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    expires_at = models.DateTimeField(db_index=True, help_text="An open upload idle past this.")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "expires_at"], name="upload_status_expiry")]

    def __str__(self) -> str:
        return f"{self.filename} ({self.received}/{self.size})"


class UploadStatusChange(models.Model):
    """Every status change of an upload and why (a failed upload says what went wrong)."""

    upload = models.ForeignKey(Upload, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=16, choices=Upload.Status.choices)
    to_status = models.CharField(max_length=16, choices=Upload.Status.choices)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class ArtifactScan(models.Model):
    """What an automatic check found in an artifact's bytes (see artifacts/scanning.py).

    A scan is about content only, so it holds for every file name the bytes are released
    under; listings compares `detected_type` with each name's extension. One row per artifact
    and scanner version: a scanner upgrade scans again, and the latest row counts."""

    class Verdict(models.TextChoices):
        PENDING = "pending", "Pending"
        CLEAN = "clean", "Clean"
        FLAGGED = "flagged", "Flagged"
        ERROR = "error", "Error"

    artifact = models.ForeignKey(Artifact, on_delete=models.CASCADE, related_name="scans")
    scanner = models.CharField(max_length=64, help_text="e.g. picklescan 1.0.5 + puremagic 1.30")
    verdict = models.CharField(max_length=16, choices=Verdict.choices, default=Verdict.PENDING)
    # [{"check": "pickle", "severity": "dangerous", "message": "...", "global": "os.system"}]
    findings = models.JSONField(default=list, blank=True)
    # What the bytes are, whatever their name says: "pickle", "zip", "safetensors", "elf", ...
    detected_type = models.CharField(max_length=32, blank=True)
    detected_mime = models.CharField(max_length=100, blank=True)
    # Parsed as a pickle: its content looked like one, or a name it goes by loads as one.
    pickle_scanned = models.BooleanField(default=False)
    scanned_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["artifact", "scanner"], name="artifact_scan_unique"),
        ]
        indexes = [models.Index(fields=["verdict", "created_at"], name="artifact_scan_verdict")]

    def __str__(self) -> str:
        return f"{self.artifact_id} {self.verdict}"
