"""JobReceipt attestations (EAS): the platform attests what a finished job read (the sha256 of
each input), ran (the algorithm's sha256), produced (the sha256 of its output manifest), where,
and for how many GPU-seconds. Anyone can read one back and compare the output digest with the
sha256 of the manifest they downloaded."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from hexbytes import HexBytes

from chain import client, provenance
from compute.models import ComputeUsage, Job

ZERO32 = b"\x00" * 32


def job_id_bytes(job: Job) -> bytes:
    """bytes32 of the job's uuid: its 16 bytes, left-aligned (as Solidity widens bytes16)."""
    return job.uuid.bytes.ljust(32, b"\x00")


def receipt_values(job: Job) -> dict:
    usage = ComputeUsage.objects.filter(job=job).first()
    inputs = job.inputs.select_related("artifact").order_by("mount", "path")
    return {
        "jobId": job_id_bytes(job),
        "inputDigests": [bytes.fromhex(item.artifact.sha256) for item in inputs],
        "algorithmDigest": bytes.fromhex(job.algorithm.sha256),
        "outputDigest": bytes(HexBytes(job.output_digest)) if job.output_digest else ZERO32,
        "host": job.environment.name,
        "gpuSeconds": usage.gpu_seconds if usage else 0,
    }


def job_attest_receipt(*, job_id: int) -> str:
    """Attest a finished job once; returns the uid (0x-hex). The row stays locked while the
    transaction is mined so two workers cannot attest the same job twice."""
    with transaction.atomic():
        job = (
            Job.objects.select_for_update(of=("self",))
            .select_related("environment", "algorithm", "owner")
            .get(pk=job_id)
        )
        if job.receipt_uid or not job.is_finished:
            return job.receipt_uid
        from eth_account import Account  # eth_account loads on first use, not at start

        uid = provenance.attest(
            client.get_contract("EAS"),
            provenance.JOB_RECEIPT,
            account=Account.from_key(settings.CHAIN_DEPLOYER_KEY),
            recipient=job.owner.address,
            **receipt_values(job),
        )
        job.receipt_uid = "0x" + uid.hex()
        job.receipt_attested_at = timezone.now()
        job.save(update_fields=["receipt_uid", "receipt_attested_at"])
        return job.receipt_uid


def receipt_read(*, uid: str) -> dict:
    """The receipt as JSON-ready values (hex digests). Raises ValueError for a uid that is not
    a JobReceipt; chain errors propagate (callers map them to 503)."""
    found = provenance.read_attestation(
        client.get_contract("EAS"), bytes(HexBytes(uid)), provenance.JOB_RECEIPT
    )
    data = found["data"]
    return {
        "uid": uid,
        "attester": found["attester"],
        "recipient": found["recipient"],
        "time": found["time"],
        "revoked": bool(found["revocationTime"]),
        "job_id": "0x" + bytes(data["jobId"]).hex(),
        "input_digests": ["0x" + bytes(d).hex() for d in data["inputDigests"]],
        "algorithm_digest": "0x" + bytes(data["algorithmDigest"]).hex(),
        "output_digest": "0x" + bytes(data["outputDigest"]).hex(),
        "host": data["host"],
        "gpu_seconds": data["gpuSeconds"],
    }
