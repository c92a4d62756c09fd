"""How people are named on pages: family name first in Japanese."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import template
from django.contrib.auth.models import AbstractBaseUser
from django.utils import translation
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from crm.models import Activity, Lead

register = template.Library()


@register.filter
def person(user: AbstractBaseUser | None) -> str:
    """A user's name in the reader's language order, else their username."""
    if user is None:
        return ""
    first, last = getattr(user, "first_name", ""), getattr(user, "last_name", "")
    if not (first or last):
        return user.get_username()
    if (translation.get_language() or "").startswith("ja"):
        return f"{last} {first}".strip()
    return f"{first} {last}".strip()


@register.simple_tag
def activity_origin(activity: Activity, lead: Lead) -> SafeString:
    """Who did it, then how it reached Baton: "山田 花子 · through the API
    (Sato's token)". A sales touch is the rep's; anything else the person's,
    whichever marketer's token or import recorded it."""
    from crm.models import Activity

    Channel = Activity.Channel
    recorder = person(activity.actor) if activity.actor_id else ""
    who = recorder if activity.performed_by_rep else lead.display_name
    others = bool(recorder) and not activity.performed_by_rep  # recorded by someone else
    match activity.channel:
        case Channel.API if others:
            how = _("through the API, with %(user)s’s token") % {"user": recorder}
        case Channel.IMPORT if others:
            how = _("imported by %(user)s") % {"user": recorder}
        case Channel.APP if not others:
            how = ""
        case "" if others:
            how = _("recorded by %(user)s") % {"user": recorder}
        case "":
            how = ""
        case _:
            how = str(dict(Channel.choices).get(activity.channel, ""))
    if not how:
        return format_html("{}", who)
    return format_html('{} · <span data-testid="activity-channel">{}</span>', who, how)
