"""Runs one job on its host's worker: queued → staging → running → publishing → succeeded,
or failed / timed_out / cancelled on the way. The staging area is removed whatever happens.

Every status change goes through services.job_set_status, so a cancel that lands between two
steps makes the next step's transition fail and the runner stops there."""

from __future__ import annotations

import logging
import math
import signal

from django.conf import settings
from django.db import transaction

from compute import sandbox
from compute.egress import EgressBlocked, egress_guard
from compute.models import ComputePolicy, ComputeUsage, Job, JobOutput
from compute.outputs import LogSink, OutputGuard, OutputRejected, output_files, outputs_store
from compute.services import InvalidTransition, job_set_status
from compute.staging import Staging, StagingError

logger = logging.getLogger(__name__)
S = Job.Status


def job_run(*, job_id: int, worker: str = "") -> None:
    job = Job.objects.select_related("environment", "algorithm").get(pk=job_id)
    try:
        job = job_set_status(job=job, to_status=S.STAGING, worker=worker)
    except InvalidTransition:
        return  # cancelled (or run already) before this worker got to it
    staging = Staging.for_job(job)
    try:
        _stage_and_run(job, staging)
    except Exception as exc:
        logger.exception("compute job %s: the runner failed", job.uuid)
        _fail(job, f"The runner failed on the host ({type(exc).__name__}); not your job's fault.")
    finally:
        staging.cleanup()


def _stage_and_run(job: Job, staging: Staging) -> None:
    try:
        staging.prepare(job)
    except StagingError as exc:
        _fail(job, str(exc))
        return
    try:
        job = job_set_status(job=job, to_status=S.RUNNING)
    except InvalidTransition:
        return  # cancelled while staging
    sink, guard = LogSink(job), OutputGuard(staging.out)
    result = sandbox.run(
        sandbox_spec(job, staging),
        on_output=sink.write,
        should_cancel=lambda: sink.cancelled() or guard(),
    )
    sink.flush()
    if guard.exceeded:  # killed by the guard, not by its owner
        _record_usage(job, result)
        sink.note(guard.exceeded)
        _end(job, S.FAILED, guard.exceeded)
        return
    _finish(job, result, sink, staging)


def sandbox_spec(job: Job, staging: Staging) -> sandbox.SandboxSpec:
    environment = job.environment
    return sandbox.SandboxSpec(
        algo_dir=staging.algo,
        data_dir=staging.data,
        inputs_dir=staging.inputs,
        out_dir=staging.out,
        entry_point=job.entry_point,
        # A uid per job: RLIMIT_NPROC counts every process of a uid on the machine.
        uid=settings.COMPUTE_SANDBOX_UID_BASE + job.pk % settings.COMPUTE_SANDBOX_UID_COUNT,
        time_limit_seconds=job.time_limit_seconds,
        memory_mb=environment.job_memory_mb,
        max_processes=settings.COMPUTE_SANDBOX_MAX_PROCESSES,
        output_max_bytes=settings.COMPUTE_OUTPUT_MAX_BYTES,
        tmp_max_bytes=settings.COMPUTE_TMP_MAX_BYTES,
        gpu_count=environment.gpu_count,
        cpu_count=environment.cpu_count,
        python=settings.COMPUTE_SANDBOX_PYTHON,
        ro_paths=settings.COMPUTE_SANDBOX_RO_PATHS,
        gpu_paths=settings.COMPUTE_SANDBOX_GPU_PATHS,
    )


def _finish(job: Job, result: sandbox.SandboxResult, sink: LogSink, staging: Staging) -> None:
    _record_usage(job, result)
    if result.cancelled:
        job.refresh_from_db(fields=["status"])
        sink.note(
            "Cancelled: the sandbox was killed."
            if job.status == S.CANCELLED
            else f"Stopped: the job is {job.get_status_display().lower()}; the sandbox was killed."
        )
        return
    if result.timed_out:
        reason = f"The time limit of {job.time_limit_seconds} s was reached; the job was killed."
        sink.note(reason)
        _end(job, S.TIMED_OUT, reason, exit_code=None)
        return
    if result.exit_code != 0:
        reason = _failure_reason(job, result, sink.tail)
        sink.note(reason)
        _end(job, S.FAILED, reason, exit_code=result.exit_code)
        return
    try:
        job = job_set_status(job=job, to_status=S.PUBLISHING, exit_code=0)
    except InvalidTransition:
        return
    try:
        output_files(staging.out)  # the names and the total cap, before any comparison
        # Nothing is stored, let alone released, while the outputs may carry the data out.
        egress_guard(job=job, data_dir=staging.data, out_dir=staging.out)
        digest, manifest, outputs = outputs_store(job=job, out_dir=staging.out)
    except OutputRejected as exc:
        sink.note(str(exc))
        code = "egress_blocked" if isinstance(exc, EgressBlocked) else ""
        _end(job, S.FAILED, str(exc), reason_code=code)
        return
    review = "pending" if _policy_reviews_outputs(job) else ""
    with transaction.atomic():
        # The status first: a job the watchdog failed meanwhile gets no outputs recorded.
        fields = {"output_digest": digest, "output_manifest": manifest, "outputs_review": review}
        if _end(job, S.SUCCEEDED, "", **fields):
            JobOutput.objects.bulk_create(outputs)


def _policy_reviews_outputs(job: Job) -> bool:
    return ComputePolicy.objects.filter(listing_id=job.listing_id, review_outputs=True).exists()


def _failure_reason(job: Job, result: sandbox.SandboxResult, tail: str) -> str:
    if result.signal is not None:
        name = signal.Signals(result.signal).name if result.signal in signal.valid_signals() else ""
        if result.signal == signal.SIGXFSZ:
            return "A file in /out passed the output size limit; the job was stopped."
        return f"The job was killed by signal {result.signal} {name}".strip() + "."
    if "MemoryError" in tail or "Cannot allocate memory" in tail:
        return (
            f"The job ran out of memory (limit {job.environment.job_memory_mb} MiB) "
            f"and exited with code {result.exit_code}."
        )
    return f"The job exited with code {result.exit_code}."


def _record_usage(job: Job, result: sandbox.SandboxResult) -> None:
    """The exact time the sandbox ran. Replaces the watchdog's estimate (start to last
    heartbeat) when the watchdog gave up on this runner first."""
    wall = max(math.ceil(result.wall_seconds), 1)
    gpus = job.environment.gpu_count
    ComputeUsage.objects.update_or_create(
        job=job,
        defaults={
            "entitlement_id": job.entitlement_id,
            "wall_seconds": wall,
            "gpu_seconds": wall * gpus,
            "metered_seconds": wall * max(gpus, 1),
        },
    )


def _end(job: Job, to_status: str, reason: str, **fields) -> bool:
    """True when the job ended here; False when a cancel (or the watchdog) came first."""
    try:
        job_set_status(job=job, to_status=to_status, reason=reason, **fields)
    except InvalidTransition:
        return False  # cancelled at the last moment: the cancel stands
    if settings.COMPUTE_ATTEST_RECEIPTS:
        from compute import tasks

        tasks.job_attest_receipt_task.delay_on_commit(job.pk)
    return True


def _fail(job: Job, reason: str) -> None:
    try:
        job_set_status(job=job, to_status=S.FAILED, reason=reason)
    except InvalidTransition:
        pass
