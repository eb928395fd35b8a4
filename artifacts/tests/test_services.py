import io
from datetime import timedelta

import pytest
from django.utils import timezone

from artifacts import services, sha256state, tasks
from artifacts.models import Artifact, Upload
from artifacts.parts import PartFile
from artifacts.storage import StorageError, get_storage
from artifacts.tests.conftest import api_client_for
from artifacts.tests.content import vector_content, vectors
from core.errors import ApiError

pytestmark = pytest.mark.django_db
VECTOR = vectors()[5]
DATA = vector_content(VECTOR["size"])


def new_upload(user, size: int | None = None) -> Upload:
    size = len(DATA) if size is None else size
    return services.upload_create(owner=user, filename="data.parquet", size=size)


def append(upload, data: bytes, offset: int) -> Upload:
    return services.upload_append_chunk(
        upload=upload, offset=offset, stream=io.BytesIO(data), length=len(data)
    )


def test_a_chunk_cut_short_keeps_nothing(user, settings):
    upload = append(new_upload(user), DATA[:300_000], 0)
    with pytest.raises(ApiError) as cut:
        services.upload_append_chunk(
            upload=upload, offset=300_000, stream=io.BytesIO(DATA[300_000:400_000]), length=200_000
        )
    assert cut.value.get_codes() == "chunk_incomplete"
    part = PartFile(upload.pk)
    assert part.path.stat().st_size == 300_000 and part.leaves_path.stat().st_size == 32
    upload.refresh_from_db()
    upload = append(upload, DATA[300_000:], 300_000)
    assert services.upload_finish(upload=upload).artifact.cid == VECTOR["cidv1"]


def test_without_a_saveable_sha256_finish_hashes_the_file_once(user, monkeypatch):
    monkeypatch.setattr(sha256state, "AVAILABLE", False)
    upload = append(new_upload(user), DATA[:123_457], 0)
    assert upload.hash_state is None
    upload = append(upload, DATA[123_457:], 123_457)
    artifact = services.upload_finish(upload=upload, sha256=VECTOR["sha256"]).artifact
    assert (artifact.cid, artifact.sha256) == (VECTOR["cidv1"], VECTOR["sha256"])


def test_sha256_state_survives_serialization():
    import hashlib

    state = sha256state.Sha256State()
    state.update(DATA[:1001])
    restored = sha256state.Sha256State.from_bytes(state.to_bytes())
    restored.update(memoryview(bytearray(DATA[1001:])))
    assert restored.hexdigest() == hashlib.sha256(DATA).hexdigest()
    assert len(state.to_bytes()) == sha256state.STATE_SIZE


def test_purge_expires_idle_uploads_and_spares_busy_ones(user, settings):
    idle = append(new_upload(user), DATA[:1000], 0)
    busy = append(new_upload(user), DATA[:1000], 0)
    fresh = new_upload(user)
    Upload.objects.filter(pk__in=[idle.pk, busy.pk]).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    with PartFile(busy.pk).locked():
        assert tasks.upload_purge_expired_task() == 1
    statuses = dict(Upload.objects.values_list("pk", "status"))
    assert statuses == {idle.pk: "expired", busy.pk: "open", fresh.pk: "open"}
    assert not PartFile(idle.pk).path.exists() and PartFile(busy.pk).path.exists()
    assert services.upload_purge_expired() == 1  # the busy one, next time
    assert idle.status_changes.get().reason == "idle too long"


def test_each_chunk_pushes_expiry_back(user):
    upload = new_upload(user)
    Upload.objects.filter(pk=upload.pk).update(expires_at=timezone.now() + timedelta(minutes=1))
    upload.refresh_from_db()
    assert append(upload, DATA[:10], 0).expires_at > timezone.now() + timedelta(hours=23)


def test_artifact_from_file_dedupes_and_heals(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(DATA)
    first = services.artifact_create_from_file(path=path)
    get_storage().delete(first.cid)  # the bytes went missing
    second = services.artifact_create_from_file(path=path, move=True)
    assert first == second and Artifact.objects.count() == 1
    assert get_storage().exists(first.cid) and not path.exists()
    assert (first.sha256, first.size, first.storage) == (VECTOR["sha256"], len(DATA), "local")


def test_artifact_from_stream():
    artifact = services.artifact_create_from_stream(stream=io.BytesIO(DATA))
    assert artifact.cid == VECTOR["cidv1"]
    assert services.artifact_create_from_stream(stream=io.BytesIO(DATA)) == artifact


def test_a_store_outage_at_finish_is_503_and_the_upload_can_retry(user, monkeypatch):
    api = api_client_for(user)
    upload = append(new_upload(user), DATA, 0)
    url = f"/api/v1/artifacts/uploads/{upload.pk}/finish"

    def down(self, path, *, cid, move=False):
        raise StorageError("IPFS node unreachable")

    monkeypatch.setattr(type(get_storage()), "put_path", down)
    response = api.post(url)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "storage_unavailable"
    monkeypatch.undo()
    assert api.post(url).json()["artifact"]["cid"] == VECTOR["cidv1"]


def test_uploads_finish_into_ipfs_when_configured(user, settings, ipfs_daemon):
    settings.ARTIFACT_STORAGE = "ipfs"
    settings.IPFS_API_URL = ipfs_daemon.url
    data = vector_content(vectors()[4]["size"])
    upload = append(new_upload(user, size=len(data)), data, 0)
    artifact = services.upload_finish(upload=upload).artifact
    assert artifact.storage == "ipfs" and artifact.cid == vectors()[4]["cidv1"]
    with get_storage("ipfs").open(artifact.cid) as stored:
        assert stored.read() == data


class RecordingStream(io.BytesIO):
    def __init__(self, data: bytes):
        super().__init__(data)
        self.asked: list[int] = []

    def read(self, size=-1):
        self.asked.append(size)
        return super().read(size)


def test_chunks_are_read_in_small_pieces_never_whole(user):
    """What keeps the server's memory flat whatever the chunk size (see bench/upload_memory.py)."""
    stream = RecordingStream(DATA)
    services.upload_append_chunk(upload=new_upload(user), offset=0, stream=stream, length=len(DATA))
    assert stream.asked and max(stream.asked) <= 1024 * 1024 and -1 not in stream.asked
