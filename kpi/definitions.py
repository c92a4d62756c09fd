"""Each KPI's one definition: the page, the CSV, the API and the definitions
page all read it from here."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

MARKETING = _("Marketing")
SALES = _("Sales")
BOTH = _("Marketing and sales")


@dataclass(frozen=True)
class Definition:
    key: str
    name: Promise
    formula: Promise
    unit: str  # count, yen, percent, minutes, days
    owner: Promise
    # Lower is better (speed); a gap below target is then good news.
    lower_is_better: bool = False
    # Counts and money add up over months; a quarter's target may be its months' sum.
    additive: bool = True
    # Marketing figures are not credited to a rep: under a rep filter they show "—".
    by_rep: bool = True

    @property
    def unit_label(self) -> Promise:
        return UNITS[self.unit]


UNITS = {
    "count": pgettext_lazy("KPI unit", "count"),
    "yen": pgettext_lazy("KPI unit", "yen"),
    "percent": pgettext_lazy("KPI unit", "percent"),
    "minutes": pgettext_lazy("KPI unit", "minutes"),
    "days": pgettext_lazy("KPI unit", "days"),
}

_ALL = [
    Definition(
        "leads", _("New leads"), _("People created in the period, from any source."),
        "count", MARKETING, by_rep=False,
    ),
    Definition(
        "mqls", _("MQLs"),
        _("Leads that reached MQL (or a later stage) for the first time in the period; "
          "each lead once, however often it qualifies again."),
        "count", MARKETING, by_rep=False,
    ),
    Definition(
        "sqls", _("SQLs"),
        _("Leads a rep qualified (SQL, or a later stage) for the first time in the period."),
        "count", SALES,
    ),
    Definition(
        "won", _("Won"),
        _("Leads that became customers (customer stage or a won deal) for the first time in "
          "the period."),
        "count", SALES,
    ),
    Definition(
        "won_revenue", _("Won revenue"),
        _("Sum of the amounts of deals won in the period (closing date)."),
        "yen", SALES,
    ),
    Definition(
        "roi", _("Marketing ROI"),
        _("Won revenue in the period of the leads every campaign brought in (first touch), "
          "minus the actual cost to date of those campaigns, over that cost: the campaigns "
          "with figures in the period, as in the campaign table."),
        "percent", MARKETING, additive=False, by_rep=False,
    ),
    Definition(
        "cost_per_won_deal", _("Cost per won deal"),
        _("The actual cost to date of the same campaigns over the deals of their leads won in "
          "the period."),
        "yen", MARKETING, lower_is_better=True, additive=False, by_rep=False,
    ),
    Definition(
        "win_rate", _("Win rate"),
        _("Deals won in the period over deals won or lost in the period (closing date); open "
          "deals count neither way."),
        "percent", SALES, additive=False,
    ),
    Definition(
        "sales_cycle", _("Average sales cycle"),
        _("Average whole days from the opening of a deal to its win, for deals won in the "
          "period."),
        "days", SALES, lower_is_better=True, additive=False,
    ),
    Definition(
        "pipeline_sourced", _("Pipeline sourced by marketing"),
        _("Amounts of deals opened in the period, credited to the campaign that brought the "
          "lead in (first touch)."),
        "yen", BOTH,
    ),
    Definition(
        "pipeline_influenced", _("Pipeline influenced"),
        _("Amounts of deals opened in the period, credited in full to every campaign the lead "
          "touched before the deal was opened."),
        "yen", BOTH, additive=False,
    ),
    Definition(
        "claimed", _("Claimed handoffs"), _("Handoffs a sales rep claimed in the period."),
        "count", SALES,
    ),
    Definition(
        "speed_p50", _("Speed to lead (median)"),
        _("Minutes from MQL (the handoff) to the first logged sales touch, for handoffs made in "
          "the period; half of them were touched within this time (upper bound of a histogram "
          "bucket, at most about 25% above the exact figure)."),
        "minutes", SALES, lower_is_better=True, additive=False,
    ),
    Definition(
        "speed_p90", _("Speed to lead (90th percentile)"),
        _("As the median, for nine handoffs in ten."),
        "minutes", SALES, lower_is_better=True, additive=False,
    ),
    Definition(
        "routing_p50", _("Routing delay (median)"),
        _("Minutes from MQL to the claim: how long a handoff waited for a rep."),
        "minutes", SALES, lower_is_better=True, additive=False,
    ),
    Definition(
        "rep_delay_p50", _("Rep delay (median)"),
        _("Minutes from the claim to the first sales touch."),
        "minutes", SALES, lower_is_better=True, additive=False,
    ),
    Definition(
        "sla_compliance", _("SLA compliance"),
        _("First-touch deadlines due in the period that were met, over those met or missed "
          "(deadlines that ended with a release, rejection or withdrawal count neither way)."),
        "percent", SALES, additive=False,
    ),
    Definition(
        "rejection_rate", _("Rejection rate"),
        _("Handoffs rejected in the period over handoffs accepted or rejected in the period."),
        "percent", BOTH, lower_is_better=True, additive=False,
    ),
    Definition(
        "recycled_converted", _("Recycled leads converted"),
        _("Leads that sales had rejected (recycled) and that later reached SQL or beyond, "
          "counted in the period of that conversion."),
        "count", BOTH,
    ),
    Definition(
        "lead_velocity", _("Lead velocity rate"),
        _("MQLs in the period minus MQLs in the period of the same length just before, over "
          "the latter."),
        "percent", MARKETING, additive=False, by_rep=False,
    ),
]  # fmt: skip

# The headline figures, in the order the page shows them.
DEFINITIONS: dict[str, Definition] = {d.key: d for d in _ALL}

# Figures in the funnel and campaign tables, defined once too.
TABLE_DEFINITIONS: dict[str, Definition] = {
    d.key: d
    for d in [
        Definition(
            "conversion", _("Step conversion"),
            _("Leads that reached a step over leads that reached the step before it. A lead that "
              "skipped a step is counted as having passed it."),
            "percent", BOTH, additive=False,
        ),
        Definition(
            "days_per_step", _("Median days per step"),
            _("Whole days from the step before (from creation for MQL) to this step; half of "
              "the leads took at most this long (exact up to a week, then the upper bound of a "
              "range: 10, 14, 21, 30, 45, 60, 90 days and so on)."),
            "days", BOTH, lower_is_better=True, additive=False,
        ),
        Definition(
            "cohort_funnel", _("Funnel by cohort"),
            _("Leads created in the period, followed through every later step up to today."),
            "count", BOTH, by_rep=False,
        ),
        Definition(
            "calendar_funnel", _("Funnel by calendar period"),
            _("Leads that reached each step in the period, whenever they were created."),
            "count", BOTH,
        ),
        Definition(
            "cost_per", _("Cost per lead, MQL, SQL and won"),
            _("The campaign's actual cost to date over its leads, MQLs, SQLs and won leads in the "
              "period; choose a period that covers the campaign."),
            "yen", MARKETING, lower_is_better=True, additive=False,
        ),
        Definition(
            "lost_reasons", _("Lost reasons"),
            _("Deals lost in the period (closing date) by the reason chosen from the managed "
              "list, most first."),
            "count", SALES,
        ),
        Definition(
            "forecast", _("Forecast"),
            _("Open deals now, by the month they are expected to close, each amount weighted by "
              "the probability of its stage; with the deals won in that month so far, against "
              "the won revenue target of the month. Deals still open past their expected month "
              "show as overdue. Live: not from the rollups, and the period above does not "
              "apply."),
            "yen", SALES, additive=False,
        ),
        Definition(
            "roi", _("ROI"),
            _("Won revenue of the campaign's leads in the period minus the campaign's actual "
              "cost, over that cost."),
            "percent", MARKETING, additive=False,
        ),
    ]
}  # fmt: skip

TARGETABLE = [key for key in DEFINITIONS if key != "lead_velocity"]
