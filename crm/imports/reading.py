"""Bytes to a table: CSV in UTF-8, UTF-8 with BOM or CP932 (detected), or XLSX."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.utils.translation import gettext as _

MAX_BYTES = 25 * 1024 * 1024
MAX_ROWS = 200_000


class UnreadableFile(ValueError):
    """The file cannot be read as a table; the message says why, for the user."""


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]  # data rows, each as long as `headers`
    encoding: str  # "utf-8-sig", "utf-8", "utf-16", "cp932" or "xlsx"


def read_table(data: bytes, *, filename: str = "") -> Table:
    if len(data) > MAX_BYTES:
        raise UnreadableFile(
            _("The file is larger than %(size)d MB.") % {"size": MAX_BYTES // (1024 * 1024)}
        )
    if not data.strip():
        raise UnreadableFile(_("The file is empty."))
    if data[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm")):
        headers, rows = _read_xlsx(data)
        encoding = "xlsx"
    else:
        text, encoding = decode(data)
        headers, rows = _read_csv(text)
    if not any(headers):
        raise UnreadableFile(_("The first row has no column names."))
    if len(rows) > MAX_ROWS:
        raise UnreadableFile(
            _("The file has more than %(rows)s rows; split it.") % {"rows": f"{MAX_ROWS:,}"}
        )
    width = len(headers)
    rows = [(row + [""] * width)[:width] for row in rows]
    return Table([h.strip() for h in headers], rows, encoding)


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was in: a BOM means UTF-8 (or UTF-16), else
    strict UTF-8, else CP932 (Shift_JIS as Windows and Excel write it)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data.decode("utf-8-sig"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
        return data.decode("utf-16"), "utf-16"
    for encoding in ("utf-8", "cp932"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:  # NUL means a binary file that happened to decode
            return text, encoding
    raise UnreadableFile(
        _("The file is neither UTF-8 nor Shift_JIS (CP932). Save it as CSV UTF-8 and try again.")
    )


def _read_csv(text: str) -> tuple[list[str], list[list[str]]]:
    sample = text[:8192]
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        records = list(reader)
    except csv.Error as exc:
        raise UnreadableFile(_("The CSV is malformed: %(error)s.") % {"error": exc}) from exc
    # Leading blank lines are skipped; later ones are kept (and skipped when
    # checked) so that every row keeps its line number for the user.
    while records and not any(cell.strip() for cell in records[0]):
        records.pop(0)
    if not records:
        raise UnreadableFile(_("The file is empty."))
    return records[0], records[1:]


def _read_xlsx(data: bytes) -> tuple[list[str], list[list[str]]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise UnreadableFile(_("The Excel file cannot be opened.")) from exc
    sheet = book.worksheets[0]
    records = [[_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    while records and not any(records[0]):
        records.pop(0)
    book.close()
    if not records:
        raise UnreadableFile(_("The first sheet is empty."))
    return records[0], records[1:]


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if hasattr(value, "date") and hasattr(value, "hour"):  # datetime
        return value.date().isoformat()  # type: ignore[attr-defined]
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
