import io

import pytest

from artifacts import scanning, selectors, services
from artifacts.models import ArtifactScan
from artifacts.tests.pickles import (
    malicious_pickle,
    malicious_protocol0_pickle,
    safe_pickle,
    safetensors_bytes,
    torch_zip,
)

pytestmark = pytest.mark.django_db
V = ArtifactScan.Verdict


def _scanned(content: bytes) -> ArtifactScan:
    artifact = services.artifact_create_from_stream(stream=io.BytesIO(content))
    return services.artifact_scan_run(artifact_id=artifact.pk)


def test_a_pickle_that_runs_os_system_is_flagged():
    scan = _scanned(malicious_pickle())
    assert scan.verdict == V.FLAGGED
    assert scan.detected_type == "pickle"
    dangerous = [f for f in scan.findings if f["severity"] == "dangerous"]
    assert dangerous and dangerous[0]["global"] in ("posix.system", "os.system", "nt.system")
    assert scan.scanner == scanning.SCANNER and scan.scanned_at is not None


def test_a_safe_pickle_passes():
    scan = _scanned(safe_pickle())
    assert (scan.verdict, scan.findings, scan.detected_type) == (V.CLEAN, [], "pickle")


def test_a_malicious_pickle_inside_a_pytorch_zip_is_flagged():
    assert _scanned(torch_zip(malicious_pickle())).verdict == V.FLAGGED
    assert _scanned(torch_zip(safe_pickle())).verdict == V.CLEAN


def test_types_are_sniffed_from_the_bytes():
    assert _scanned(safetensors_bytes()).detected_type == "safetensors"
    assert _scanned(b"id,label\n1,cat\n").detected_type == "text"
    elf = _scanned(b"\x7fELF\x02\x01\x01" + b"\x00" * 64)
    assert (elf.detected_type, elf.verdict) == ("elf", V.FLAGGED)
    png = _scanned(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    assert png.detected_mime == "image/png" and png.verdict == V.CLEAN


def test_missing_bytes_are_an_error_verdict_not_an_exception():
    from listings.tests.factories import artifact  # a row without stored bytes

    scan = services.artifact_scan_run(artifact_id=artifact().pk)
    assert scan.verdict == V.ERROR


def test_rescanning_rewrites_the_same_row():
    artifact = services.artifact_create_from_stream(stream=io.BytesIO(safe_pickle()))
    services.artifact_scan_run(artifact_id=artifact.pk)
    services.artifact_scan_run(artifact_id=artifact.pk)
    assert ArtifactScan.objects.filter(artifact=artifact).count() == 1
    assert (
        selectors.artifact_scans_latest(artifact_ids=[artifact.pk])[artifact.pk].verdict == "clean"
    )


def test_finishing_an_upload_scans_it(django_capture_on_commit_callbacks):
    from artifacts.tests.conftest import user_create

    owner = user_create()
    content = malicious_pickle()
    upload = services.upload_create(
        owner=owner, filename="model.pkl", size=len(content), content_type="", sha256=""
    )
    services.upload_append_chunk(
        upload=upload, offset=0, stream=io.BytesIO(content), length=len(content)
    )
    with django_capture_on_commit_callbacks(execute=True):
        upload = services.upload_finish(upload=upload)
    assert upload.artifact.scans.get().verdict == V.FLAGGED


def test_a_text_like_pickle_is_scanned_when_its_name_loads_as_a_pickle():
    artifact = services.artifact_create_from_stream(stream=io.BytesIO(malicious_protocol0_pickle()))
    scan = services.artifact_scan_run(artifact_id=artifact.pk)
    assert (scan.detected_type, scan.pickle_scanned, scan.verdict) == ("text", False, V.CLEAN)
    scan = services.artifact_scan_run(artifact_id=artifact.pk, as_pickle=True)
    assert (scan.pickle_scanned, scan.verdict) == (True, V.FLAGGED)
    # A later plain rescan (a scanner retry) keeps the pickle scan.
    assert services.artifact_scan_run(artifact_id=artifact.pk).verdict == V.FLAGGED


def test_random_bytes_are_not_taken_for_a_pickle_or_an_executable():
    import random

    # Seeded: about one random file in 200,000 starts like a protocol 2-5 pickle (PROTO and
    # a plausible opcode), and is rightly scanned as one; unseeded, this test failed 1 % of runs.
    rng = random.Random(20261205)
    kinds = {scanning.detect_type(rng.randbytes(4096), 4096)[0] for _ in range(2000)}
    assert not kinds & {"pickle", "pe", "elf", "mach-o"}
