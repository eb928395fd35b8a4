"""The IPFS backend against a real node (js-ipfs, Kubo's RPC API): the node must compute the
same CID as our importer, for single-leaf, two-leaf, one-full-node and multi-level files."""

import pytest

from artifacts.cid import CHUNK_SIZE
from artifacts.storage import ArtifactNotFound, IpfsStorage, StorageError
from artifacts.tests.content import vector_content, vectors

SIZES = [0, 1, CHUNK_SIZE, CHUNK_SIZE + 1, 45613056, 50000000]
BY_SIZE = {vector["size"]: vector for vector in vectors()}


@pytest.fixture
def storage(ipfs_daemon):
    return IpfsStorage(ipfs_daemon.url, timeout=120)


@pytest.fixture
def write(tmp_path):
    def write(size: int):
        path = tmp_path / f"{size}.bin"
        path.write_bytes(vector_content(size))
        return path

    return write


@pytest.mark.parametrize("size", SIZES)
def test_the_node_computes_our_cid(storage, write, size):
    vector = BY_SIZE[size]
    storage.put_path(write(size), cid=vector["cidv1"])  # raises if the node disagrees
    assert storage.exists(vector["cidv1"])
    assert storage.size(vector["cidv1"]) == size


def test_put_stream_and_read_back_ranges(storage):
    import io

    data = vector_content(3 * CHUNK_SIZE + 100)
    digests = storage.put_stream(io.BytesIO(data))
    with storage.open(digests.cid) as whole:
        assert whole.read() == data
    with storage.open(digests.cid, offset=CHUNK_SIZE - 5, length=CHUNK_SIZE + 10) as part:
        assert part.read() == data[CHUNK_SIZE - 5 : 2 * CHUNK_SIZE + 5]


def test_move_consumes_the_file(storage, write):
    path = write(1000)
    storage.put_path(path, cid=BY_SIZE[1000]["cidv1"], move=True)
    assert not path.exists()


def test_a_cid_the_node_disagrees_with_is_refused_and_unpinned(storage, write):
    path = write(777)  # stored by no other test: its real CID must end up unpinned
    with pytest.raises(StorageError, match="computed") as refused:
        storage.put_path(path, cid=BY_SIZE[1]["cidv1"])
    real = str(refused.value).split()[3]
    assert real.startswith("bafk") and not storage.exists(real)


def test_delete_unpins(storage, write):
    cid = BY_SIZE[CHUNK_SIZE + 1]["cidv1"]
    storage.put_path(write(CHUNK_SIZE + 1), cid=cid)
    storage.delete(cid)
    assert not storage.exists(cid)
    storage.delete(cid)  # no-op
    with pytest.raises(ArtifactNotFound):
        storage.open(cid)
    with pytest.raises(ArtifactNotFound):
        storage.size(cid)


def test_accel_path(storage):
    cid = BY_SIZE[1]["cidv1"]
    assert storage.accel_redirect_path(cid) == f"/_ipfs/ipfs/{cid}"


def test_an_unreachable_node_is_a_storage_error(write):
    storage = IpfsStorage("http://127.0.0.1:9", timeout=2)
    with pytest.raises(StorageError, match="unreachable"):
        storage.exists(BY_SIZE[1]["cidv1"])
