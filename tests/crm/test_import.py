"""Importing messy Japanese lead lists: encodings, headers, bad rows, re-imports."""

import io

import openpyxl
import pytest
from django.utils import translation

from crm.imports import engine, jobs, mapping, reading
from crm.imports.rows import Rejection, check_row
from crm.models import Activity, Company, ImportJob, Lead, LeadScore, OutboxEvent, StageChange
from tests import factories

pytestmark = pytest.mark.django_db

CARD_HEADER = (
    "会社名,部署名,役職,姓,名,姓（カナ）,名（カナ）,E-mail,TEL会社,携帯電話,住所,名刺交換日"
)
CARD_ROWS = [
    "㈱青葉商事,営業部,部長,髙橋,一郎,ﾀｶﾊｼ,ｲﾁﾛｳ,Takahashi@Aoba.example.jp,０３－１２３４－５６７８,090-1111-2222,東京都千代田区1-1,2026/10/01",
    "(株)青葉商事,情報システム部,課長,山﨑,花子,ヤマザキ,ハナコ,yamazaki@aoba.example.jp,03(1234)5679,,東京都千代田区1-1,2026年10月2日",
    '北斗物流株式会社,,,=HYPERLINK("http://x"),<script>alert(1)</script>,,,hokuto@example.jp,,,,',
    "みなと製作所,,,佐藤,,,,not-an-email,,,,",
    ",,,,,,,,,,,",
    "みなと製作所,,,鈴木,次郎,,,suzuki@minato.example.jp,,,,2026-13-45",
]


def card_csv(encoding: str) -> bytes:
    return ("\r\n".join([CARD_HEADER, *CARD_ROWS]) + "\r\n").encode(encoding)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_each_encoding_is_detected(encoding):
    table = reading.read_table(card_csv(encoding))
    assert table.encoding == encoding
    assert table.headers[0] == "会社名"
    assert table.rows[0][3] == "髙橋"
    assert len(table.rows) == 6  # the empty row is kept, so line numbers stay right


def test_an_encoding_that_is_neither_is_refused_clearly():
    with pytest.raises(reading.UnreadableFile, match="neither UTF-8 nor Shift_JIS"):
        reading.read_table("名前,メール\n".encode("utf-16-le"))


def test_excel_unicode_text_is_read():
    table = reading.read_table("姓\tメール\n山田\ty@example.jp\n".encode("utf-16"))
    assert table.encoding == "utf-16"
    assert table.rows == [["山田", "y@example.jp"]]


def test_empty_file_is_refused():
    with pytest.raises(reading.UnreadableFile, match="empty"):
        reading.read_table(b"   \n")


def test_business_card_headers_are_recognised():
    table = reading.read_table(card_csv("cp932"))
    assert mapping.guess_mapping(table.headers) == [
        "company", "department", "title", "family_name", "given_name", "family_name_kana",
        "given_name_kana", "email", "phone", "mobile", "address", "occurred_on",
    ]  # fmt: skip


def test_english_headers_and_full_names_are_recognised():
    headers = ["Name", "Email Address", "Company Name", "Phone", "Job Title", "?"]
    assert mapping.guess_mapping(headers) == ["full_name", "email", "company", "phone", "title", ""]
    assert mapping.missing_fields(["", "email"]) == ["family_name"]


def test_xlsx_is_read():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["氏名", "メールアドレス", "会社名"])
    sheet.append(["山田 太郎", "yamada@example.jp", "株式会社みなと"])
    buffer = io.BytesIO()
    book.save(buffer)
    table = reading.read_table(buffer.getvalue(), filename="list.xlsx")
    assert table.encoding == "xlsx"
    assert table.rows == [["山田 太郎", "yamada@example.jp", "株式会社みなと"]]


def test_full_name_is_split_family_first():
    candidate = check_row(["山田　太郎", "y@example.jp"], ["full_name", "email"], line=2)
    assert (candidate.family_name, candidate.given_name) == ("山田", "太郎")


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        (["山田", ""], "email address is missing"),
        (["山田", "nope"], "not a valid email"),
    ],
)
def test_bad_rows_are_rejected_with_a_reason(values, reason):
    result = check_row(values, ["family_name", "email"], line=7)
    assert isinstance(result, Rejection)
    assert reason in result.reason
    assert result.line == 7


