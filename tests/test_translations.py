"""Japanese is complete: every translatable string of the code and the
templates has a Japanese translation in locale/ja/LC_MESSAGES/django.po.

Strings are found as `makemessages` finds them (Django's own `templatize` for
templates), with Babel's Python extractor instead of xgettext, so the check
needs no gettext installed.
"""

import io
from pathlib import Path

from babel.messages.extract import extract_python
from babel.messages.pofile import read_po
from django.utils.translation.template import templatize

ROOT = Path(__file__).resolve().parent.parent
APPS = ["api", "audit", "config", "crm", "deals", "handoff", "kpi", "nurture", "webhooks"]
SKIP_PARTS = {"migrations", "tests", "node_modules", ".venv"}
KEYWORDS = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "gettext_noop": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "npgettext_lazy": ((1, "c"), 2, 3),
}


def _sources() -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if not SKIP_PARTS & set(path.relative_to(ROOT).parts):
                found.append((path, path.read_text(encoding="utf-8")))
    for folder in [ROOT / "templates", *(ROOT / app / "templates" for app in APPS)]:
        for path in sorted(folder.rglob("*")):
            if path.suffix in {".html", ".txt"}:
                code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
                # Messages come out as one-line literals; the rest is filler
                # whose indentation the tokenizer would trip over.
                found.append((path, "\n".join(line.lstrip() for line in code.splitlines())))
    return found


def _messages() -> dict[tuple[str | None, str], str]:
    """(context, msgid) → where it was found."""
    wanted: dict[tuple[str | None, str], str] = {}
    for path, source in _sources():
        buffer = io.BytesIO(source.encode("utf-8"))
        for lineno, funcname, message, _comments in extract_python(
            buffer, KEYWORDS, [], {"encoding": "utf-8"}
        ):
            if message is None:
                continue  # a variable passed to gettext: nothing to extract
            if isinstance(message, str):
                context, msgid = None, message
            elif str(funcname).startswith(("pgettext", "npgettext")):
                context, msgid = message[0], message[1]
            else:
                context, msgid = None, message[0]
            if not isinstance(msgid, str) or not msgid:
                continue  # a variable passed to gettext: nothing to extract
            wanted.setdefault((context, msgid), f"{path.relative_to(ROOT)}:{lineno}")
    return wanted


def _translated(string: object) -> bool:
    """A msgstr, or every plural form of one, is filled in."""
    if isinstance(string, str):
        return bool(string)
    return isinstance(string, (list, tuple)) and bool(string) and all(string)


def test_every_message_has_a_japanese_translation() -> None:
    with open(ROOT / "locale/ja/LC_MESSAGES/django.po", "rb") as po:
        catalog = read_po(po)
    translated = {
        (m.context, m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and _translated(m.string) and not m.fuzzy
    }
    missing = [
        f"{where}: {key[1]!r}" for key, where in _messages().items() if key not in translated
    ]
    assert not missing, "Strings without a Japanese translation:\n" + "\n".join(sorted(missing))
