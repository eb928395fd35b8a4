"""Immutable releases of a listing and their files."""

from django.db import models

from listings.models.listing import Listing


class Version(models.Model):
    """An immutable release: a tag, a changelog and a fixed set of files."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="versions")
    tag = models.CharField(max_length=64)
    changelog = models.TextField(blank=True)
    # The manifest: one "path<TAB>cid" line per file, sorted by path, stored as an artifact so
    # anyone can fetch it by CID. Its sha256 is the content digest offers and provenance sign.
    manifest = models.ForeignKey(
        "artifacts.Artifact", on_delete=models.PROTECT, related_name="+", null=True
    )
    content_digest = models.CharField(max_length=66)
    # The listing's owner who released it (the ownership token's holder at the time): the
    # recipient of its ModelRelease attestation.
    released_by = models.CharField(max_length=42, blank=True)
    # The ModelRelease attestation (EAS) of this version, once made.
    release_uid = models.CharField(max_length=66, blank=True)
    release_attested_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["listing_id", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["listing", "tag"], name="version_unique_tag"),
        ]

    def __str__(self) -> str:
        return f"{self.listing} {self.tag}"


class VersionFile(models.Model):
    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="files")
    artifact = models.ForeignKey("artifacts.Artifact", on_delete=models.PROTECT, related_name="+")
    path = models.CharField(max_length=255)

    class Meta:
        ordering = ["version_id", "path"]
        constraints = [
            models.UniqueConstraint(fields=["version", "path"], name="version_file_unique_path"),
        ]
