"""UTM attribution: the utm_* parameters of captures and tracked page views,
the campaign they name, and each lead's first and latest touch."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.db.models import Q

from crm.models import Campaign, Touch

PARAMETERS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
MAX_LENGTH = 200


def clean_parameter(value: object) -> str:
    """A parameter as stored: text only, without control characters (NUL
    included, which PostgreSQL refuses) or broken ones, at most MAX_LENGTH.
    Attribution is never a reason to refuse a submit."""
    if not isinstance(value, str):
        return ""
    kept = (ch for ch in value if unicodedata.category(ch) not in ("Cc", "Cs"))
    return "".join(kept).strip()[:MAX_LENGTH]


@dataclass(frozen=True)
class Utm:
    """The five utm_* parameters; empty strings where absent."""

    source: str = ""
    medium: str = ""
    campaign: str = ""
    term: str = ""
    content: str = ""

    def __bool__(self) -> bool:
        return any(asdict(self).values())

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Utm:
        """From a query string's or a form's fields (utm_source, …)."""
        values = {name: clean_parameter(params.get(name)) for name in PARAMETERS}
        return cls(**{name.removeprefix("utm_"): value for name, value in values.items()})

    @classmethod
    def from_url(cls, url: str) -> Utm:
        try:
            query = urlsplit(url).query
        except ValueError:  # a malformed address (an unclosed IPv6 bracket)
            return cls()
        return cls.from_params(dict(parse_qsl(query)))

    def as_dict(self) -> dict[str, str]:
        """The parameters present, under their own names (for activity details)."""
        return {f"utm_{name}": value for name, value in asdict(self).items() if value}


def first_of(*candidates: Utm) -> Utm:
    """The first set of parameters that has any: sources are not mixed."""
    return next((utm for utm in candidates if utm), Utm())


def campaign_ids(utms: Iterable[Utm]) -> dict[str, int]:
    """{utm_campaign in lower case: campaign id} for the codes that name one."""
    return Campaign.objects.by_utm_code({utm.campaign for utm in utms})


def campaign_named_by(utm: Utm) -> Campaign | None:
    campaign_id = campaign_ids([utm]).get(utm.campaign.casefold())
    return Campaign.objects.filter(pk=campaign_id).first() if campaign_id else None


@dataclass(frozen=True)
class TouchData:
    lead_id: int
    occurred_at: datetime
    kind: str
    utm: Utm
    campaign_id: int | None = None
    activity_id: int | None = None


def record_touches(touches: list[TouchData]) -> None:
    """Keep each lead's first and latest touch.

    1. Insert both positions for every lead; a position the lead has already
       is left alone (ON CONFLICT DO NOTHING), so two writers never collide.
    2. Replace a stored first touch by an earlier one, a latest by a later
       one: conditional updates on `occurred_at`, so arrival order and
       retries do not matter.
    """
    if not touches:
        return
    first: dict[int, TouchData] = {}
    latest: dict[int, TouchData] = {}
    for touch in touches:
        if touch.lead_id not in first or touch.occurred_at < first[touch.lead_id].occurred_at:
            first[touch.lead_id] = touch
        if touch.lead_id not in latest or touch.occurred_at >= latest[touch.lead_id].occurred_at:
            latest[touch.lead_id] = touch
    chosen = [(Touch.Position.FIRST, t) for t in first.values()]
    chosen += [(Touch.Position.LATEST, t) for t in latest.values()]
    Touch.objects.bulk_create(
        [Touch(lead_id=t.lead_id, position=p, **_values(t)) for p, t in chosen],
        ignore_conflicts=True,
    )
    for position, touch in chosen:
        replaces = (
            Q(occurred_at__gt=touch.occurred_at)
            if position == Touch.Position.FIRST
            else Q(occurred_at__lt=touch.occurred_at)
        )
        Touch.objects.filter(replaces, lead_id=touch.lead_id, position=position).update(
            **_values(touch)
        )


def _values(touch: TouchData) -> dict[str, Any]:
    return {
        "occurred_at": touch.occurred_at,
        "kind": touch.kind,
        "campaign_id": touch.campaign_id,
        "activity_id": touch.activity_id,
        "source": touch.utm.source,
        "medium": touch.utm.medium,
        "utm_campaign": touch.utm.campaign,
        "term": touch.utm.term,
        "content": touch.utm.content,
    }


def tagged_link(base_url: str, *, campaign: Campaign, utm: Utm) -> str:
    """`base_url` with the campaign's utm_campaign and the given parameters,
    in place of any utm_* it had; its other parameters and fragment kept."""
    parts = urlsplit(base_url)
    kept = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in PARAMETERS
    ]
    tagged = Utm(
        source=utm.source,
        medium=utm.medium,
        campaign=campaign.utm_code,
        term=utm.term,
        content=utm.content,
    )
    query = urlencode([*kept, *tagged.as_dict().items()])
    return urlunsplit(parts._replace(path=parts.path or "/", query=query))
