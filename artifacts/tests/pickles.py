"""Pickles for scanner tests. Built with pickle.dumps and never loaded: loading the malicious
one would run `echo pwned`."""

import io
import os
import pickle
import zipfile


class _RunsShell:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def malicious_pickle() -> bytes:
    return pickle.dumps(_RunsShell())


def safe_pickle() -> bytes:
    return pickle.dumps({"weights": [0.1, 0.2, 0.3], "layers": 2, "name": "tiny"})


def torch_zip(payload: bytes) -> bytes:
    """PyTorch's zip format: the pickle lives in <name>/data.pkl."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("model/data.pkl", payload)
        archive.writestr("model/version", "3\n")
    return buffer.getvalue()


def safetensors_bytes() -> bytes:
    header = b'{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'
    return len(header).to_bytes(8, "little") + header + b"\x00\x00\x80\x3f"


def malicious_protocol0_pickle() -> bytes:
    """Protocol 0 is text-like: content sniffing alone does not see a pickle."""
    return pickle.dumps(_RunsShell(), protocol=0)
