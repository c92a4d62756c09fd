"""Stored files: the uploaded import lists (and their rejected rows), and any
other binary column.

An import file is read as the table it is and written back without the
person's rows: a row is theirs when it carries their email or mobile number,
or their family and given names in two cells (a names-only row, rejected for
its missing email, is still theirs). Their rows become empty rows, so that the
other rows keep their line numbers; other rows that mention them lose the
mention. The rejected rows about them leave the record.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.db import models

from crm.imports import reading
from crm.models import ImportJob
from crm.privacy.identity import ERASED, Identifiers
from crm.privacy.links import UNTOUCHED, label

# Tables this module rewrites itself (the generic scan leaves them alone).
OWN_TABLES = {"crm.lead", "crm.importjob"}


def erase_from_files(ids: Identifiers, pattern: re.Pattern[str]) -> int:
    """Every stored file and import record without the person; how many changed."""
    return _erase_from_imports(ids, pattern) + _erase_from_other_binaries(ids, pattern)


def _erase_from_imports(ids: Identifiers, pattern: re.Pattern[str]) -> int:
    needles = ids.as_bytes()
    changed = 0
    for pk in ImportJob.objects.order_by("pk").values_list("pk", flat=True):
        job = ImportJob.objects.get(pk=pk)  # one file in memory at a time
        content = bytes(job.content or b"")
        # A workbook is compressed: its bytes say nothing until it is read.
        workbook = content[:4] == b"PK\x03\x04"
        if not (
            workbook or _mentions_bytes(content, needles) or _mentions_record(job, pattern, ids)
        ):
            continue
        table = _table(content, job.filename)
        lines: set[int] = set()
        if table is not None:
            rewritten, lines = _without_person_rows(table, ids, pattern)
            if rewritten is not None:
                content = rewritten
        elif _mentions_bytes(content, needles):
            content = _without_person_lines(content, pattern, needles)
        changes = {
            "content": content,
            "filename": pattern.sub(ERASED, job.filename),
            "error": pattern.sub(ERASED, job.error),
            "headers": [_scrub_cell(h, ids, pattern) for h in job.headers],
            "rejections": _rejections_without_person(job.rejections, lines, ids, pattern),
        }
        changes = {k: v for k, v in changes.items() if v != _value(job, k)}
        if changes:
            ImportJob.objects.filter(pk=job.pk).update(**changes)
            changed += 1
    return changed


def _value(job: ImportJob, name: str) -> Any:
    value = getattr(job, name)
    return bytes(value) if isinstance(value, memoryview) else value


def _mentions_record(job: ImportJob, pattern: re.Pattern[str], ids: Identifiers) -> bool:
    texts = [job.filename, job.error, *job.headers]
    for rejection in job.rejections:
        texts += [str(rejection.get("reason", "")), *map(str, rejection.get("values", []))]
        if ids.own_row([str(v) for v in rejection.get("values", [])]):
            return True
    return any(pattern.search(text) for text in texts)


def _table(content: bytes, filename: str) -> reading.Table | None:
    try:
        return reading.read_table(content, filename=filename) if content else None
    except reading.UnreadableFile:
        return None


def _without_person_rows(
    table: reading.Table, ids: Identifiers, pattern: re.Pattern[str]
) -> tuple[bytes | None, set[int]]:
    """The file rewritten without the person's rows (emptied in place), or
    None when nothing in it is about them; and the line numbers their rows
    had (the header is line 1)."""
    lines, rows = set(), []
    for line, row in enumerate(table.rows, start=2):
        if ids.own_row(row):
            lines.add(line)
            rows.append([""] * len(row))
        else:
            rows.append([pattern.sub(ERASED, cell) for cell in row])
    headers = [_scrub_cell(h, ids, pattern) for h in table.headers]
    if not lines and rows == table.rows and headers == table.headers:
        return None, lines
    if table.encoding == "xlsx":
        return _xlsx(headers, rows), lines
    return _csv(headers, rows, table.encoding), lines


def _scrub_cell(cell: str, ids: Identifiers, pattern: re.Pattern[str]) -> str:
    """A header cell: a file without a header row has the person as its header."""
    return ERASED if ids.own_row([cell]) else pattern.sub(ERASED, cell)


def _csv(headers: list[str], rows: list[list[str]], encoding: str) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out).writerows([headers, *rows])
    return out.getvalue().encode(encoding, errors="replace")


def _xlsx(headers: list[str], rows: list[list[str]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    for row in [headers, *rows]:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rejections_without_person(
    rejections: list[dict[str, Any]], lines: set[int], ids: Identifiers, pattern: re.Pattern[str]
) -> list[dict[str, Any]]:
    kept = []
    for rejection in rejections:
        values = [str(v) for v in rejection.get("values", [])]
        if rejection.get("line") in lines or ids.own_row(values):
            continue  # the rejected row was the person's: it leaves the record
        kept.append(
            {
                **rejection,
                "reason": pattern.sub(ERASED, str(rejection.get("reason", ""))),
                "values": [pattern.sub(ERASED, v) for v in values],
            }
        )
    return kept


def _erase_from_other_binaries(ids: Identifiers, pattern: re.Pattern[str]) -> int:
    """Binary columns of other tables: a text file loses the lines that mention
    the person; a file that cannot be edited as text and mentions them is
    dropped."""
    needles = ids.as_bytes()
    changed = 0
    for model in apps.get_models():
        binary = [f for f in model._meta.concrete_fields if isinstance(f, models.BinaryField)]
        if not binary or label(model) in UNTOUCHED | OWN_TABLES:
            continue
        for field in binary:
            for pk, content in model._default_manager.values_list("pk", field.attname).iterator():
                data = bytes(content or b"")
                if data and _mentions_bytes(data, needles):
                    model._default_manager.filter(pk=pk).update(
                        **{field.attname: _without_person_lines(data, pattern, needles)}
                    )
                    changed += 1
    return changed


def _mentions_bytes(data: bytes, needles: Iterable[bytes]) -> bool:
    lowered = data.lower()
    return any(n in data or n.lower() in lowered for n in needles)


def _without_person_lines(data: bytes, pattern: re.Pattern[str], needles: list[bytes]) -> bytes:
    for encoding in ("utf-8-sig", "utf-16", "cp932"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not pattern.search(text):
            continue  # decoded as the wrong encoding
        kept = [line for line in text.splitlines(keepends=True) if not pattern.search(line)]
        cleaned = "".join(kept).encode(encoding)
        if not _mentions_bytes(cleaned, needles):
            return cleaned
    return b""
