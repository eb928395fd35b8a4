"""Compute-to-data as MCP tools: submit a job over a listing's data, follow its log, fetch its
outputs and check its JobReceipt on chain. Same services and replies as /api/v1/compute/."""

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any
from uuid import UUID

from django.core.files.uploadedfile import SimpleUploadedFile
from mcp.server.mcpserver import Context
from pydantic import Field

from agents.calls import absolute, jsonable, refused, tool_call
from artifacts.storage import ArtifactNotFound, StorageError, storage_for
from compute import selectors, services
from compute.apis import JobSerializer, job_log_reply, job_output_api_url, receipt_verify
from listings import selectors as listing_selectors

Slug = Annotated[str, Field(max_length=160, description="The listing's slug.")]
JobId = Annotated[UUID, Field(description="The job's id (from submit_compute_job).")]
Digest = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{64}$")]
MAX_SCRIPT_BYTES = 256 * 1024
INLINE_TEXT_BYTES = 64 * 1024  # outputs up to this size come back as text in the reply
LOG_POLL_SECONDS = 0.5


def submit_compute_job(
    ctx: Context,
    slug: Slug,
    environment: Annotated[str, Field(max_length=60, description="A host get_listing offers.")],
    algorithm_cid: Annotated[str, Field(max_length=100, description="A trusted algorithm.")] = "",
    entry_point: Annotated[str, Field(max_length=100)] = "",
    script: Annotated[
        str,
        Field(
            max_length=MAX_SCRIPT_BYTES, description="Python source, if raw scripts are allowed."
        ),
    ] = "",
    script_name: Annotated[str, Field(pattern=r"^[\w.-]{1,100}$")] = "main.py",
    max_seconds: Annotated[int | None, Field(ge=1)] = None,
    inputs: Annotated[
        dict[str, Annotated[str, Field(max_length=MAX_SCRIPT_BYTES)]],
        Field(description="Text files for the job, by plain file name, under /inputs."),
    ] = {},  # noqa: B006 (never mutated; pydantic copies defaults)
) -> dict[str, Any]:
    """Run an algorithm over the listing's data on one of its hosts, with a compute licence:
    either a trusted algorithm (algorithm_cid, from get_listing's compute offer) or your own
    Python `script` where the creator allows raw scripts. The data is mounted read-only at
    /data, `inputs` at /inputs; write results under /out. The job is queued; follow it with
    follow_job_log."""
    with tool_call(ctx) as caller:
        user = caller.signed_in()
        listing = listing_selectors.listing_get_for_viewer(slug=slug, viewer=user)
        upload = None
        if script:
            upload = SimpleUploadedFile(script_name, script.encode(), content_type="text/x-python")
        job = services.job_submit(
            owner=user,
            listing=listing,
            request=services.JobRequest(
                environment=environment,
                entry_point=entry_point,
                algorithm_cid=algorithm_cid,
                algorithm_file=upload,
                inputs=tuple(
                    SimpleUploadedFile(name, text.encode(), content_type="text/plain")
                    for name, text in inputs.items()
                ),
                max_seconds=max_seconds,
            ),
        )
        return _job_reply(job)


def get_job(ctx: Context, job_id: JobId) -> dict[str, Any]:
    """One of your jobs: status, reason, exit code, times, output digest, receipt uid, and the
    released outputs (path, cid, sha256, size, url)."""
    with tool_call(ctx) as caller:
        return _job_reply(selectors.job_get_for_owner(owner=caller.signed_in(), uuid=job_id))


# Waiting calls hold one of the server's worker threads each: a user gets this many at once
# (more calls answer at once, without waiting), so one user cannot stall every tool.
WAITS_PER_USER = 2
_waits: Counter = Counter()
_waits_lock = threading.Lock()


@contextmanager
def waiting_slot(user_id: int) -> Iterator[bool]:
    """Whether this call may wait (one of the user's WAITS_PER_USER slots in this process)."""
    with _waits_lock:
        allowed = _waits[user_id] < WAITS_PER_USER
        if allowed:
            _waits[user_id] += 1
    try:
        yield allowed
    finally:
        if allowed:
            with _waits_lock:
                _waits[user_id] -= 1


