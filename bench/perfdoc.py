"""Write a benchmark's figures into docs/performance.md between its own markers, leaving every
other section of the file alone (each benchmark owns one `<!-- name:start/end -->` pair)."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
HEADER = (
    "# Performance\n\nFigures written by the benchmarks in `bench/` (re-run one to refresh it).\n"
)


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def write_section(name: str, markdown: str, *, doc: Path = DOC, after: str | None = None) -> None:
    """Replace the section in place; a new one goes at the end, or right after the section
    `after` (`after=""`: right after the title and its first paragraph)."""
    start, end = markers(name)
    block = f"{start}\n{markdown.strip()}\n{end}"
    text = doc.read_text() if doc.exists() else HEADER
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text, count=1)
    elif after is not None:
        anchor = markers(after)[1] if after else None
        if anchor and anchor in text:
            at = text.find(anchor) + len(anchor)
        else:  # before the first section: right under the title
            at = text.find("<!-- ")
            at = len(text) if at < 0 else at
        text = text[:at].rstrip("\n") + "\n\n" + block + "\n\n" + text[at:].lstrip("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text)


def read_section(name: str, *, doc: Path = DOC) -> str | None:
    start, end = markers(name)
    text = doc.read_text() if doc.exists() else ""
    found = re.search(re.escape(start) + r"(.*?)" + re.escape(end), text, re.S)
    return found.group(1) if found else None
