"""Import columns mapped to the question ledger: each non-empty cell is an
answer (source: import); the same file imported again adds nothing."""

import pytest
from django.urls import reverse

from crm import merging
from crm.imports import engine, jobs, mapping, reading
from crm.ledger import ledger_of
from crm.models import Activity, Answer, Lead
from tests import factories

pytestmark = pytest.mark.django_db

HEADER = "姓,メールアドレス,予算,導入時期,拠点数は？,備考"
ROWS = [
    "山田,yamada@example.jp,500万円,2027年4月,3拠点,",
    "佐藤,sato@example.jp,,来期,,",
    "鈴木,suzuki@example.jp,,,,",
]


def table(rows=ROWS):
    return reading.read_table(("\n".join([HEADER, *rows]) + "\n").encode())


def columns(t):
    guessed = mapping.guess_mapping(t.headers)
    guessed[4] = "answer:other"  # the free question, chosen in the mapping step
    return guessed


def run(rows=ROWS, actor=None):
    t = table(rows)
    return engine.apply(
        engine.plan(t, columns(t)), campaign=None, kind=Activity.Kind.IMPORTED, actor=actor,
        source="test",
    )  # fmt: skip


def test_ledger_headers_are_recognised():
    assert mapping.guess_mapping(table().headers) == [
        "family_name", "email", "answer:budget", "answer:timeline", "", "note",
    ]  # fmt: skip


def test_each_non_empty_cell_becomes_an_answer_from_the_import(marketer):
    run(actor=marketer)
    yamada = Lead.objects.get(email="yamada@example.jp")
    answers = {(a.question, a.asked): a for a in yamada.answers.all()}
    assert {k: a.answer for k, a in answers.items()} == {
        ("budget", ""): "500万円",
        ("timeline", ""): "2027年4月",
        ("other", "拠点数は？"): "3拠点",
    }
    assert {(a.source, a.recorded_by) for a in answers.values()} == {("import", marketer)}
    sato = Lead.objects.get(email="sato@example.jp")
    assert list(sato.answers.values_list("question", "answer")) == [("timeline", "来期")]
    assert not Lead.objects.get(email="suzuki@example.jp").answers.exists()


def test_reimporting_the_same_file_adds_no_answer():
    run()
    before = list(Answer.objects.order_by("pk").values_list("pk", "answer", "recorded_at"))
    counts = run()
    assert counts.new == 0 and counts.updated == 0
    assert list(Answer.objects.order_by("pk").values_list("pk", "answer", "recorded_at")) == before


def test_a_changed_answer_in_a_later_file_is_a_newer_entry():
    run()
    run(["山田,yamada@example.jp,800万円,2027年4月,3拠点,"])
    yamada = Lead.objects.get(email="yamada@example.jp")
    entry = next(
        e for e in ledger_of(yamada.answers.all()).answered if e.latest.question == "budget"
    )
    assert entry.latest.answer == "800万円"
    assert [a.answer for a in entry.earlier] == ["500万円"]
    assert yamada.answers.count() == 4


def test_an_answer_recorded_by_a_rep_meanwhile_is_not_overtaken_by_a_reimport():
    run()
    yamada = Lead.objects.get(email="yamada@example.jp")
    Answer.objects.create(lead=yamada, question="budget", answer="1000万円", source="call")
    run()
    latest = ledger_of(yamada.answers.all()).answered[0].latest
    assert (latest.answer, latest.source) == ("1000万円", "call")


def test_an_answer_too_long_is_a_rejected_row_naming_the_question():
    long_row = f"山田,yamada@example.jp,{'x' * 2001},,,"
    t = table([long_row])
    planned = engine.plan(t, columns(t))
    assert [r.message() for r in planned.rejections] == ["Too long: Question ledger: Budget."]


def test_two_rows_of_one_person_keep_both_answers():
    run(["山田,yamada@example.jp,500万円,,,", "山田,YAMADA@example.jp,,来期,,"])
    yamada = Lead.objects.get(email="yamada@example.jp")
    assert sorted(yamada.answers.values_list("question", flat=True)) == ["budget", "timeline"]


def test_the_mapping_step_offers_ledger_questions_and_several_free_ones(client_as, marketer):
    data = (HEADER + ",もう一つの質問\n" + "山田,yamada@example.jp,1,2,3,,4\n").encode()
    job = jobs.create_job(data, filename="a.csv", user=marketer, campaign=None, kind="imported")
    client = client_as(marketer)
    page = client.get(job.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'value="answer:budget" selected' in page
    assert "Question ledger: other question (the column&#x27;s header is the question)" in page
    chosen = [*job.mapping[:4], "answer:other", "note", "answer:other"]
    posted = {f"col_{i}": field for i, field in enumerate(chosen)}
    response = client.post(reverse("crm:import_preview", args=[job.pk]), posted)
    assert response.status_code == 302
    jobs.start(job)
    job.refresh_from_db()
    if job.status != "done":
        jobs.run(job.pk)
    asked = set(Answer.objects.filter(question="other").values_list("asked", flat=True))
    assert asked == {"拠点数は？", "もう一つの質問"}


def test_reimporting_after_a_merge_adds_no_answer(marketer):
    kept = factories.lead(email="kept@example.jp", family_name="山田")
    run(["山田,yamada@example.jp,500万円,,,"])
    merging.merge_people(kept, others=[Lead.objects.get(email="yamada@example.jp")])
    run(["山田,yamada@example.jp,500万円,,,"])
    assert list(kept.answers.values_list("answer", flat=True)) == ["500万円"]


def test_erasing_a_person_erases_their_imported_answers(manager):
    from crm.privacy import erase_person

    run()
    yamada = Lead.objects.get(email="yamada@example.jp")
    erase_person(yamada, by=manager)
    rows = list(yamada.answers.values_list("answer", "asked", "external_id"))
    assert len(rows) == 3
    assert all(answer == "[erased]" and external_id is None for answer, _a, external_id in rows)
    assert not Answer.objects.filter(answer__contains="500万円").exists()
