"""Keeping the KPI rollups current (kpi.rollups has the how and why)."""

from __future__ import annotations

from celery import shared_task

from kpi import rollups


@shared_task
def refresh_rollups() -> None:
    """Rebuild the rollups of the days touched since the last run (beat, every
    minute). Safe to run twice, even at once: runs take turns on the state row
    and each rebuild recomputes its days from the source tables."""
    rollups.refresh()


@shared_task
def rebuild_rollups() -> None:
    """Rebuild every day's rollups from the source tables (beat, nightly): the
    safety net for changes the refresh cannot see. Safe to run twice: it
    recomputes from source."""
    rollups.rebuild_all()
