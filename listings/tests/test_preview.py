"""See before you buy (issue 17): the first rows of CSV, JSON Lines and Parquet files, as many as
the creator chose and never more; column statistics; nothing for files the scanner did not pass."""

import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.test import Client

from artifacts import scanning
from artifacts.models import ArtifactScan
from listings import services
from listings.models import Listing
from listings.preview import MAX_PREFIX_BYTES
from payments.tests.access_helpers import artifact_store, published_listing  # noqa: F401

pytestmark = pytest.mark.django_db
CSV = b"city,temperature,note\nOslo,4,cold\nLima,19,\nCairo,27,hot\nNuuk,-3,colder\n"


def parquet_bytes() -> bytes:
    table = pa.table({"id": [1, 2, 3, 4], "label": ["cat", "dog", "cat", None]})
    sink = io.BytesIO()
    pq.write_table(table, sink, row_group_size=2)
    return sink.getvalue()


def dataset(files, *, rows: int = 2, verdict: str = "clean") -> Listing:
    listing = published_listing(title="Weather", files=files)
    services.listing_update(listing=listing, actor=listing.creator, preview_rows=rows)
    for f in listing.versions.get().files.all():
        ArtifactScan.objects.update_or_create(
            artifact=f.artifact, scanner=scanning.SCANNER, defaults={"verdict": verdict}
        )
    return listing


def page(listing, **params) -> str:
    reply = Client().get(f"/listings/{listing.slug}/", params)
    assert reply.status_code == 200
    return reply.content.decode()


def rows_of(html: str, testid: str = "preview-rows") -> list[list[str]]:
    import re

    table = html.split(f'data-testid="{testid}"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    return [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row) for row in body.split("</tr>")[:-1]]


def test_csv_first_rows_and_stats_as_many_as_the_creator_chose():
    listing = dataset([("weather.csv", CSV), ("README.md", b"# hi\n")], rows=3)
    html = page(listing)
    assert rows_of(html) == [["Oslo", "4", "cold"], ["Lima", "19", ""], ["Cairo", "27", "hot"]]
    stats = {row[0]: row[1:] for row in rows_of(html, "preview-stats")}
    assert stats["temperature"] == ["number", "0", "3", "4", "16.6667", "27"]
    assert stats["note"] == ["text", "1", "2", "—", "—", "—"]
    assert "Nuuk" not in html  # the 4th row is not shown


def test_json_lines_and_parquet():
    lines = b"".join(json.dumps(r).encode() + b"\n" for r in [{"a": 1, "b": [1, 2]}, {"a": 2}])
    listing = dataset([("data/train.jsonl", lines), ("data/test.parquet", parquet_bytes())], rows=3)
    html = page(listing)  # the first tabular file in path order: test.parquet
    assert rows_of(html) == [["1", "cat"], ["2", "dog"], ["3", "cat"]]
    html = page(listing, preview="data/train.jsonl")
    assert rows_of(html) == [["1", "[1, 2]"], ["2", ""]]


def test_never_the_whole_file():
    # Past the first MiB the bytes are not even text: reading them would fail the preview.
    big = CSV + b"x,1,y\n" * (MAX_PREFIX_BYTES // 6) + b"\xff\xfe broken" * 1000
    listing = dataset([("big.csv", big)], rows=2)
    assert rows_of(page(listing)) == [["Oslo", "4", "cold"], ["Lima", "19", ""]]


def test_no_preview_unless_chosen_and_clean():
    off = dataset([("weather.csv", CSV)], rows=0)
    assert 'data-testid="preview"' not in page(off)
    for verdict in ("pending", "flagged", "error"):
        content = CSV + verdict.encode() + b",0,x\n"  # a file of its own per verdict
        withheld = dataset([("weather.csv", content)], rows=2, verdict=verdict)
        html = page(withheld)
        assert "has not passed the automatic safety checks" in html and "Oslo" not in html
    with pytest.raises(Exception):  # noqa: B017 - the service refuses more than 100 rows
        services.listing_update(listing=off, actor=off.creator, preview_rows=101)