def follow_job_log(
    ctx: Context,
    job_id: JobId,
    after: Annotated[int, Field(ge=0, description="`next` of the previous call.")] = 0,
    wait_seconds: Annotated[float, Field(ge=0, le=30)] = 10,
) -> dict[str, Any]:
    """The job's log from character `after` on, and its status. Waits up to wait_seconds for
    new text or the end of the job; call again with after=next until finished is true."""
    with tool_call(ctx) as caller, waiting_slot(caller.signed_in().pk) as may_wait:
        owner = caller.user
        deadline = time.monotonic() + (wait_seconds if may_wait else 0)
        while True:
            job = selectors.job_get_for_owner(owner=owner, uuid=job_id)
            reply = job_log_reply(job=job, after=after)
            if reply["text"] or reply["finished"] or time.monotonic() >= deadline:
                return jsonable(reply)
            time.sleep(LOG_POLL_SECONDS)


def get_job_outputs(ctx: Context, job_id: JobId) -> dict[str, Any]:
    """A finished job's released outputs: path, cid, sha256, size, url (GET it with the same
    Bearer token), and `text` for small UTF-8 files; the manifest (one `path<TAB>cid` line per
    output) whose sha256 is the receipt's output_digest, and the receipt uid."""
    with tool_call(ctx) as caller:
        job = selectors.job_get_for_owner(owner=caller.signed_in(), uuid=job_id)
        if not job.is_finished:
            raise refused("not_finished", f"The job is {job.status}; follow_job_log until it ends.")
        outputs = []
        for out in selectors.job_outputs_released(job=job):
            row = {"path": out.path, "cid": out.artifact.cid, "sha256": out.artifact.sha256}
            row.update(size=out.artifact.size, url=absolute(job_output_api_url(job, out.path)))
            row["text"] = _small_text(out.artifact)
            outputs.append(row)
        released = job.output_manifest is not None and job.outputs_review not in (
            "pending",
            "rejected",
        )
        return {
            "id": str(job.uuid),
            "status": job.status,
            "outputs_review": job.outputs_review,
            "outputs": outputs,
            "manifest": _small_text(job.output_manifest) if released else None,
            "manifest_url": absolute(f"/api/v1/compute/jobs/{job.uuid}/manifest")
            if released
            else None,
            "output_digest": job.output_digest,
            "receipt_uid": job.receipt_uid,
        }


def cancel_job(ctx: Context, job_id: JobId) -> dict[str, Any]:
    """Cancel one of your jobs that has not finished (a finished one: not_cancellable)."""
    with tool_call(ctx) as caller:
        user = caller.signed_in()
        job = selectors.job_get_for_owner(owner=user, uuid=job_id)
        return _job_reply(services.job_cancel(job=job, actor=user))


def verify_receipt(
    ctx: Context,
    uid: Annotated[str, Field(max_length=66, description="The receipt uid (0x + 64 hex).")],
    output_digest: Annotated[Digest | None, Field(description="sha256 of the manifest.")] = None,
) -> dict[str, Any]:
    """Read a JobReceipt attestation back from the chain (EAS): job id, input, algorithm and
    output digests, host, GPU seconds, recipient, attester; with output_digest, `matches`
    says whether the chain agrees with it. Anyone may verify; no token needed."""
    with tool_call(ctx):
        return jsonable(receipt_verify(uid=uid, output_digest=output_digest))


def _job_reply(job) -> dict[str, Any]:
    data = jsonable(JobSerializer(job).data)
    for output in data["outputs"]:
        output["url"] = absolute(output["url"])
    return data


def _small_text(artifact) -> str | None:
    if artifact is None or artifact.size > INLINE_TEXT_BYTES:
        return None
    try:
        with storage_for(artifact).open(artifact.cid) as stream:
            return stream.read(INLINE_TEXT_BYTES + 1).decode("utf-8")
    except (ArtifactNotFound, StorageError, UnicodeDecodeError):
        return None  # the url still serves it (or says why not)


TOOLS = (submit_compute_job, follow_job_log, get_job, get_job_outputs, cancel_job, verify_receipt)
READ_ONLY = {"follow_job_log", "get_job", "get_job_outputs", "verify_receipt"}
