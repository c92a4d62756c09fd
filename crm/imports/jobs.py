"""Import jobs: upload, dry run and run, as the browser drives them."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import export
from crm.imports import engine, mapping, reading, rows
from crm.models import Campaign, ImportJob

logger = logging.getLogger(__name__)
# Rejections kept for the file and the preview; beyond this only the count.
MAX_KEPT_REJECTIONS = 50_000


def create_job(
    data: bytes,
    *,
    filename: str,
    user: User,
    campaign: Campaign | None,
    kind: str,
    consent_basis: str = "",
) -> ImportJob:
    """Read the upload and guess its columns. Raises reading.UnreadableFile."""
    table = reading.read_table(data, filename=filename)
    return ImportJob.objects.create(
        filename=filename[:200],
        content=data,
        encoding=table.encoding,
        headers=table.headers,
        mapping=mapping.guess_mapping(table.headers),
        total_rows=len(table.rows),
        campaign=campaign,
        activity_kind=kind,
        consent_basis=consent_basis,
        created_by=user,
    )


def preview(job: ImportJob, *, columns: list[str]) -> engine.Plan:
    """The dry run: check every row against the chosen columns, write nothing
    but the job's counts."""
    planned = engine.plan(_table(job), columns)
    job.mapping = columns
    job.counts = planned.counts.as_dict()
    job.rejections = [r.as_json() for r in planned.rejections[:MAX_KEPT_REJECTIONS]]
    job.status = ImportJob.Status.PREVIEWED
    job.save(update_fields=["mapping", "counts", "rejections", "status"])
    return planned


@transaction.atomic
def start(job: ImportJob) -> bool:
    """Queue the import; False when it is not ready or already started."""
    from crm import tasks

    queued = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PREVIEWED).update(
        status=ImportJob.Status.QUEUED, processed_rows=0, queued_at=timezone.now()
    )
    if queued:
        # If this publish is lost (broker down), requeue_stale() sends it again.
        transaction.on_commit(lambda: tasks.run_import.delay(job.pk), robust=True)
    return bool(queued)


def requeue_stale(*, older_than: timedelta = timedelta(minutes=2)) -> int:
    """Send again the imports queued long ago that no worker has started."""
    from crm import tasks

    stale = ImportJob.objects.filter(
        status=ImportJob.Status.QUEUED, queued_at__lt=timezone.now() - older_than
    )
    count = 0
    for job_id in stale.values_list("pk", flat=True):
        tasks.run_import.delay(job_id)
        count += 1
    return count


def run(job_id: int) -> None:
    """Apply a queued import. Safe to run twice: a job already done is skipped,
    and applying the same rows again changes nothing."""
    claimed = ImportJob.objects.filter(
        Q(status=ImportJob.Status.QUEUED) | Q(status=ImportJob.Status.RUNNING), pk=job_id
    ).update(status=ImportJob.Status.RUNNING)
    if not claimed:
        logger.info("import %s is not queued; skipped", job_id)
        return
    job = ImportJob.objects.select_related("campaign", "created_by").get(pk=job_id)
    try:
        planned = engine.plan(_table(job), job.mapping)
        # The file's row count (total_rows) stays as the page showed it; the
        # progress bar counts the people to write.
        ImportJob.objects.filter(pk=job.pk).update(rows_to_write=len(planned.candidates))
        counts = engine.apply(
            planned,
            campaign=job.campaign,
            kind=job.activity_kind,
            actor=job.created_by,
            source=f"import #{job.pk} {job.filename}",
            progress=lambda done: _record_progress(job.pk, done),
            consent_basis=job.consent_basis,
            job_id=job.pk,
        )
    except Exception as exc:
        logger.exception("import %s failed", job_id)
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.FAILED, error=str(exc)[:2000]
        )
        raise
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.DONE,
        counts=counts.as_dict(),
        rejections=[r.as_json() for r in planned.rejections[:MAX_KEPT_REJECTIONS]],
        finished_at=timezone.now(),
    )


def _record_progress(job_id: int, done: int) -> None:
    ImportJob.objects.filter(pk=job_id).update(processed_rows=done)


def rejections(job: ImportJob, *, limit: int | None = None) -> list[dict[str, Any]]:
    """The job's rejected rows, each reason in the current language."""
    kept = job.rejections if limit is None else job.rejections[:limit]
    return [{**r, "reason": rows.reason_text(r["reason"], r.get("params"))} for r in kept]


def rejected_rows_csv(job: ImportJob, *, machine_names: bool = False) -> bytes:
    """The rows not imported with the reason for each, to fix and import
    again: headed and explained in the reader's language (or, for the first
    two columns, with machine names); the file's own columns as they were."""
    first = ["line", "reason"] if machine_names else [_("Line"), _("Reason")]
    lines = ([r["line"], r["reason"], *r["values"]] for r in rejections(job))
    return export.to_csv([*first, *job.headers], lines, encoding="utf-8-sig").content


def _table(job: ImportJob) -> reading.Table:
    return reading.read_table(bytes(job.content), filename=job.filename)
