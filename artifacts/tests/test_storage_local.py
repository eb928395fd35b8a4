import errno
import io
import os
import shutil

import pytest

from artifacts.cid import hash_file
from artifacts.storage import ArtifactNotFound, LocalStorage, get_storage
from artifacts.tests.content import vector_content, vectors

VECTOR = vectors()[5]  # 1 MiB, several leaves


@pytest.fixture
def storage(settings):
    return LocalStorage(settings.ARTIFACT_ROOT)


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "source.bin"
    path.write_bytes(vector_content(VECTOR["size"]))
    return path


def test_configured_backend_is_local(storage):
    assert isinstance(get_storage(), LocalStorage)
    with pytest.raises(ValueError, match="ARTIFACT_STORAGE"):
        get_storage("s3")


def test_put_path_copies_and_stores_by_cid(storage, source):
    cid = VECTOR["cidv1"]
    storage.put_path(source, cid=cid)
    assert source.exists()
    assert storage.exists(cid) and storage.size(cid) == VECTOR["size"]
    assert storage.local_path(cid) == storage.root / cid[-3:-1] / cid
    assert hash_file(storage.local_path(cid)).cid == cid
    assert storage.accel_redirect_path(cid) == f"/_artifacts/{cid[-3:-1]}/{cid}"


def test_put_path_move_renames_and_is_read_only(storage, source):
    cid = VECTOR["cidv1"]
    inode = source.stat().st_ino
    storage.put_path(source, cid=cid, move=True)
    assert not source.exists()
    stored = storage.local_path(cid)
    assert stored.stat().st_ino == inode  # a rename, not a copy
    assert stored.stat().st_mode & 0o222 == 0


def test_putting_a_stored_cid_again_is_a_no_op(storage, source, tmp_path):
    cid = VECTOR["cidv1"]
    storage.put_path(source, cid=cid)
    other = tmp_path / "again.bin"
    shutil.copy(source, other)
    storage.put_path(other, cid=cid, move=True)
    assert not other.exists() and storage.exists(cid)


def test_across_file_systems_copies_then_renames(storage, source, monkeypatch):
    real_replace = os.replace
    calls = []

    def replace(src, dst):
        calls.append(src)
        if len(calls) == 1:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    storage.put_path(source, cid=VECTOR["cidv1"], move=True)
    assert not source.exists()
    assert storage.open(VECTOR["cidv1"]).read() == vector_content(VECTOR["size"])
    assert str(calls[1]).startswith(str(storage.root / ".tmp"))


def test_a_failed_write_leaves_no_partial_artifact(storage, source, monkeypatch):
    def broken_copy(src, dst, length=0):
        dst.write(src.read(1000))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "copyfileobj", broken_copy)
    with pytest.raises(OSError):
        storage.put_path(source, cid=VECTOR["cidv1"])
    assert not storage.exists(VECTOR["cidv1"])
    assert list((storage.root / ".tmp").iterdir()) == []


def test_open_with_ranges(storage, source):
    cid = VECTOR["cidv1"]
    data = vector_content(VECTOR["size"])
    storage.put_path(source, cid=cid)
    with storage.open(cid) as whole:
        assert whole.read() == data
    with storage.open(cid, offset=300_000, length=70_000) as part:
        assert part.read() == data[300_000:370_000]
    with storage.open(cid, offset=len(data) - 10, length=100) as tail:
        assert tail.read() == data[-10:]
    with storage.open(cid, offset=5, length=0) as empty:
        assert empty.read() == b""


def test_missing_artifacts(storage):
    cid = VECTOR["cidv1"]
    assert not storage.exists(cid)
    assert storage.local_path(cid) is None
    with pytest.raises(ArtifactNotFound):
        storage.open(cid)
    with pytest.raises(ArtifactNotFound):
        storage.size(cid)
    storage.delete(cid)  # no-op


def test_delete(storage, source):
    storage.put_path(source, cid=VECTOR["cidv1"])
    storage.delete(VECTOR["cidv1"])
    assert not storage.exists(VECTOR["cidv1"])


def test_put_stream_hashes_while_storing(storage, settings):
    digests = storage.put_stream(io.BytesIO(vector_content(VECTOR["size"])))
    assert (digests.cid, digests.sha256, digests.size) == (
        VECTOR["cidv1"],
        VECTOR["sha256"],
        VECTOR["size"],
    )
    assert storage.exists(VECTOR["cidv1"])
    assert list(settings.UPLOAD_DIR.iterdir()) == []


@pytest.mark.parametrize("cid", ["../../etc/passwd", "bafy/../../x", "Qm123", ""])
def test_paths_come_only_from_valid_cids(storage, cid):
    with pytest.raises(ValueError):
        storage.path(cid)