def plan_cards(encoding="cp932"):
    table = reading.read_table(card_csv(encoding))
    return engine.plan(table, mapping.guess_mapping(table.headers))


def test_a_new_person_without_a_name_is_rejected():
    planned = engine.plan(
        reading.Table(["姓", "メール"], [["", "a@example.jp"]], "utf-8"), ["family_name", "email"]
    )
    assert [r.reason for r in planned.rejections] == ["The name is missing."]


def test_dry_run_counts_and_writes_nothing():
    planned = plan_cards()
    assert planned.counts.as_dict() == {
        "new": 3,
        "updated": 0,
        "unchanged": 0,
        "merged": 0,
        "rejected": 2,
    }
    assert [r.line for r in planned.rejections] == [5, 7]
    assert not Lead.objects.exists() and not Company.objects.exists()


def apply_cards(campaign=None, actor=None, encoding="cp932"):
    return engine.apply(
        plan_cards(encoding),
        campaign=campaign,
        kind=Activity.Kind.CARD_EXCHANGE,
        actor=actor,
        source="test",
    )


def test_import_creates_people_companies_and_timeline(campaign, marketer):
    counts = apply_cards(campaign, marketer)
    assert counts.new == 3 and counts.rejected == 2
    assert Company.objects.filter(key="青葉商事").count() == 1  # ㈱ and (株) are one company
    takahashi = Lead.objects.get(email="takahashi@aoba.example.jp")
    assert takahashi.family_name == "髙橋"  # the variant kanji is kept
    assert takahashi.family_name_kana == "タカハシ"  # half-width kana made full-width
    assert takahashi.phone_digits == "0312345678"
    assert takahashi.source_campaign == campaign
    exchange = takahashi.activities.get()
    assert exchange.kind == Activity.Kind.CARD_EXCHANGE
    assert exchange.occurred_at.date().isoformat() == "2026-10-01"
    assert exchange.details["mobile"] == "090-1111-2222"
    assert StageChange.objects.filter(lead=takahashi, to_stage="lead").count() == 1
    assert OutboxEvent.objects.filter(topic="activities.recorded").count() == 1
    assert LeadScore.objects.filter(lead__in=Lead.objects.all()).count() == 3  # one row each


def test_script_and_formula_payloads_are_stored_as_text():
    apply_cards()
    hokuto = Lead.objects.get(email="hokuto@example.jp")
    assert hokuto.family_name == '=HYPERLINK("http://x")'
    assert hokuto.given_name == "<script>alert(1)</script>"


def test_reimporting_the_same_file_changes_nothing():
    apply_cards()
    before = (
        Lead.objects.count(),
        Activity.objects.count(),
        Company.objects.count(),
        OutboxEvent.objects.count(),
    )
    counts = apply_cards()
    assert counts.new == 0 and counts.updated == 0 and counts.unchanged == 3
    assert (
        Lead.objects.count(),
        Activity.objects.count(),
        Company.objects.count(),
        OutboxEvent.objects.count(),
    ) == before


def test_same_file_in_another_encoding_is_the_same_import():
    apply_cards(encoding="cp932")
    assert apply_cards(encoding="utf-8-sig").unchanged == 3


def test_a_known_person_is_updated_and_a_second_row_is_merged():
    factories.lead(email="takahashi@aoba.example.jp", family_name="高橋", title="")
    table = reading.read_table(
        card_csv("utf-8") + "㈱青葉商事,,本部長,,,,,TAKAHASHI@aoba.example.jp,,,,\r\n".encode()
    )
    planned = engine.plan(table, mapping.guess_mapping(table.headers))
    assert planned.counts.merged == 1 and planned.counts.updated == 1
    engine.apply(planned, campaign=None, kind=Activity.Kind.IMPORTED, actor=None, source="test")
    lead = Lead.objects.get(email="takahashi@aoba.example.jp")
    assert lead.family_name == "髙橋"
    assert lead.title == "本部長"  # the later row wins


