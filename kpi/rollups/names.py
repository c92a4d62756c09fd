"""The names the rollups count under, shared by the rollups (which write them)
and the figures (kpi.metrics, which read them): the funnel's steps and every
metric of a `DailyRollup` and `MonthlyRollup` row."""

from __future__ import annotations

from enum import StrEnum

# The funnel's steps in order; "won" is the customer stage or a won deal.
FUNNEL = ("mql", "sal", "sql", "opportunity", "won")


class Metric(StrEnum):
    # Cohort: by the lead's creation day (kpi.rollups.events' "cohort" family).
    LEAD = "lead"
    C_MQL = "c_mql"
    C_SAL = "c_sal"
    C_SQL = "c_sql"
    C_OPPORTUNITY = "c_opportunity"
    C_WON = "c_won"
    # Calendar: by the day the step was reached ("calendar").
    R_MQL = "r_mql"
    R_SAL = "r_sal"
    R_SQL = "r_sql"
    R_OPPORTUNITY = "r_opportunity"
    R_WON = "r_won"
    RECYCLED = "recycled"
    RECONVERTED = "reconverted"
    # Handoffs and their first-touch deadlines ("handoffs"); speed, routing and
    # rep_delay are histograms of minutes, rejected is bucketed by reason.
    HANDOFF = "handoff"
    SPEED = "speed"
    ROUTING = "routing"
    REP_DELAY = "rep_delay"
    CLAIMED = "claimed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    SLA_MET = "sla_met"
    SLA_MISSED = "sla_missed"
    # Deals ("deals"); amounts in yen. Won and lost deals on their closing
    # day; sales_cycle counts the days each won deal took from its opening
    # (summed: over won_deal's count, the average); lost_deal is bucketed by
    # lost reason (its id, 0 for none).
    WON_DEAL = "won_deal"
    LOST_DEAL = "lost_deal"
    SALES_CYCLE = "sales_cycle"
    SOURCED = "sourced"
    INFLUENCED = "influenced"
    INFLUENCED_ANY = "influenced_any"

    @classmethod
    def cohort(cls, step: str) -> Metric:
        """A funnel step counted on the lead's creation day."""
        return cls(f"c_{step}")

    @classmethod
    def calendar(cls, step: str) -> Metric:
        """A funnel step counted on the day it was reached."""
        return cls(f"r_{step}")
