"""Issue 15: the scanner is a gate by allow-list. Every file of the malicious corpus is flagged
(whatever protocol, container or name it hides behind); every benign model file passes."""

import io

import pytest

from artifacts import pickles, scanning, services
from artifacts.models import ArtifactScan
from artifacts.tests import corpus

pytestmark = pytest.mark.django_db
V = ArtifactScan.Verdict
MALICIOUS = corpus.malicious()
BENIGN = corpus.benign()


def scan(name: str, content: bytes) -> ArtifactScan:
    artifact = services.artifact_create_from_stream(stream=io.BytesIO(content))
    return services.artifact_scan_run(
        artifact_id=artifact.pk, as_pickle=scanning.loads_as_pickle(name)
    )


@pytest.mark.parametrize("case", sorted(MALICIOUS))
def test_every_malicious_file_is_flagged(case):
    name, content = MALICIOUS[case]
    result = scan(name, content)
    assert result.verdict == V.FLAGGED, result.findings
    assert result.pickle_scanned


@pytest.mark.parametrize("case", sorted(BENIGN))
def test_every_benign_model_file_is_clean(case):
    name, content = BENIGN[case]
    result = scan(name, content)
    assert (result.verdict, result.findings) == (V.CLEAN, []), case


def test_spawnv_passfds_is_named_though_no_deny_list_knows_it():
    findings = scan("model.pkl", corpus.spawn_pickle()).findings
    assert {f.get("global") for f in findings} >= {"multiprocessing.util.spawnv_passfds"}


def test_a_numpy_object_array_is_read_as_numpy_not_as_a_pickle_of_its_header():
    # The store names files by CID: the old scan fed the whole .npy to the pickle parser,
    # which errored, and an error blocked nothing.
    result = scan("embeddings.npy", corpus.npy_object_array())
    assert result.detected_type == "numpy"
    assert {f.get("global") for f in result.findings} & {"posix.system", "os.system"}


def test_a_nested_zip_names_the_path_to_the_pickle():
    messages = [
        f["message"] for f in scan("b.zip", corpus.nested_zip(corpus.spawn_pickle())).findings
    ]
    assert any(m.startswith("level1/inner.zip/level0/inner.zip/model/data.pkl:") for m in messages)


def test_a_truncated_pickle_is_an_error_not_clean():
    assert scan("model.pkl", corpus.spawn_pickle()[:40]).verdict in (V.ERROR, V.FLAGGED)
    safe = b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x01a\x94K"
    assert scan("model.pkl", safe).verdict == V.ERROR


def test_a_computed_global_name_is_flagged():
    # STACK_GLOBAL whose module comes from a call, not a string: nobody can tell what it is.
    crafted = b"\x80\x04\x8c\x08builtins\x8c\x03str\x93)R\x8c\x06system\x93."
    report = pickles.read_globals(io.BytesIO(crafted))
    assert pickles.UNKNOWN in report.unsafe
