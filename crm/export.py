"""CSV export for spreadsheets: UTF-8 with BOM or CP932, formulas neutralised."""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# A cell starting with one of these is run as a formula by spreadsheet software.
# The full-width forms too: Japanese spreadsheet software may read them as the
# ASCII ones, and CP932 turns the minus sign (U+2212) into a full-width hyphen.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠", "\u2212")
ENCODINGS = {"utf-8-sig": "UTF-8 (BOM)", "cp932": "Shift_JIS (CP932)"}


def neutralise(value: object) -> str:
    """The cell as text, prefixed with ' when a spreadsheet would run it."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@dataclass(frozen=True)
class Export:
    content: bytes
    replaced: int  # characters the encoding could not represent, written as "?"
    rows: int = 0  # data rows, without the header (for the audit trail)
    unwritable: tuple[str, ...] = ()  # those characters, each once, in order of appearance


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]], *, encoding: str) -> Export:
    if encoding not in ENCODINGS:
        raise ValueError(f"unsupported encoding {encoding!r}")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    count = 0
    for count, row in enumerate(rows, start=1):  # noqa: B007 (the count is used after the loop)
        writer.writerow([neutralise(cell) for cell in row])
    text = buffer.getvalue()
    if encoding == "utf-8-sig":
        return Export(text.encode("utf-8-sig"), 0, count)
    lost = [ch for ch in text if ord(ch) > 127 and not _encodable(ch)]
    return Export(
        text.encode("cp932", errors="replace"), len(lost), count, tuple(dict.fromkeys(lost))
    )


@functools.cache
def _encodable(ch: str) -> bool:
    try:
        ch.encode("cp932")
    except UnicodeEncodeError:
        return False
    return True
