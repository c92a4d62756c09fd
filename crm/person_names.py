"""How a person's name is written for a reader (issue 20 item 6): the rule
lives in web/people.py, shared with the names of users."""

from __future__ import annotations

from web.people import full_name, is_japanese_script

__all__ = ["full_name", "is_japanese_script"]
