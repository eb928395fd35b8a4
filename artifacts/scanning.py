"""Automatic checks of stored bytes: what a file really is, and whether loading it would run code.

Model files in pickle formats (.pkl, .pt, .bin, .ckpt, .joblib, PyTorch's zip format, numpy
object arrays) run code when loaded: a `__reduce__` can call any importable function. The
check is an allow-list (artifacts/pickles.py): a file passes only when every global it imports
is one of a few known-safe reconstructors of tensors and arrays; anything else, a Keras Lambda
layer, a pickle that cannot be parsed or a zip nested too deep is a finding. The readers pick
the format from the bytes (the store names files by CID, so a name would say nothing), and
picklescan's deny-list adds a second opinion. A file named like a pickle is also parsed as one
(protocol 0/1 pickles are text-like and escape content sniffing). Never unpickle anything here.
Verdicts: only "clean" clears a file; flagged, error and pending all withhold it
(listings.moderation.checks.check_files_cleared)."""

from __future__ import annotations

import logging
import shutil
import struct
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path, PurePosixPath

from artifacts import formats
from artifacts.storage import storage_for
from artifacts.storage.base import StorageError

logger = logging.getLogger(__name__)
# Bumped with the allow-list: a new scanner name scans every file again, and only a scan by the
# current scanner clears a file (artifacts.selectors.artifact_scan_gate).
SCANNER = f"allow-list 2 + picklescan {version('picklescan')} + puremagic {version('puremagic')}"
HEAD_BYTES = 64 * 1024
EXECUTABLE_TYPES = {"elf", "pe", "mach-o"}
# Formats whose loaders may unpickle (PyTorch zips hold data.pkl; numpy .npy may hold objects).
PICKLE_CONTAINERS = {"pickle", "zip", "numpy", "hdf5"}
# Names whose loaders unpickle: such a file is scanned as a pickle whatever its bytes look like
# (protocol 0/1 pickles are text-like and escape content sniffing).
PICKLE_EXTENSIONS = {".pkl", ".pickle", ".pt", ".pth", ".bin", ".ckpt", ".joblib", ".npy", ".npz"}


def loads_as_pickle(name: str) -> bool:
    return PurePosixPath(name).suffix.lower() in PICKLE_EXTENSIONS


@dataclass
class ScanOutcome:
    verdict: str  # ArtifactScan.Verdict value
    detected_type: str = ""
    detected_mime: str = ""
    pickle_scanned: bool = False
    findings: list[dict] = field(default_factory=list)


def detect_type(head: bytes, size: int) -> tuple[str, str]:
    """(type, mime) of a file from its first bytes: our own checks for the formats that matter
    here (pickles, safetensors, executables), puremagic for the rest."""
    if head[:4] == b"\x7fELF":
        return "elf", "application/x-executable"
    if _is_pe(head):
        return "pe", "application/vnd.microsoft.portable-executable"
    if head[:4] in (
        b"\xfe\xed\xfa\xce",
        b"\xfe\xed\xfa\xcf",
        b"\xce\xfa\xed\xfe",
        b"\xcf\xfa\xed\xfe",
    ):
        return "mach-o", "application/x-mach-binary"
    if _is_pickle(head):
        return "pickle", "application/x-python-pickle"
    if head[:4] == b"PK\x03\x04":
        return "zip", "application/zip"
    if head[:6] == b"\x93NUMPY":
        return "numpy", "application/x-npy"
    if head[:8] == b"\x89HDF\r\n\x1a\n":
        return "hdf5", "application/x-hdf5"
    if head[:4] == b"GGUF":
        return "gguf", "application/octet-stream"
    if _is_safetensors(head, size):
        return "safetensors", "application/octet-stream"
    if head[:2] == b"#!":
        return "script", "text/x-script"
    return _puremagic_type(head)


def _is_pe(head: bytes) -> bool:
    """'MZ', and the DOS header's e_lfanew pointing at 'PE\\0\\0' (two bytes alone would match
    one random file in 65536)."""
    if head[:2] != b"MZ" or len(head) < 0x40:
        return False
    offset = int.from_bytes(head[0x3C:0x40], "little")
    return head[offset : offset + 4] == b"PE\0\0"


# What follows PROTO in real pickles: FRAME (protocol 4+, larger pickles) or a first opcode.
_PICKLE_SECOND_OPCODES = set(b"\x95c}](XKJMGq\x8a\x88\x89NU\x8c\x93\x80.")


def _is_pickle(head: bytes) -> bool:
    """PROTO 2-5 and a plausible next opcode; protocol 0/1 pickles (rare in model files) are
    text-like and only scanned when their name says pickle."""
    if len(head) < 3 or head[0] != 0x80 or not 2 <= head[1] <= 5:
        return False
    return head[2] in _PICKLE_SECOND_OPCODES


