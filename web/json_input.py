"""Reading JSON that strangers send, without a 500 for any body.

`json.loads` recurses once per level of nesting: about 7,000 levels (a 14 kB
body) raise RecursionError, and far fewer can exhaust the stack of whatever
walks the result later. So the depth is measured on the raw bytes first, with
a regular expression over the string literals and a loop over the brackets
only (fast on a 12 MB batch). Numbers must be finite: `1e400` parses as
infinity, which PostgreSQL's jsonb refuses. And text must be storable:
PostgreSQL refuses NUL in text and jsonb, and a lone UTF-16 surrogate
(`"\\ud800"`, valid JSON escape) cannot be encoded as UTF-8 at all.
"""

from __future__ import annotations

import json
import re
from typing import Any

# A JSON string literal (the unrolled form: no backtracking on long strings).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")
# What PostgreSQL cannot store in text or jsonb.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class JsonInputError(ValueError):
    """The body is not JSON that Baton reads."""


class TooDeep(JsonInputError):
    """Nested deeper than allowed."""


def deeper_than(body: bytes, limit: int) -> bool:
    """Whether the arrays and objects of `body` nest more than `limit` levels.

    Brackets inside strings do not count. About 25 ns a byte when the body has
    more brackets than `limit` (75 ms for a 3 MB batch), nothing otherwise. On
    a body that is not JSON the answer is an estimate, which is all a refusal
    needs."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    level = 0
    for bracket in _BRACKET.findall(_STRING.sub(b"", body)):
        if bracket in (b"[", b"{"):
            level += 1
            if level > limit:
                return True
        else:
            level -= 1
    return False


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise JsonInputError(f"number out of range: {text[:20]}")
    return value


def _no_constant(name: str) -> None:
    raise JsonInputError(f"{name} is not a JSON number")


def loads(body: bytes, *, max_depth: int) -> Any:
    """Parse `body` (UTF-8 JSON) nested at most `max_depth` levels deep.

    Raises TooDeep before parsing anything deeper, and JsonInputError for a
    body that is not UTF-8 JSON or holds NaN, Infinity or a number beyond a
    float's range."""
    if deeper_than(body, max_depth):
        raise TooDeep(f"nested more than {max_depth} levels deep")
    try:
        return json.loads(body.decode("utf-8"), parse_float=_finite, parse_constant=_no_constant)
    except JsonInputError:
        raise
    # ValueError: also an integer of more than 4,300 digits, which Python refuses.
    except (ValueError, RecursionError) as exc:
        raise JsonInputError(str(exc)) from exc


def unstorable(value: Any) -> bool:
    """True when `value` (a string, or a parsed JSON structure, keys included)
    holds text PostgreSQL refuses: NUL or a lone surrogate."""
    if isinstance(value, str):
        return _UNSTORABLE.search(value) is not None
    if isinstance(value, dict):
        return any(unstorable(k) or unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(unstorable(item) for item in value)
    return False