def test_a_person_captured_between_dry_run_and_import_is_not_created_twice(campaign):
    from crm.capture import CaptureData, capture_lead

    planned = plan_cards()
    assert planned.counts.new == 3
    captured, _ = capture_lead(
        campaign, data=CaptureData(email="Takahashi@Aoba.example.jp", family_name="髙橋")
    )
    counts = engine.apply(
        planned, campaign=None, kind=Activity.Kind.CARD_EXCHANGE, actor=None, source="test"
    )
    assert (counts.new, counts.unchanged) == (2, 1)  # the capture's lead stays as it is
    assert Lead.objects.count() == 3
    assert sorted(captured.activities.values_list("kind", flat=True)) == [
        Activity.Kind.CARD_EXCHANGE,
        Activity.Kind.FORM_SUBMIT,
    ]
    assert StageChange.objects.filter(lead=captured).count() == 1  # the capture's own
    assert StageChange.objects.count() == 3


def test_a_known_email_in_another_case_is_the_same_person():
    known = factories.lead(email="Takahashi@Aoba.example.jp", family_name="髙橋")
    counts = apply_cards()
    assert counts.new == 2 and counts.updated == 1
    assert Lead.objects.count() == 3
    assert known.activities.get().kind == Activity.Kind.CARD_EXCHANGE


def test_companies_named_in_several_chunks_are_created_once(monkeypatch):
    monkeypatch.setattr(engine, "CHUNK", 1)
    counts = apply_cards()
    assert counts.new == 3
    assert Company.objects.filter(key="青葉商事").count() == 1
    assert Lead.objects.filter(company__key="青葉商事").count() == 2
    assert OutboxEvent.objects.filter(topic="activities.recorded").count() == 3
    assert apply_cards().unchanged == 3


def test_capture_after_import_updates_the_same_person(client, campaign):
    apply_cards()
    client.post(
        f"/capture/{campaign.capture_key}/",
        {"email": "Takahashi@aoba.example.jp", "family_name": "髙橋"},
    )
    assert Lead.objects.filter(email="takahashi@aoba.example.jp").count() == 1


