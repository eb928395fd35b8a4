"""The importer against CIDs from a real IPFS implementation (tests/data/cid-vectors.json)."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from artifacts import cid as cidlib
from artifacts.cid import CHUNK_SIZE, CidHasher, cid_from_leaf_digests, hash_file
from artifacts.tests.content import vector_content, vectors

VECTOR_IDS = [f"{v['size']}B" for v in vectors()]


@pytest.fixture(scope="module")
def executor():
    with ThreadPoolExecutor(max_workers=1) as pool:
        yield pool


@pytest.mark.parametrize("vector", vectors(), ids=VECTOR_IDS)
def test_whole_content_gives_the_reference_cid_and_sha256(vector):
    hasher = CidHasher()
    hasher.update(vector_content(vector["size"]))
    digests = hasher.finalize()
    assert (digests.cid, digests.sha256, digests.size) == (
        vector["cidv1"],
        vector["sha256"],
        vector["size"],
    )


@pytest.mark.parametrize("vector", vectors(), ids=VECTOR_IDS)
def test_odd_pieces_on_two_threads_give_the_same(vector, executor):
    """Pieces that straddle chunk boundaries, large enough to take the parallel path."""
    data = memoryview(vector_content(vector["size"]))
    hasher = CidHasher(executor=executor)
    step = 5 * CHUNK_SIZE + 12345
    for at in range(0, len(data), step):
        hasher.update(data[at : at + step])
    assert hasher.finalize().cid == vector["cidv1"]


@pytest.mark.parametrize("vector", vectors(), ids=VECTOR_IDS)
def test_dag_from_saved_leaf_digests(vector):
    """How a resumed upload builds its CID: from per-chunk sha256s only."""
    import hashlib

    data = vector_content(vector["size"])
    leaves = [
        hashlib.sha256(data[at : at + CHUNK_SIZE]).digest()
        for at in range(0, max(len(data), 1), CHUNK_SIZE)
    ]
    assert cid_from_leaf_digests(leaves, size=len(data)) == vector["cidv1"]


def test_leaf_digests_must_cover_the_size():
    with pytest.raises(ValueError):
        cid_from_leaf_digests([b"\0" * 32], size=CHUNK_SIZE + 1)
    with pytest.raises(ValueError):
        cid_from_leaf_digests([b"\0" * 32] * 2, size=CHUNK_SIZE)


@pytest.mark.parametrize("vector", vectors(max_size=2**20), ids=VECTOR_IDS[:6])
def test_hash_file(vector, tmp_path, executor):
    path = tmp_path / "file"
    path.write_bytes(vector_content(vector["size"]))
    for pool in (None, executor):
        digests = hash_file(path, executor=pool, block_size=3 * CHUNK_SIZE + 1)
        assert (digests.cid, digests.sha256) == (vector["cidv1"], vector["sha256"])


@settings(max_examples=60, deadline=None)
@given(
    size=st.integers(min_value=0, max_value=3 * CHUNK_SIZE + 7),
    cuts=st.lists(st.integers(min_value=0, max_value=3 * CHUNK_SIZE + 7), max_size=6),
)
def test_any_split_of_the_stream_gives_the_same_digests(size, cuts):
    data = vector_content(size)
    whole = CidHasher()
    whole.update(data)
    pieces = CidHasher()
    bounds = sorted({0, size, *(cut for cut in cuts if cut <= size)})
    for start, end in zip(bounds, bounds[1:], strict=False):
        pieces.update(data[start:end])
    assert pieces.finalize() == whole.finalize()


def test_max_links_boundaries_make_a_balanced_tree():
    """174 leaves fit one node; the 175th adds a level where the lone leaf gets its own parent
    (go-unixfs's layout), so the root has two children."""
    builder = cidlib.DagBuilder()
    for _ in range(174):
        builder.add_leaf(cidlib.raw_leaf(b"\1" * 32, CHUNK_SIZE))
    one_level = builder.root()
    builder.add_leaf(cidlib.raw_leaf(b"\2" * 32, 1))
    two_levels = builder.root()
    assert one_level.filesize == 174 * CHUNK_SIZE
    assert two_levels.filesize == 174 * CHUNK_SIZE + 1
    assert one_level.cid != two_levels.cid


def test_cid_parse_round_trip_and_rejects():
    text = vectors()[4]["cidv1"]
    assert cidlib.cid_string(cidlib.cid_parse(text)) == text
    for bad in ("", "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH", "b../../etc", text.upper()):
        with pytest.raises(ValueError):
            cidlib.cid_parse(bad)


def test_varint():
    assert [cidlib.varint(n) for n in (0, 127, 128, 300)] == [
        b"\0",
        b"\x7f",
        b"\x80\x01",
        b"\xac\x02",
    ]