def _is_safetensors(head: bytes, size: int) -> bool:
    """8-byte little-endian header length, then a JSON object that fits in the file."""
    if len(head) < 10:
        return False
    (length,) = struct.unpack("<Q", head[:8])
    return 0 < length <= size - 8 and head[8:9] == b"{"


def _puremagic_type(head: bytes) -> tuple[str, str]:
    import puremagic  # scans run in the worker: not loaded into the web process at start

    try:
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        matches = []
    # One- or two-byte signatures (confidence < 0.3) match random bytes all the time.
    matches = [m for m in matches if m.confidence >= 0.3 and "pickle" not in m.extension]
    if matches:
        best = matches[0]
        return (best.extension or "").lstrip(".")[:32] or "binary", (best.mime_type or "")[:100]
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "binary", "application/octet-stream"
    return "text", "text/plain"


def scan_path(path: Path, *, as_pickle: bool = False) -> ScanOutcome:
    """Check the file at `path`: sniff its type, and read every format whose loader may run
    code (and any file `as_pickle`, because a name it goes by loads as a pickle) by what the
    bytes are, never by the store's file name."""
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(HEAD_BYTES)
    kind, mime = detect_type(head, size)
    outcome = ScanOutcome(verdict="clean", detected_type=kind, detected_mime=mime)
    if kind in EXECUTABLE_TYPES:
        outcome.findings.append(
            {"check": "type", "severity": "dangerous", "message": f"an executable ({kind})"}
        )
    if kind in PICKLE_CONTAINERS or as_pickle:
        outcome.pickle_scanned = True
        with path.open("rb") as f:
            outcome.findings.extend(formats.findings(f, kind=kind, where=""))
        outcome.findings.extend(_picklescan_findings(path, kind, outcome.findings))
    if any(f["severity"] == "dangerous" for f in outcome.findings):
        outcome.verdict = "flagged"
    elif any(f["severity"] == "error" for f in outcome.findings):
        outcome.verdict = "error"
    return outcome


# picklescan picks its parser by file name: give it the name of what the bytes really are
# (the store's files are named by CID, which sent a .npy through its pickle parser).
_PICKLESCAN_NAMES = {"zip": "model.pt", "numpy": "array.npy"}


def _picklescan_findings(path: Path, kind: str, ours: list[dict]) -> list[dict]:
    """picklescan's deny-list as a second opinion on our allow-list: what it rates dangerous or
    suspicious and we did not already name. Its parse errors are left to our own reader."""
    if kind == "hdf5":
        return []
    from picklescan import scanner as picklescan  # as puremagic: on the first scan

    named = {f.get("global") for f in ours}
    with path.open("rb") as f:
        try:
            result = picklescan.scan_bytes(f, _PICKLESCAN_NAMES.get(kind, "model.pkl"))
        except Exception:  # noqa: BLE001 - a second opinion that cannot run adds nothing
            return []
    return [
        {
            "check": "pickle",
            "severity": "dangerous",
            "global": f"{g.module}.{g.name}",
            "message": f"imports {g.module}.{g.name} when loaded (picklescan: {g.safety.value})",
        }
        for g in sorted(result.globals, key=lambda g: (g.module, g.name))
        if g.safety != picklescan.SafetyLevel.Innocuous and f"{g.module}.{g.name}" not in named
    ]


@contextmanager
def local_copy(artifact):
    """A path to the artifact's bytes: the store's own file, or a temporary copy (IPFS)."""
    storage = storage_for(artifact)
    path = storage.local_path(artifact.cid)
    if path is not None and Path(path).exists():
        yield Path(path)
        return
    with storage.open(artifact.cid) as source, tempfile.NamedTemporaryFile() as tmp:
        shutil.copyfileobj(source, tmp)
        tmp.flush()
        yield Path(tmp.name)


def scan_artifact(artifact, *, as_pickle: bool = False) -> ScanOutcome:
    """Scan an artifact's bytes; a missing file is an error verdict, not an exception."""
    try:
        with local_copy(artifact) as path:
            return scan_path(path, as_pickle=as_pickle)
    except (StorageError, FileNotFoundError):
        return _error("the bytes are not in the store", as_pickle)
    except Exception as exc:  # noqa: BLE001 - a scan that cannot run is an error verdict
        logger.exception("scan of artifact %s failed", artifact.pk)
        return _error(f"the scan failed: {type(exc).__name__}", as_pickle)


def _error(message: str, as_pickle: bool) -> ScanOutcome:
    """A finished scan that could not look: the verdict says so (moderators see it), and it
    counts as done, so nothing waits on it forever."""
    finding = {"check": "store", "severity": "error", "message": message}
    return ScanOutcome(verdict="error", pickle_scanned=as_pickle, findings=[finding])
