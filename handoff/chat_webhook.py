"""Posting a Slack-compatible message to a chat webhook, safely.

The sending itself (https only, public addresses only, pinned connection, no
redirects, the X-Baton-Signature HMAC) is webhooks.sender's, shared with the
outbound webhooks; this module adds the Slack message.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


def slack_payload(text: str, url: str | None = None) -> dict[str, Any]:
    """A Slack-compatible message: `text`, and a button linking to `url` when given."""
    # Slack reads <...> as links and mentions (<!channel>) and & as an entity:
    # a lead's name must not be able to ping everyone.
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    payload: dict[str, Any] = {"text": escaped}
    if url:
        payload["blocks"] = [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": escaped},
                "accessory": {
                    "type": "button",
                    "text": {"type": "plain_text", "text": str(_("Open in Baton"))},
                    "url": url,
                },
            }
        ]
    return payload
