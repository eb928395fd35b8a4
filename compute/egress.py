"""The egress guard: before a job's outputs are released, they are compared with the listing's
data, so that a compute licence cannot be used as a download licence.

Two checks, both on the host, after the sandbox has ended and before anything is stored:
- size: the outputs together may not exceed the creator's percentage of the data's size
  (with a small floor, settings.COMPUTE_EGRESS_MIN_OUTPUT_BYTES, so that tiny results of tiny
  datasets are not refused);
- content: the data and the outputs are cut into content-defined chunks (a gear rolling hash
  picks the cut points from the bytes themselves, so a copy shifted by any number of bytes is
  cut at the same places) and the outputs may share at most settings.COMPUTE_EGRESS_MATCH_BYTES
  bytes of whole chunks with the data. Whole, partial and shifted copies are caught.

What it cannot catch (docs/security.md): a transformed copy (compressed, encrypted, re-encoded,
reordered at a granularity finer than a chunk) under the size cap. The size cap and the
licence's compute minutes bound how much can leave that way."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.conf import settings

from compute.outputs import OutputRejected

MASK64 = (1 << 64) - 1
# A fixed random-looking 64-bit value per byte (sha256 of the byte): the gear table.
GEAR = [int.from_bytes(hashlib.sha256(bytes([i])).digest()[:8], "little") for i in range(256)]
BLOCK = 1024 * 1024


@dataclass(frozen=True)
class Chunking:
    """Average chunk of 2**bits bytes; chunks are 1/4 to 4 times that."""

    bits: int

    @classmethod
    def for_size(cls, data_bytes: int) -> Chunking:
        # About 2**16 chunks for the whole dataset, at least 64-byte and at most 64 KiB chunks:
        # small datasets get fine chunks (a partial copy of a few KiB is caught), large ones a
        # fingerprint set that fits in memory.
        return cls(bits=min(max((data_bytes >> 16).bit_length(), 6), 16))

    @property
    def min_size(self) -> int:
        return 1 << (self.bits - 2)

    @property
    def max_size(self) -> int:
        return 1 << (self.bits + 2)

    @property
    def mask(self) -> int:
        # The top bits: a gear hash's top bits depend on the last 64 bytes only (its window),
        # so the cut points depend on the content around them, not on where the file starts.
        return ((1 << self.bits) - 1) << (64 - self.bits)


def chunks(path: Path, chunking: Chunking) -> Iterator[tuple[int, int]]:
    """(fingerprint, size) of each content-defined chunk of the file."""
    mask, low, high = chunking.mask, chunking.min_size, chunking.max_size
    gear, current, digest = GEAR, 0, bytearray()
    with path.open("rb") as f:
        while block := f.read(BLOCK):
            start = 0
            for i, byte in enumerate(block):
                current = ((current << 1) + gear[byte]) & MASK64
                size = len(digest) + i - start + 1
                if (size >= low and not current & mask) or size >= high:
                    digest += block[start : i + 1]
                    yield _fingerprint(digest), len(digest)
                    digest, start = bytearray(), i + 1
            digest += block[start:]
    if digest:
        yield _fingerprint(digest), len(digest)


def _fingerprint(chunk: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(chunk, digest_size=8).digest(), "little")


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


@dataclass
class EgressVerdict:
    reason: str  # empty when the outputs may be released
    data_bytes: int = 0
    output_bytes: int = 0
    matched_bytes: int = 0


def _data_fingerprints(path: Path, chunking: Chunking, cache: Path | None) -> set[int]:
    """The chunk fingerprints of one data file, read from the host's cache when this file (by
    its content id) was fingerprinted with these chunk sizes before: chunking runs in Python
    (about 1 MB/s per core), so each dataset pays it once per host, not once per job."""
    if cache is not None and cache.exists():
        raw = cache.read_bytes()
        return {int.from_bytes(raw[i : i + 8], "little") for i in range(0, len(raw), 8)}
    found = {fingerprint for fingerprint, _ in chunks(path, chunking)}
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_suffix(".part")
        partial.write_bytes(b"".join(f.to_bytes(8, "little") for f in sorted(found)))
        partial.replace(cache)  # whole or not at all: a crash leaves no half cache
    return found


def egress_check(
    *,
    data_dir: Path,
    out_dir: Path,
    max_output_percent: int,
    cache_names: dict[Path, str] | None = None,
    cache_dir: Path | None = None,
) -> EgressVerdict:
    """Whether /out may leave the host: the size cap first (cheap), then the fingerprints.
    `cache_names` maps data files to a stable name (their CID) for the fingerprint cache in
    `cache_dir`."""
    data, outputs = _files(data_dir), _files(out_dir)
    data_bytes = sum(p.stat().st_size for p in data)
    output_bytes = sum(p.lstat().st_size for p in outputs)
    verdict = EgressVerdict("", data_bytes, output_bytes)
    cap = max(data_bytes * max_output_percent // 100, settings.COMPUTE_EGRESS_MIN_OUTPUT_BYTES)
    if output_bytes > cap:
        verdict.reason = (
            f"The outputs ({output_bytes} bytes) are larger than this listing allows: "
            f"{max_output_percent}% of its data ({cap} bytes). Nothing was released."
        )
        return verdict
    if not data or not outputs:
        return verdict
    chunking = Chunking.for_size(data_bytes)
    known: set[int] = set()
    for path in data:
        name = (cache_names or {}).get(path)
        cache = cache_dir / f"{name}-{chunking.bits}.fp" if cache_dir and name else None
        known |= _data_fingerprints(path, chunking, cache)
    verdict.matched_bytes = sum(
        size
        for path in outputs
        for fingerprint, size in chunks(path, chunking)
        if fingerprint in known
    )
    allowed = min(settings.COMPUTE_EGRESS_MATCH_BYTES, max(data_bytes // 2, 1) - 1)
    if verdict.matched_bytes > allowed:
        verdict.reason = (
            f"The outputs contain {verdict.matched_bytes} bytes of the listing's data "
            "(copied whole, in part or shifted); compute results may not carry the data out. "
            "Nothing was released."
        )
    return verdict


class EgressBlocked(OutputRejected):
    """The outputs would carry the listing's data out; the job fails with `egress_blocked`."""


def egress_guard(*, job, data_dir: Path, out_dir: Path) -> None:
    """Raise EgressBlocked when the job's outputs may not leave the host under its listing's
    policy; called after the sandbox ended, before anything is stored."""
    from compute.models import ComputePolicy

    policy = ComputePolicy.objects.filter(listing_id=job.listing_id).first()
    percent = policy.max_output_percent if policy else ComputePolicy().max_output_percent
    names = {
        data_dir.joinpath(*PurePosixPath(item.path).parts): item.artifact.cid
        for item in job.inputs.filter(mount="data").select_related("artifact")
    }
    verdict = egress_check(
        data_dir=data_dir,
        out_dir=out_dir,
        max_output_percent=percent,
        cache_names=names,
        cache_dir=Path(settings.COMPUTE_STAGING_DIR) / ".fingerprints",
    )
    if verdict.reason:
        raise EgressBlocked(verdict.reason)
