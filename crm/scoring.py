"""Engagement scoring: a pure calculation over the active rules."""

from collections.abc import Mapping


def points_for(kind: str, rules: Mapping[str, int]) -> int:
    """Points one activity of `kind` earns under `rules` (kind -> points)."""
    return rules.get(kind, 0)
