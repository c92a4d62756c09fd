"""The deal list's saved views: the lead list's pages (crm/views_saved.py),
made from the deal list's spec."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from crm import views_saved
from crm.models import ListKey
from crm.saved_views import ListSpec

# The deal list's columns a view may show or hide (the deal's name always shows).
DEAL_COLUMNS = [
    ("company", _("Company")),
    ("stage", _("Stage")),
    ("amount", _("Amount")),
    ("probability", _("Probability")),
    ("close", _("Expected close")),
    ("owner", _("Owner")),
]

DEAL_LIST = ListSpec(
    key=ListKey.DEALS,
    list_url="deals:list",
    url_prefix="deals:saved_view",
    permission="crm.view_deal",
    columns=DEAL_COLUMNS,
    list_name=_("Deals"),
    heading=_("Saved views of the deal list"),
    intro=_(
        "A view keeps the filters, the sort and the columns. The deal list opens with your"
        " default view; a shared view is offered to the whole team, and each person sees only"
        " the deals they may see."
    ),
    empty=_("No saved views yet. Filter the deal list, then save it as a view."),
    no_view=_("All deals, no view"),
    make_default=_("Open the deal list with this view"),
    choose_default=_("Open the deal list with it"),
    opens_unfiltered=_("The deal list opens unfiltered."),
    opens_with=_("The deal list opens with “%(name)s”."),
)

_views = views_saved.pages_for(DEAL_LIST)
saved_view_list, saved_view_create, saved_view_edit = _views.manage, _views.create, _views.edit
saved_view_delete, saved_view_default = _views.delete, _views.default
