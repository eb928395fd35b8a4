"""Celery tasks of artifacts: `_task` names, `name=` pinned (docs/architecture.md)."""

from celery import shared_task

from artifacts import services


@shared_task(
    name="artifacts.tasks.upload_purge_expired",
    ignore_result=True,
    acks_late=True,
    soft_time_limit=300,
    time_limit=360,
)
def upload_purge_expired_task() -> int:
    """Expire idle uploads and delete their part files. Idempotent (acks_late is safe); for the
    beat schedule (hourly is plenty)."""
    return services.upload_purge_expired()


@shared_task(ignore_result=True, acks_late=True, soft_time_limit=1800, time_limit=1900)
def artifact_scan(artifact_id: int, as_pickle: bool = False) -> None:
    """Automatic checks of an artifact's bytes (idempotent: a rerun rewrites the same row).
    Long limits: scanning streams through a file that may be many gigabytes."""
    services.artifact_scan_run(artifact_id=artifact_id, as_pickle=as_pickle)
