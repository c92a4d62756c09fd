"""Import of a generated 100,000-row CP932 business-card file with 10% duplicates.

Baton's engine (dry-run plan + chunked set-based apply) against
django-import-export on the same file, in the same run, on PostgreSQL. Scoring
of the imported activities is left to the workers behind the import (the
broker here is in-memory and nothing consumes it), for both.
"""

from __future__ import annotations

import os
import random
import time

from bench._django import setup

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
# BENCH_IMPORT_PEER=0 measures Baton alone (while iterating; figures need both).
PEER = os.environ.get("BENCH_IMPORT_PEER", "1") != "0"
DUPLICATE_SHARE = 0.10
HEADER = [
    "会社名",
    "部署名",
    "役職",
    "姓",
    "名",
    "姓（カナ）",
    "名（カナ）",
    "E-mail",
    "TEL会社",
    "名刺交換日",
]
LEGAL = ["株式会社{}", "㈱{}", "{}株式会社", "(株){}", "有限会社{}"]


def make_file(rows: int) -> bytes:
    from crm import demo

    rng = random.Random(7)  # nosec B311  # generated benchmark data, not security
    companies = [
        rng.choice(LEGAL).format(f"{stem}{kind}{n}")
        for n in range(rows // 20)
        for stem, kind in [(rng.choice(demo.COMPANY_STEMS), rng.choice(demo.COMPANY_KINDS))]
    ]
    unique = int(rows * (1 - DUPLICATE_SHARE))
    people = []
    for n in range(unique):
        (family, family_kana), (given, given_kana) = (
            rng.choice(demo.FAMILY_NAMES),
            rng.choice(demo.GIVEN_NAMES),
        )
        phone = f"03-{rng.randint(1000, 9999)}-{n % 10000:04d}"
        if n % 3 == 0:
            phone = phone.translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))
        people.append(
            [
                rng.choice(companies),
                rng.choice(demo.DEPARTMENTS),
                rng.choice(demo.TITLES),
                family,
                given,
                family_kana,
                given_kana,
                f"person{n}@example.jp",
                phone,
                f"2026/{rng.randint(1, 10)}/{rng.randint(1, 28)}",
            ]
        )
    for _ in range(rows - unique):  # the same person again, their email in another case
        again = list(rng.choice(people))
        again[7] = again[7].upper()
        people.append(again)
    rng.shuffle(people)
    lines = [",".join(HEADER)] + [",".join(row) for row in people]
    return ("\r\n".join(lines) + "\r\n").encode("cp932")


def clean() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE crm_activity, crm_stagechange, crm_outboxevent, crm_consent, crm_answer, "
            "handoff_notification, handoff_handoff, crm_deal, crm_lead, crm_company "
            "RESTART IDENTITY CASCADE"
        )


def run_baton(data: bytes) -> tuple[float, dict[str, int]]:
    from crm.imports import engine, mapping, reading
    from crm.models import Activity

    start = time.perf_counter()
    table = reading.read_table(data)
    planned = engine.plan(table, mapping.guess_mapping(table.headers))
    counts = engine.apply(
        planned, campaign=None, kind=Activity.Kind.CARD_EXCHANGE, actor=None, source="bench"
    )
    return time.perf_counter() - start, counts.as_dict()


def run_import_export(data: bytes) -> float:
    import tablib
    from import_export import fields, resources

    from crm.models import Lead

    class LeadResource(resources.ModelResource):
        email = fields.Field(attribute="email", column_name="E-mail")
        family_name = fields.Field(attribute="family_name", column_name="姓")
        given_name = fields.Field(attribute="given_name", column_name="名")
        family_name_kana = fields.Field(attribute="family_name_kana", column_name="姓（カナ）")
        given_name_kana = fields.Field(attribute="given_name_kana", column_name="名（カナ）")
        department = fields.Field(attribute="department", column_name="部署名")
        title = fields.Field(attribute="title", column_name="役職")
        phone = fields.Field(attribute="phone", column_name="TEL会社")

        class Meta:
            model = Lead
            import_id_fields = ("email",)
            fields = ("email", "family_name", "given_name", "family_name_kana", "given_name_kana",
                      "department", "title", "phone")  # fmt: skip
            # Its fastest settings that work on this file: bulk mode inserts the
            # two rows of a duplicated person together and fails on the unique email.
            skip_diff = True
            skip_unchanged = True
            use_transactions = True

        def before_import_row(self, row, **kwargs):  # type: ignore[no-untyped-def]
            row["E-mail"] = row["E-mail"].lower()  # the same case-folding Baton does

    start = time.perf_counter()
    dataset = tablib.Dataset().load(data.decode("cp932"), format="csv")
    result = LeadResource().import_data(dataset, dry_run=False, raise_errors=True)
    assert not result.has_errors()  # nosec B101  # a benchmark sanity check, never run with -O
    return time.perf_counter() - start


def run() -> None:
    os.environ["CELERY_BROKER_URL"] = "memory://"
    setup("baton_bench_import")
    from crm.models import Activity, Company, Lead

    data = make_file(ROWS)
    print(f"file: {ROWS:,} rows, CP932, {len(data) / 1e6:.1f} MB, {DUPLICATE_SHARE:.0%} duplicates")
    clean()
    baton, counts = run_baton(data)
    leads, companies, activities = (
        Lead.objects.count(),
        Company.objects.count(),
        Activity.objects.count(),
    )
    print(f"baton: {baton:.1f} s ({ROWS / baton:,.0f} rows/s) -> {counts}")
    print(
        f"  {leads:,} leads, {companies:,} companies (legal forms folded), "
        f"{activities:,} timeline entries"
    )
    again, counts_again = run_baton(data)
    print(f"baton, same file again: {again:.1f} s, {counts_again} (nothing changes)")
    clean()
    if not PEER:
        return
    peer = run_import_export(data)
    print(
        f"django-import-export 4.4.3: {peer:.1f} s ({ROWS / peer:,.0f} rows/s), "
        f"{Lead.objects.count():,} leads"
    )
    print(f"ratio: {peer / baton:.1f}x  (targets: <= 30 s, >= 10x)")
    clean()
