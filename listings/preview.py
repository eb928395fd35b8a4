"""See before you buy (issue 17): the first rows of a dataset's tabular files (CSV/TSV, JSON Lines,
Parquet) and basic statistics of those rows, when the creator turned it on.

The creator chooses how many rows (Listing.preview_rows, 0 = no preview, at most MAX_ROWS). Never
the whole file: CSV and JSON Lines are read from a bounded prefix (MAX_PREFIX_BYTES), Parquet
one first batch through pyarrow (which reads the footer and the first row group's column chunks,
not the rest). Only files the scanner found clean are previewed. Results are cached per file
and row count (the bytes behind a CID never change)."""

import csv
import io
import json
import statistics
from dataclasses import dataclass, field

from django.core.cache import cache

from artifacts.models import ArtifactScan
from artifacts.selectors import artifact_scans_latest
from artifacts.storage import storage_for

MAX_ROWS = 100
MAX_COLUMNS = 50
MAX_CELL = 200  # characters shown per cell
MAX_PREFIX_BYTES = 1024 * 1024
MAX_UNSEEKABLE_PARQUET = 64 * 1024 * 1024
FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
}
CACHE_SECONDS = 24 * 3600


class PreviewError(ValueError):
    """The file cannot be previewed (the message says why, for the page)."""


@dataclass
class Preview:
    path: str
    format: str
    columns: list[str]
    rows: list[list[str]]
    stats: list[dict] = field(default_factory=list)
    truncated_columns: bool = False


def preview_format(path: str) -> str | None:
    dot = path.rfind(".")
    return FORMATS.get(path[dot:].lower()) if dot >= 0 else None


def previewable_files(version) -> list:
    """The version's files that have a tabular format, in path order."""
    return [f for f in version.files.all() if preview_format(f.path)]


def file_preview(*, version_file, rows: int) -> Preview:
    artifact = version_file.artifact
    scan = artifact_scans_latest(artifact_ids=[artifact.pk]).get(artifact.pk)
    if scan is None or scan.verdict != ArtifactScan.Verdict.CLEAN:
        raise PreviewError("This file has not passed the automatic safety checks yet.")
    kind = preview_format(version_file.path)
    rows = max(0, min(rows, MAX_ROWS))
    key = f"listing-preview:v1:{artifact.sha256}:{kind}:{rows}"
    found = cache.get(key)
    if found is None:
        columns, table = READERS[kind](artifact, rows)
        found = _shape(columns, table)
        cache.set(key, found, CACHE_SECONDS)
    columns, table, truncated = found
    return Preview(
        path=version_file.path,
        format=kind,
        columns=columns,
        rows=table,
        stats=column_stats(columns, table),
        truncated_columns=truncated,
    )


def _prefix(artifact) -> bytes:
    length = min(artifact.size, MAX_PREFIX_BYTES)
    with storage_for(artifact).open(artifact.cid, offset=0, length=length) as handle:
        return handle.read(length)


def _lines(artifact) -> list[str]:
    data = _prefix(artifact)
    if artifact.size > len(data):  # the last line may be cut in the middle: drop it
        data = data[: data.rfind(b"\n") + 1]
    try:
        return data.decode("utf-8-sig").splitlines()
    except UnicodeDecodeError:
        raise PreviewError("This file is not UTF-8 text.") from None


def _read_delimited(delimiter: str):
    def read(artifact, rows: int):
        reader = csv.reader(_lines(artifact), delimiter=delimiter)
        header = next(reader, [])
        return header, [row for _, row in zip(range(rows), reader, strict=False)]

    return read


def _read_jsonl(artifact, rows: int):
    records = []
    for line in _lines(artifact):
        if len(records) >= rows:
            break
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            raise PreviewError(f"Line {len(records) + 1} is not JSON.") from None
        records.append(record if isinstance(record, dict) else {"value": record})
    columns = list(dict.fromkeys(key for record in records for key in record))
    return columns, [[_text(record.get(c, "")) for c in columns] for record in records]


def _read_parquet(artifact, rows: int):
    import pyarrow.parquet as pq  # only here: most pages never need it

    with storage_for(artifact).open(artifact.cid) as handle:
        if not _seekable(handle) and artifact.size > MAX_UNSEEKABLE_PARQUET:
            # Parquet keeps its schema at the end: a store without random access (IPFS) would
            # have to send the whole file first.
            raise PreviewError("This Parquet file is too large to preview from this store.")
        try:
            parquet = pq.ParquetFile(handle if _seekable(handle) else io.BytesIO(handle.read()))
            batch = next(parquet.iter_batches(batch_size=max(rows, 1)), None)
        except Exception as exc:  # pyarrow raises its own many kinds for a damaged file
            raise PreviewError(
                f"This Parquet file cannot be read ({exc.__class__.__name__})."
            ) from None
        columns = parquet.schema_arrow.names
    if batch is None or rows == 0:
        return columns, []
    data = batch.slice(0, rows).to_pylist()
    return columns, [[_text(record.get(c)) for c in columns] for record in data]


def _seekable(handle) -> bool:
    try:
        return handle.seekable()
    except (AttributeError, OSError):
        return False


READERS = {
    "csv": _read_delimited(","),
    "tsv": _read_delimited("\t"),
    "jsonl": _read_jsonl,
    "parquet": _read_parquet,
}


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _shape(columns, table) -> tuple[list[str], list[list[str]], bool]:
    truncated = len(columns) > MAX_COLUMNS
    columns = [str(c)[:MAX_CELL] for c in columns[:MAX_COLUMNS]]
    width = len(columns)
    table = [[str(cell)[:MAX_CELL] for cell in (row + [""] * width)[:width]] for row in table]
    return columns, table, truncated


def column_stats(columns: list[str], table: list[list[str]]) -> list[dict]:
    """Per column, over the rows shown: empty cells, distinct values, and min/mean/max when
    every non-empty cell is a number."""
    found = []
    for index, name in enumerate(columns):
        values = [row[index] for row in table if row[index] != ""]
        numbers = _numbers(values)
        stat = {"name": name, "empty": len(table) - len(values), "distinct": len(set(values))}
        if numbers:
            stat.update(
                kind="number",
                min=_short(min(numbers)),
                max=_short(max(numbers)),
                mean=_short(statistics.fmean(numbers)),
            )
        else:
            stat["kind"] = "text"
        found.append(stat)
    return found


def _numbers(values: list[str]) -> list[float]:
    try:
        return [float(v) for v in values] if values else []
    except ValueError:
        return []


def _short(number: float) -> str:
    return f"{number:.6g}"