def test_job_lifecycle_and_rejected_rows_file(marketer, campaign):
    job = jobs.create_job(
        card_csv("cp932"),
        filename="cards.csv",
        user=marketer,
        campaign=campaign,
        kind="card_exchange",
    )
    assert job.encoding == "cp932" and job.total_rows == 6
    jobs.preview(job, columns=job.mapping)
    assert job.status == ImportJob.Status.PREVIEWED
    assert jobs.start(job)
    assert not jobs.start(job)  # only once
    jobs.run(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert job.counts["new"] == 3 and job.processed_rows == 3 == job.rows_to_write
    assert job.total_rows == 6  # the file's rows, as the page said before the import
    rejected = jobs.rejected_rows_csv(job).decode("utf-8-sig").splitlines()
    assert rejected[0].startswith("Line,Reason,会社名")
    assert "not a valid email" in rejected[1]
    assert len(rejected) == 3
    machine = jobs.rejected_rows_csv(job, machine_names=True).decode("utf-8-sig").splitlines()
    assert machine[0].startswith("line,reason,会社名")


def test_reasons_are_given_in_the_language_of_the_reader(marketer):
    """The run (a worker, in the default language) stores the reasons
    untranslated; the page and the file give them in the reader's."""
    job = jobs.create_job(
        card_csv("utf-8"), filename="c.csv", user=marketer, campaign=None, kind="imported"
    )
    jobs.preview(job, columns=job.mapping)
    jobs.start(job)
    with translation.override("en"):
        jobs.run(job.pk)
    job.refresh_from_db()
    with translation.override("ja"):
        lines = jobs.rejected_rows_csv(job).decode("utf-8-sig").splitlines()
        sample = jobs.rejections(job, limit=20)
    assert lines[0].startswith("行,理由,会社名")
    assert "「not-an-email」は正しいメールアドレスではありません。" in lines[1]
    assert sample[1]["reason"] == "日付「2026-13-45」を読み取れません。"


def test_a_too_long_value_is_named_as_the_mapping_form_names_it():
    rejection = check_row(["x" * 101, "a@example.jp"], ["family_name", "email"], line=2)
    assert isinstance(rejection, Rejection)
    with translation.override("ja"):
        assert rejection.message() == "文字数が多すぎます：姓。"
    assert rejection.message() == "Too long: Family name."


def test_jobs_stored_with_translated_reasons_still_show_them(marketer):
    job = ImportJob.objects.create(
        filename="old.csv", headers=["a"], created_by=marketer,
        rejections=[{"line": 2, "reason": "メールアドレスがありません。", "values": ["x"]}],
    )  # fmt: skip
    assert jobs.rejections(job)[0]["reason"] == "メールアドレスがありません。"


def test_running_a_finished_job_again_does_nothing(marketer):
    job = jobs.create_job(
        card_csv("utf-8"), filename="c.csv", user=marketer, campaign=None, kind="imported"
    )
    jobs.preview(job, columns=job.mapping)
    jobs.start(job)
    jobs.run(job.pk)
    jobs.run(job.pk)
    assert Lead.objects.count() == 3


def test_command_dry_run_then_import(tmp_path, campaign):
    from django.core.management import call_command

    path = tmp_path / "cards.csv"
    path.write_bytes(card_csv("cp932"))
    out = io.StringIO()
    call_command("import_leads", str(path), "--campaign", "spring", "--dry-run", stdout=out)
    assert "new 3" in out.getvalue() and not Lead.objects.exists()
    call_command(
        "import_leads", str(path), "--campaign", "spring", "--kind", "card_exchange", stdout=out
    )
    assert Lead.objects.filter(source_campaign=campaign).count() == 3
    assert "not a valid email" in (tmp_path / "cards.rejected.csv").read_text(encoding="utf-8-sig")


def test_command_refuses_unknown_campaign(tmp_path):
    from django.core.management import CommandError, call_command

    path = tmp_path / "x.csv"
    path.write_bytes(card_csv("utf-8"))
    with pytest.raises(CommandError, match="No campaign"):
        call_command("import_leads", str(path), "--campaign", "nope")


def test_browser_flow_upload_map_preview_run_download(client_as, marketer, campaign):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    client = client_as(marketer)
    upload = SimpleUploadedFile("cards.csv", card_csv("cp932"), content_type="text/csv")
    response = client.post(
        reverse("crm:import_list"),
        {"file": upload, "campaign": campaign.pk, "kind": "card_exchange"},
    )
    job = ImportJob.objects.get()
    assert response["Location"] == job.get_absolute_url()
    page = client.get(job.get_absolute_url()).content.decode()
    assert "名刺交換日" in page and 'value="occurred_on" selected' in page
    columns = {f"col_{i}": field for i, field in enumerate(job.mapping)}
    assert client.post(reverse("crm:import_preview", args=[job.pk]), columns).status_code == 302
    page = client.get(job.get_absolute_url()).content.decode()
    assert 'data-testid="count-new">3<' in page and 'data-testid="import-start"' in page
    client.post(reverse("crm:import_start", args=[job.pk]))
    job.refresh_from_db()
    if job.status != ImportJob.Status.DONE:  # with a broker the task waits for a worker
        jobs.run(job.pk)
    progress = client.get(job.get_absolute_url(), HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="import-done"' in progress and "<html" not in progress
    rejected = client.get(reverse("crm:import_rejections", args=[job.pk]))
    assert "not a valid email" in rejected.content.decode("utf-8-sig")


def test_mapping_without_email_is_refused(client_as, marketer):
    from django.urls import reverse

    job = jobs.create_job(
        card_csv("utf-8"), filename="c.csv", user=marketer, campaign=None, kind="imported"
    )
    columns = {f"col_{i}": field for i, field in enumerate(job.mapping) if field != "email"}
    response = client_as(marketer).post(reverse("crm:import_preview", args=[job.pk]), columns)
    assert response.status_code == 400
    assert "Choose a column for: Email" in response.content.decode()


def test_unreadable_upload_is_refused_on_the_form(client_as, marketer):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
    upload = SimpleUploadedFile("x.csv", png, content_type="text/csv")
    response = client_as(marketer).post(
        reverse("crm:import_list"), {"file": upload, "kind": "imported"}
    )
    assert response.status_code == 200
    assert "neither UTF-8 nor Shift_JIS" in response.content.decode()
    assert not ImportJob.objects.exists()
