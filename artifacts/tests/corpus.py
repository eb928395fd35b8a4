"""Two corpora built here, never downloaded: model files that run a program when loaded (the
attacks of issue 15 and their variants) and benign model files that must pass. Nothing here is
ever unpickled: loading a malicious one would run `echo pwned`.

PyTorch and numpy are not installed, so their formats are written by hand the way
torch.save / np.save write them (a zip holding <name>/data.pkl and raw storages; a .npy header
followed by raw data, or by a pickle for object arrays)."""

from __future__ import annotations

import io
import multiprocessing.util
import os
import pickle
import struct
import sys
import types
import zipfile
from contextlib import contextmanager

from artifacts.tests.pickles import safetensors_bytes, torch_zip


class _Spawns:
    """Not on picklescan's deny-list: runs any program when unpickled."""

    def __reduce__(self):
        return (multiprocessing.util.spawnv_passfds, ("/bin/sh", ["sh", "-c", "echo pwned"], ()))


class _System:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def spawn_pickle(protocol: int = 4) -> bytes:
    return pickle.dumps({"state_dict": {"w": [0.5]}, "hook": _Spawns()}, protocol=protocol)


def npy(descr: str, shape: tuple) -> bytes:
    """The start of a version 1.0 .npy: magic, header length, a padded header dict; the data
    follows."""
    header = repr({"descr": descr, "fortran_order": False, "shape": shape}).encode()
    header += b" " * (63 - (10 + len(header)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header


def npy_object_array() -> bytes:
    """np.load(allow_pickle=True) unpickles what follows the header of an object array."""
    return npy("|O", (1,)) + pickle.dumps([_System()], protocol=3)


def npy_floats() -> bytes:
    values = [0.25, 0.5, 1.0, 2.0]
    return npy("<f4", (4,)) + struct.pack("<4f", *values)


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def nested_zip(payload: bytes, depth: int = 2) -> bytes:
    content = torch_zip(payload)
    for level in range(depth):
        content = zip_of({f"level{level}/inner.zip": content, "README.md": b"nothing here\n"})
    return content


def keras_lambda() -> bytes:
    config = b'{"class_name": "Functional", "config": {"layers": [{"class_name": "Lambda", '
    config += b'"config": {"function": ["4wEAAAAAAAAA", null, null]}}]}}'
    return zip_of({"metadata.json": b'{"keras_version": "3.0.0"}', "config.json": config})


def keras_dense() -> bytes:
    config = b'{"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense"}]}}'
    return zip_of({"metadata.json": b'{"keras_version": "3.0.0"}', "config.json": config})


def _fake_torch() -> dict[str, types.ModuleType]:
    """Stand-ins for the torch names a weights-only checkpoint imports, so pickle can spell
    them (pickle checks that module.name is the object it saves)."""
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):  # never called: the pickle is only read
        raise AssertionError

    _rebuild_tensor_v2.__module__, _rebuild_tensor_v2.__qualname__ = (
        "torch._utils",
        ("_rebuild_tensor_v2"),
    )
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    storage = type("FloatStorage", (), {"__module__": "torch"})
    torch.FloatStorage, torch._utils = storage, utils
    return {"torch": torch, "torch._utils": utils}


@contextmanager
def _torch_names():
    saved = {name: sys.modules.get(name) for name in ("torch", "torch._utils")}
    sys.modules.update(_fake_torch())
    try:
        yield sys.modules["torch"]
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


class _Tensor:
    def __init__(self, torch, key: str, count: int):
        self.torch, self.key, self.count = torch, key, count

    def __reduce__(self):
        storage = ("storage", self.torch.FloatStorage, self.key, "cpu", self.count)
        rebuild = self.torch._utils._rebuild_tensor_v2
        return (rebuild, (_Storage(storage), 0, (self.count,), (1,), False, {}))


class _Storage:
    def __init__(self, pid):
        self.pid = pid


class _TorchPickler(pickle.Pickler):
    def persistent_id(self, obj):
        return obj.pid if isinstance(obj, _Storage) else None


def torch_tensor_zip() -> bytes:
    """What torch.save({"weight": tensor, "bias": tensor}) writes: an OrderedDict of tensors
    rebuilt from storages by persistent id, the storages as raw little-endian floats."""
    from collections import OrderedDict

    with _torch_names() as torch:
        state = OrderedDict(weight=_Tensor(torch, "0", 4), bias=_Tensor(torch, "1", 2))
        buffer = io.BytesIO()
        _TorchPickler(buffer, protocol=2).dump(state)
    return zip_of(
        {
            "model/data.pkl": buffer.getvalue(),
            # Raw floats that happen to start like a pickle (0x80 0x02): never unpickled.
            "model/data/0": b"\x80\x02\x8a\x3f" + struct.pack("<3f", 2.5, 3.5, 4.5),
            "model/data/1": struct.pack("<2f", 0.1, 0.2),
            "model/version": b"3\n",
            "model/byteorder": b"little",
        }
    )


# (name to release it under, bytes) — every one must be refused.
def malicious() -> dict[str, tuple[str, bytes]]:
    corpus = {
        "spawnv_passfds.pkl": ("model.pkl", spawn_pickle()),
        "spawnv_passfds.pt": ("model.pt", torch_zip(spawn_pickle(2))),
        "spawnv_passfds.joblib": ("model.joblib", spawn_pickle(4)),
        "npy_object_array": ("embeddings.npy", npy_object_array()),
        "npz_object_array": ("arrays.npz", zip_of({"x.npy": npy_object_array()})),
        "nested_zip": ("bundle.zip", nested_zip(spawn_pickle(5))),
        "disguised_as_safetensors": ("model.safetensors", spawn_pickle(4)),
        "disguised_as_bin_no_ext_zip": ("weights.bin", torch_zip(spawn_pickle(3))),
        "keras_lambda": ("model.keras", keras_lambda()),
    }
    for protocol in range(6):
        corpus[f"protocol_{protocol}"] = (f"p{protocol}.pkl", spawn_pickle(protocol))
    return corpus


def benign() -> dict[str, tuple[str, bytes]]:
    return {
        "safetensors": ("model.safetensors", safetensors_bytes()),
        "torch_tensor_zip": ("pytorch_model.bin", torch_tensor_zip()),
        "torch_tensor_zip_pt": ("model.pt", torch_tensor_zip()),
        "float_npy": ("embeddings.npy", npy_floats()),
        "float_npz": ("arrays.npz", zip_of({"a.npy": npy_floats(), "b.npy": npy_floats()})),
        "keras_dense": ("model.keras", keras_dense()),
        "csv": ("table.csv", b"id,value\n1,10\n2,20\n"),
    }
