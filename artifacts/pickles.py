"""Which globals a pickle would import when loaded, read from its opcodes (never executed), and
the short allow-list of globals a model file may import.

A deny-list (what picklescan ships) can only name the dangerous callables someone thought of:
`multiprocessing.util.spawnv_passfds` runs any program and is on none. So the gate is the other
way round: a pickle passes only when every global it imports is one of the reconstructors that
tensors, arrays and plain containers need (the same idea as `torch.load(weights_only=True)`).
Anything else, and any global whose name the opcodes do not spell out, is a finding."""

from __future__ import annotations

import io
import pickletools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

_STORAGES = ("Float", "Double", "Half", "BFloat16", "Long", "Int", "Short", "Char", "Byte", "Bool")
_DTYPES = ("float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8")
SAFE_GLOBALS = frozenset(
    {
        # Plain containers and values.
        "collections.OrderedDict",
        "builtins.set",
        "builtins.frozenset",
        "builtins.complex",
        "builtins.slice",
        "builtins.bytearray",
        "_codecs.encode",  # how protocol 2 spells bytes
        # PyTorch tensors (torch.save's data.pkl).
        "torch._utils._rebuild_tensor",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter",
        "torch.Size",
        "torch.device",
        *(f"torch.{kind}Storage" for kind in _STORAGES),
        *(f"torch.{dtype}" for dtype in _DTYPES),
        # numpy arrays and scalars.
        "numpy.ndarray",
        "numpy.dtype",
        "numpy.core.multiarray._reconstruct",
        "numpy.core.multiarray.scalar",
        "numpy._core.multiarray._reconstruct",
        "numpy._core.multiarray.scalar",
    }
)
_STRING_OPS = {
    "STRING",
    "BINSTRING",
    "SHORT_BINSTRING",
    "UNICODE",
    "BINUNICODE",
    "SHORT_BINUNICODE",
    "BINUNICODE8",
}
_GET_OPS = {"GET", "BINGET", "LONG_BINGET"}
_PUT_OPS = {"PUT", "BINPUT", "LONG_BINPUT"}
UNKNOWN = "?.?"  # a STACK_GLOBAL whose module or name is not a plain string


@dataclass
class PickleReport:
    globals: set[str] = field(default_factory=set)
    pickles: int = 0  # complete pickles read (a legacy torch file holds several)
    error: str = ""  # why parsing stopped before the end (after at least one opcode)

    @property
    def unsafe(self) -> list[str]:
        return sorted(g for g in self.globals if g not in SAFE_GLOBALS)


def read_globals(stream: BinaryIO) -> PickleReport:
    """Every global the pickles in `stream` import, one pickle after another (loaders such as
    torch's legacy format call pickle.load several times). Parsing stops at the first bytes that
    are not a pickle: a loader would fail there too, having run only what came before."""
    report = PickleReport()
    if not hasattr(stream, "peek"):
        stream = io.BufferedReader(stream)
    while True:
        start = stream.tell()
        try:
            for module_name in _globals_of_one(stream):
                report.globals.add(module_name)
        except (ValueError, EOFError, UnicodeDecodeError) as exc:
            # One bad first byte: not a pickle (a loader stops there having run nothing).
            # Past that, a truncated or crafted pickle that nobody can vouch for.
            if stream.tell() > start + 1:
                report.error = f"{type(exc).__name__}: {exc}"[:200]
            return report
        report.pickles += 1
        if not stream.peek(1)[:1]:
            return report


def _globals_of_one(stream: BinaryIO) -> Iterator[str]:
    """Globals of one pickle (up to its STOP). STACK_GLOBAL takes its module and name from the
    stack: the two strings pushed before it, fetched through the memo when they were memoised."""
    memo: dict = {}
    strings: list = []  # recent string values (None for a non-string push), newest last
    for opcode, arg, _pos in pickletools.genops(stream):
        name = opcode.name
        if name in ("GLOBAL", "INST"):
            module, _, attr = str(arg).partition(" ")
            yield f"{module}.{attr}"
        elif name == "STACK_GLOBAL":
            module, attr = (strings[-2:] + [None, None])[:2] if len(strings) >= 2 else (None, None)
            ok = isinstance(module, str) and isinstance(attr, str)
            yield f"{module}.{attr}" if ok else UNKNOWN
            strings.clear()
        elif name in _STRING_OPS:
            strings.append(arg if isinstance(arg, str) else _text(arg))
        elif name in _GET_OPS:
            strings.append(memo.get(arg))
        elif name in _PUT_OPS:
            memo[arg] = strings[-1] if strings else None
        elif name == "MEMOIZE":
            memo[len(memo)] = strings[-1] if strings else None
        elif opcode.stack_after or opcode.stack_before:
            strings.append(None)
        del strings[:-8]


def _text(value) -> str | None:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return None
    return value if isinstance(value, str) else None
