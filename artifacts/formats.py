"""Reading model formats whose loaders can run code, by what the bytes are: pickles (protocols
0 to 5, several in a row), zips (PyTorch, .npz, .keras, zips inside zips), numpy .npy object
arrays (a pickle after the header), and Keras models with Lambda layers (marshalled Python in
the config of a .keras zip or an HDF5 file). Each returns findings in the shape of
ArtifactScan.findings; nothing is ever loaded or executed."""

from __future__ import annotations

import ast
import io
import re
import shutil
import tempfile
import zipfile
from pathlib import PurePosixPath
from typing import BinaryIO

from artifacts.pickles import UNKNOWN, read_globals

MAX_ZIP_DEPTH = 3  # a zip in a zip in a zip; deeper is refused, not skipped
MAX_ZIP_MEMBERS = 10_000
SPOOL_BYTES = 64 * 1024**2
NUMPY_MAGIC = b"\x93NUMPY"
# Members PyTorch stores raw tensor bytes in: never unpickled, and random floats can look like
# a pickle's first bytes.
_TORCH_STORAGE = re.compile(r"(^|/)data/\d+$")
_KERAS_LAMBDA = re.compile(rb'"class_name"\s*:\s*"Lambda"')
_PICKLE_NAMES = {".pkl", ".pickle", ".pt", ".pth", ".bin", ".ckpt", ".joblib", ".dat"}


def finding(severity: str, message: str, where: str, **extra) -> dict:
    prefix = f"{where}: " if where else ""
    return {"check": "pickle", "severity": severity, "message": prefix + message, **extra}


def findings(stream: BinaryIO, *, kind: str, where: str, depth: int = 0) -> list[dict]:
    """What loading `stream` (of sniffed type `kind`) would do that is not allowed."""
    if kind == "zip":
        return zip_findings(stream, where=where, depth=depth)
    if kind == "numpy":
        return numpy_findings(stream, where=where)
    if kind == "hdf5":
        return keras_findings(stream, where=where)
    return pickle_findings(stream, where=where)


def pickle_findings(stream: BinaryIO, *, where: str) -> list[dict]:
    report = read_globals(stream)
    found = [
        finding(
            "dangerous",
            f"imports {name} when loaded, which is not on the allow-list of safe reconstructors"
            if name != UNKNOWN
            else "imports a global whose name is computed at load time",
            where,
            **{"global": name},
        )
        for name in report.unsafe
    ]
    if report.error:
        found.append(finding("error", f"the pickle could not be parsed ({report.error})", where))
    return found


def zip_findings(stream: BinaryIO, *, where: str, depth: int) -> list[dict]:
    if depth >= MAX_ZIP_DEPTH:
        return [finding("dangerous", "zips nested too deep to check", where)]
    try:
        archive = zipfile.ZipFile(stream)
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        return [finding("error", f"the zip could not be read ({exc})", where)]
    if len(members) > MAX_ZIP_MEMBERS:
        return [finding("error", f"more than {MAX_ZIP_MEMBERS} files in a zip", where)]
    found = []
    for info in members:
        if info.is_dir():
            continue
        inner = f"{where}/{info.filename}" if where else info.filename
        try:
            found.extend(_member_findings(archive, info, inner, depth))
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError) as exc:
            found.append(finding("error", f"could not be read ({exc})", inner))
    return found


def _member_findings(archive, info, where: str, depth: int) -> list[dict]:
    from artifacts.scanning import HEAD_BYTES, detect_type

    with archive.open(info) as member:
        head = member.read(HEAD_BYTES)
    kind, _ = detect_type(head, info.file_size)
    name = PurePosixPath(info.filename.lower())
    if kind == "zip":
        with archive.open(info) as member, tempfile.SpooledTemporaryFile(SPOOL_BYTES) as copy:
            shutil.copyfileobj(member, copy)
            copy.seek(0)
            return zip_findings(copy, where=where, depth=depth + 1)
    if kind == "numpy" or name.suffix == ".npy":
        with archive.open(info) as member:
            return numpy_findings(io.BufferedReader(member), where=where)
    if name.name == "config.json" or kind == "hdf5" or name.suffix in (".h5", ".hdf5"):
        with archive.open(info) as member:
            return keras_findings(member, where=where)
    is_storage = _TORCH_STORAGE.search(info.filename) is not None
    if name.suffix in _PICKLE_NAMES or (kind == "pickle" and not is_storage):
        with archive.open(info) as member:
            return pickle_findings(member, where=where)
    return []


def numpy_findings(stream: BinaryIO, *, where: str) -> list[dict]:
    """A .npy header says the dtype; an object dtype means the data is a pickle."""
    if stream.read(6) != NUMPY_MAGIC:
        return [finding("error", "named .npy but not a numpy array", where)]
    major = stream.read(2)[:1]
    width = 2 if major == b"\x01" else 4
    length = int.from_bytes(stream.read(width), "little")
    try:
        header = ast.literal_eval(stream.read(min(length, 1024**2)).decode("latin-1"))
        descr = header["descr"]
    except (ValueError, SyntaxError, KeyError, TypeError, MemoryError, RecursionError):
        return [finding("error", "the numpy header could not be read", where)]
    if not _has_objects(descr):
        return []
    return pickle_findings(stream, where=where)


def _has_objects(descr) -> bool:
    """'|O', or an object field anywhere in a structured dtype [('name', '<f4'), ...]."""
    if isinstance(descr, str):
        return descr.lstrip("<>|=").startswith("O")
    if isinstance(descr, list):
        return any(_has_objects(field) for field in descr)
    if isinstance(descr, tuple) and len(descr) >= 2:
        return _has_objects(descr[1])  # (name, dtype) or (name, dtype, shape)
    return True  # not a dtype numpy writes: assume the worst


def keras_findings(stream: BinaryIO, *, where: str) -> list[dict]:
    """A Lambda layer stores marshalled Python bytecode that Keras runs when it loads the
    model. The config is JSON text inside the file, so the bytes are searched in blocks."""
    tail = b""
    while block := stream.read(1024**2):
        if _KERAS_LAMBDA.search(tail + block):
            return [finding("dangerous", "a Keras Lambda layer (runs code when loaded)", where)]
        tail = block[-64:]
    return []
