"""What the sales work tells the apps above handoff, which it cannot import.

Sent inside the transaction of the work they follow, so a receiver's rows
commit or roll back with it. The tasks app listens (tasks/receivers.py): the
touch and accept forms offer a follow-up task, which handoff does not keep.
"""

from __future__ import annotations

from django.dispatch import Signal

# A touch was logged with a follow-up asked for.
# Arguments: lead, handoff (or None), title, days (business days), by (the rep).
follow_up_requested = Signal()
