"""Turning an email template into the message one recipient gets.

Merge fields are `{{ name }}`-style placeholders filled from the lead; links
in the template become tracked redirects. Plain string work on purpose: the
marketer's text is never run through the template engine.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from email.headerregistry import Address

from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm import person_names
from crm.models import Lead

# A link in the body: http(s) and the characters a URL is written with (so
# Japanese text right after it is not taken in), without the punctuation that
# ends the sentence around it.
LINK = re.compile(r"https?://[A-Za-z0-9\-._~:/?#@!$&*+,;=%]+")
TRAILING = ".,;:!?"
FIELD = re.compile(r"\{\{\s*([A-Za-z_]+)\s*\}\}")
TOKEN = re.compile(f"(?P<url>{LINK.pattern})|{FIELD.pattern}")

MERGE_FIELDS = {
    "name": gettext_lazy("full name; in Japanese family name first, with 様"),
    "family_name": gettext_lazy("family name"),
    "given_name": gettext_lazy("given name"),
    "company": gettext_lazy("company name"),
    "company_addressee": gettext_lazy("company name; in Japanese followed by 御中"),
    "title": gettext_lazy("title"),
    "email": gettext_lazy("email address"),
}


def unknown_fields(text: str) -> list[str]:
    """Placeholders in `text` that are not merge fields (a typo, usually)."""
    return sorted({m[1] for m in FIELD.finditer(text) if m[1] not in MERGE_FIELDS})


def links(body: str) -> list[str]:
    """The links of a body, in order, each once: what a click may redirect to."""
    found: dict[str, None] = {}
    for match in LINK.finditer(body):
        found[match[0].rstrip(TRAILING)] = None
    return list(found)


def merge_values(lead: Lead, language: str) -> dict[str, str]:
    """The merge fields for one lead: in Japanese the family name comes first
    and the name is followed by 様."""
    company = lead.company.name if lead.company_id and lead.company else ""
    # A name in Japanese script is family name first in every language.
    full = person_names.full_name(lead.family_name, lead.given_name, language=language)
    name = f"{full} 様" if language == "ja" else full
    return {
        "name": name,
        # Mail addressed to the company itself: 御中 in Japanese.
        "company_addressee": f"{company} 御中" if company and language == "ja" else company,
        "family_name": lead.family_name,
        "given_name": lead.given_name,
        "company": company,
        "title": lead.title,
        "email": lead.email,
    }


def fill(text: str, values: dict[str, str]) -> str:
    """Merge fields only (the subject)."""
    return FIELD.sub(lambda m: values.get(m[1], ""), text)


def render_body(body: str, values: dict[str, str], link: Callable[[str], str]) -> tuple[str, str]:
    """The body as text and as HTML, merge fields filled and each link
    replaced by `link(url)`. Links are taken from the template, never from
    the merged values, so a lead's data cannot add a link."""
    text: list[str] = []
    html: list[str] = []
    pos = 0
    for match in TOKEN.finditer(body):
        plain = body[pos : match.start()]
        text.append(plain)
        html.append(escape(plain))
        if match["url"]:
            url = match["url"].rstrip(TRAILING)
            rest = match["url"][len(url) :]
            target = link(url)
            text.append(target + rest)
            html.append(f'<a href="{escape(target)}">{escape(url)}</a>{escape(rest)}')
        else:
            value = values.get(match[2], "")
            text.append(value)
            html.append(escape(value))
        pos = match.end()
    text.append(body[pos:])
    html.append(escape(body[pos:]))
    return "".join(text), "".join(html).replace("\n", "<br>\n")


@functools.lru_cache(maxsize=64)
def footer(language: str, from_name: str, from_email: str) -> tuple[str, str]:
    """The footer's two sentences in the email's language (once per send, not
    once per message: switching the language costs more than the rest)."""
    with translation.override(language):
        sender = _("Sent by %(name)s <%(email)s>.") % {"name": from_name, "email": from_email}
        stop = _("To stop receiving these emails, unsubscribe here:")
    return sender, stop


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    from_header: str


def render(
    *,
    subject: str,
    body: str,
    language: str,
    from_name: str,
    from_email: str,
    lead: Lead,
    link: Callable[[str], str],
    unsubscribe_url: str,
    open_url: str = "",
) -> Rendered:
    """The whole message for one lead, footer included (sender and the
    unsubscribe link, in the email's language)."""
    values = merge_values(lead, language)
    text, html = render_body(body, values, link)
    sender, stop = footer(language, from_name, from_email)
    text = f"{text}\n\n--\n{sender}\n{stop} {unsubscribe_url}\n"
    pixel = f'<img src="{escape(open_url)}" width="1" height="1" alt="">' if open_url else ""
    html = (
        f"<html><body>{html}<br>\n<br>\n--<br>\n{escape(sender)}<br>\n"
        f'{escape(stop)} <a href="{escape(unsubscribe_url)}">{escape(unsubscribe_url)}</a>'
        f"{pixel}</body></html>"
    )
    return Rendered(
        subject=fill(subject, values),
        text=text,
        html=html,
        from_header=str(Address(display_name=from_name, addr_spec=from_email)),
    )
