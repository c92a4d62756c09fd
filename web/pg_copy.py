"""PostgreSQL's COPY FROM STDIN through a Django cursor, for the writers that
load many rows at once (an import's leads, the KPI rollups)."""

from __future__ import annotations

from typing import Any, TextIO

# What one write hands psycopg: big enough that the Python loop costs nothing
# next to the rows, small enough that a large import is never held twice.
CHUNK_CHARS = 1 << 20


def copy_in(cursor: Any, statement: str, rows: TextIO) -> None:
    """Runs `COPY … FROM STDIN` (`statement`) on a Django cursor, reading the
    rows from a text buffer in COPY's own format or CSV."""
    with cursor.cursor.copy(statement) as copy:
        while chunk := rows.read(CHUNK_CHARS):
            copy.write(chunk)
