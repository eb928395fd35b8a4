"""Compute-to-data: GPU hosts (environments), each listing's compute policy, and jobs.

A job's status moves only through `compute.services.job_set_status` (one transition table);
each change is recorded in JobStatusChange. Usage is a ledger row per finished job, keyed to
the licence (payments.Entitlement) it was run under."""

import uuid

from django.conf import settings
from django.db import models

from core.db import WeiField


class ComputeEnvironment(models.Model):
    """A host that runs jobs: its worker consumes the Celery queue `compute.<name>`."""

    class Status(models.TextChoices):
        ONLINE = "online", "Online"
        OFFLINE = "offline", "Offline"
        DRAINING = "draining", "Draining (finishes its jobs, takes no new ones)"

    name = models.SlugField(max_length=60, unique=True, help_text="Its queue is compute.<name>.")
    gpu_model = models.CharField(max_length=80, blank=True)
    gpu_count = models.PositiveSmallIntegerField(default=0)
    gpu_memory_gb = models.PositiveIntegerField(default=0, help_text="Per GPU.")
    cpu_count = models.PositiveSmallIntegerField(default=1)
    ram_mb = models.PositiveIntegerField(default=4096, help_text="Shared by its concurrent jobs.")
    disk_gb = models.PositiveIntegerField(default=10)
    price_per_minute_wei = WeiField(default=0)
    max_duration_seconds = models.PositiveIntegerField(default=3600)
    max_concurrent_jobs = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OFFLINE)
    last_seen_at = models.DateTimeField(null=True, blank=True, help_text="Last heartbeat.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def queue(self) -> str:
        return f"compute.{self.name}"

    @property
    def job_memory_mb(self) -> int:
        """Each job's memory limit: the host's RAM shared by its concurrent slots."""
        return max(self.ram_mb // max(self.max_concurrent_jobs, 1), 1)


class ComputePolicy(models.Model):
    """What a listing's creator allows compute buyers to do (one per listing)."""

    listing = models.OneToOneField(
        "listings.Listing", on_delete=models.CASCADE, related_name="compute_policy"
    )
    environments = models.ManyToManyField(ComputeEnvironment, blank=True, related_name="policies")
    allow_raw_algorithms = models.BooleanField(
        default=False, help_text="Buyers may run their own scripts, not only trusted ones."
    )
    minutes_per_licence = models.PositiveIntegerField(
        default=60,
        help_text="GPU-minutes per licence token held (wall-clock minutes on CPU-only hosts).",
    )
    # The egress guard (compute/egress.py): outputs above this share of the data's size are
    # refused, as are outputs that contain the data.
    max_output_percent = models.PositiveSmallIntegerField(
        default=10, help_text="Largest total output, in percent of the listing's data size."
    )
    review_outputs = models.BooleanField(
        default=False,
        help_text="The creator reviews each job's outputs before the buyer gets them.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Compute policy of {self.listing}"


class TrustedAlgorithm(models.Model):
    """An algorithm the creator vetted, by CID: buyers may run it even without raw access."""

    policy = models.ForeignKey(ComputePolicy, on_delete=models.CASCADE, related_name="algorithms")
    name = models.CharField(max_length=80)
    artifact = models.ForeignKey("artifacts.Artifact", on_delete=models.PROTECT, related_name="+")
    entry_point = models.CharField(max_length=100)

    class Meta:
        ordering = ["policy_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "artifact"], name="trusted_algorithm_once")
        ]

    def __str__(self) -> str:
        return self.name


class Job(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        STAGING = "staging", "Staging inputs"
        RUNNING = "running", "Running"
        PUBLISHING = "publishing", "Publishing results"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        TIMED_OUT = "timed_out", "Timed out"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="compute_jobs"
    )
    listing = models.ForeignKey("listings.Listing", on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey("listings.Version", on_delete=models.PROTECT, related_name="+")
    environment = models.ForeignKey(
        ComputeEnvironment, on_delete=models.PROTECT, related_name="jobs"
    )
    entitlement = models.ForeignKey(
        "payments.Entitlement", on_delete=models.PROTECT, related_name="compute_jobs"
    )
    algorithm = models.ForeignKey("artifacts.Artifact", on_delete=models.PROTECT, related_name="+")
    entry_point = models.CharField(max_length=100)
    trusted_algorithm = models.ForeignKey(
        TrustedAlgorithm, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    time_limit_seconds = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    reason = models.TextField(blank=True)
    # Why a job failed, for programs: "egress_blocked" when its outputs carried the data.
    reason_code = models.CharField(max_length=32, blank=True)
    # With the policy's review_outputs: pending until the creator approves or rejects them.
    outputs_review = models.CharField(
        max_length=16,
        blank=True,
        choices=[("pending", "Pending review"), ("approved", "Approved"), ("rejected", "Rejected")],
    )
    exit_code = models.IntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True, help_text="Entered running.")
    finished_at = models.DateTimeField(null=True, blank=True)
    # Stamped by the runner while it works; the watchdog fails jobs whose stamp goes stale.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # When job_run was last handed to the broker (database clock); empty while it never was.
    # The watchdog sends it again when the host's queue has plainly lost it.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True, help_text="Celery worker that ran it.")
    log_size = models.PositiveBigIntegerField(default=0)
    # "path<TAB>cid" per output file, sorted: its sha256 is the receipt's outputDigest.
    output_manifest = models.ForeignKey(
        "artifacts.Artifact", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    output_digest = models.CharField(max_length=66, blank=True)
    receipt_uid = models.CharField(max_length=66, blank=True)
    receipt_attested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "created_at"], name="job_owner_created"),
            models.Index(fields=["status", "heartbeat_at"], name="job_status_heartbeat"),
        ]

    def __str__(self) -> str:
        return f"Job {self.uuid}"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED


FINISHED = {
    Job.Status.SUCCEEDED,
    Job.Status.FAILED,
    Job.Status.CANCELLED,
    Job.Status.TIMED_OUT,
}


class JobInput(models.Model):
    """A file staged read-only for the job: the listing version's files under /data, the
    buyer's own input files under /inputs."""

    class Mount(models.TextChoices):
        DATA = "data", "/data"
        INPUTS = "inputs", "/inputs"

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="inputs")
    mount = models.CharField(max_length=8, choices=Mount.choices)
    path = models.CharField(max_length=255)
    artifact = models.ForeignKey("artifacts.Artifact", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["job_id", "mount", "path"]
        constraints = [
            models.UniqueConstraint(fields=["job", "mount", "path"], name="job_input_unique_path")
        ]


class JobStatusChange(models.Model):
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=16)
    to_status = models.CharField(max_length=16)
    reason = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["job_id", "id"]


class JobLogChunk(models.Model):
    """A piece of the job's stdout+stderr, starting at byte `offset` of the whole log."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="log_chunks")
    offset = models.PositiveBigIntegerField()
    text = models.TextField()

    class Meta:
        ordering = ["job_id", "offset"]
        constraints = [models.UniqueConstraint(fields=["job", "offset"], name="job_log_offset")]


class JobOutput(models.Model):
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="outputs")
    path = models.CharField(max_length=255)
    artifact = models.ForeignKey("artifacts.Artifact", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["job_id", "path"]
        constraints = [models.UniqueConstraint(fields=["job", "path"], name="job_output_path")]


class ComputeUsage(models.Model):
    """Ledger: what one job used of a licence's compute allowance (written once, at its end)."""

    entitlement = models.ForeignKey(
        "payments.Entitlement", on_delete=models.PROTECT, related_name="compute_usage"
    )
    job = models.OneToOneField(Job, on_delete=models.PROTECT, related_name="usage")
    wall_seconds = models.PositiveIntegerField()
    gpu_seconds = models.PositiveIntegerField(help_text="Wall seconds × GPUs.")
    metered_seconds = models.PositiveIntegerField(
        help_text="What counts against the allowance: GPU-seconds, or wall seconds on CPU hosts."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
