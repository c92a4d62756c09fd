"""How people are named on pages: family name first in Japanese."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from web.people import person

if TYPE_CHECKING:
    from crm.models import Activity, Lead

register = template.Library()


# The helper lives on the ground floor: kpi and handoff name people too.
register.filter("person", person)


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
