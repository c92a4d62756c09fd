"""Questions on a campaign's capture form: each answer lands in the question
ledger, with its source and time, once."""

import json

import pytest
import time_machine
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.models import Answer, FormQuestion, Lead
from tests.crm.test_capture_fuzz import JSON_VALUES, TEXT, form_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def questions(campaign):
    budget = FormQuestion.objects.create(
        campaign=campaign, question="budget", required=True, position=1
    )
    free = FormQuestion.objects.create(
        campaign=campaign,
        question="other",
        label_ja="導入予定の拠点数は？",
        label_en="How many offices will use it?",
        position=2,
    )
    return budget, free


def url(campaign):
    return reverse("capture", args=[campaign.capture_key])


def post_form(client, campaign, language="ja", **answers):
    return client.post(
        url(campaign),
        {"email": "a@example.jp", "family_name": "山田", **answers},
        HTTP_ACCEPT_LANGUAGE=language,
    )


def post_json(client, campaign, body, **headers):
    return client.post(
        url(campaign), data=json.dumps(body), content_type="application/json", **headers
    )


def test_the_hosted_form_asks_the_campaigns_questions_in_order(client, campaign, questions):
    budget, free = questions
    page = client.get(url(campaign), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert f'name="{budget.field_name}"' in page
    assert "導入予定の拠点数は？" in page
    assert page.index(budget.field_name) < page.index(free.field_name)
    english = client.get(url(campaign), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "How many offices will use it?" in english


def test_form_answers_land_in_the_ledger_with_source_and_time(client, campaign, questions):
    budget, free = questions
    with time_machine.travel("2026-11-02 10:00 +09:00", tick=False):
        response = post_form(
            client,
            campaign,
            **{budget.field_name: "500万円", free.field_name: "3拠点"},
        )
    assert response.status_code == 200
    lead = Lead.objects.get()
    answers = {a.question: a for a in lead.answers.all()}
    assert answers["budget"].answer == "500万円"
    assert answers["budget"].asked == ""
    assert answers["other"].asked == "導入予定の拠点数は？"
    assert answers["other"].answer == "3拠点"
    assert {a.source for a in answers.values()} == {Answer.Source.WEB_FORM}
    assert answers["budget"].recorded_at.isoformat() == "2026-11-02T01:00:00+00:00"


def test_the_free_question_is_kept_in_the_language_the_visitor_read(client, campaign, questions):
    _budget, free = questions
    post_form(client, campaign, "en", **{questions[0].field_name: "1M", free.field_name: "3"})
    assert Answer.objects.get(question="other").asked == "How many offices will use it?"


def test_json_answers_flat_or_in_an_object(client, campaign, questions):
    budget, free = questions
    body = {"email": "j@example.jp", "family_name": "Tanaka"}
    assert post_json(client, campaign, {**body, budget.field_name: "1M"}).status_code == 202
    response = post_json(client, campaign, {**body, "answers": {"budget": "2M", free.key: "4"}})
    assert response.status_code == 202
    texts = list(Answer.objects.order_by("pk").values_list("answer", flat=True))
    assert texts == ["1M", "2M", "4"]


def test_a_duplicate_delivery_does_not_double_the_answers(client, campaign, questions):
    budget, free = questions
    answers = {budget.field_name: "500万円", free.field_name: "3拠点"}
    post_form(client, campaign, **answers)
    post_form(client, campaign, **answers)
    assert Answer.objects.count() == 2
    assert Lead.objects.get().activities.count() == 2  # both submits are on the timeline


def test_a_later_answer_is_a_newer_entry_shown_first(client, campaign, questions):
    budget, _free = questions
    with time_machine.travel("2026-11-02 10:00 +09:00"):
        post_form(client, campaign, **{budget.field_name: "500万円"})
    with time_machine.travel("2026-11-09 10:00 +09:00"):
        post_form(client, campaign, **{budget.field_name: "800万円"})
    from crm.ledger import ledger_of

    entries = ledger_of(Lead.objects.get().answers.all()).answered
    assert [e.latest.answer for e in entries] == ["800万円"]
    assert [a.answer for a in entries[0].earlier] == ["500万円"]


def test_a_required_question_left_empty_is_refused(client, campaign, questions):
    response = post_json(client, campaign, {"email": "j@example.jp", "family_name": "Tanaka"})
    assert response.status_code == 400
    assert response.json()["errors"][questions[0].field_name] == ["Please answer this question."]
    assert not Lead.objects.exists()


@pytest.mark.parametrize(
    "extra",
    [
        {"answer_mood": "great"},
        {"answers": {"mood": "great"}},
        {"answers": {"budget": 5}},
        {"answers": ["budget"]},
        {"answer_budget": "x" * 2001},
        {"answer_budget": "\ud800"},
    ],
)
def test_bad_answers_are_refused_with_a_sentence(client, campaign, questions, extra):
    body = {"email": "j@example.jp", "family_name": "Tanaka", "answer_budget": "1M", **extra}
    response = post_json(client, campaign, body)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert all(isinstance(m, str) and m.endswith(".") for ms in errors.values() for m in ms)
    assert not Answer.objects.exists()


def test_an_unknown_question_names_the_forms_questions(client, campaign, questions):
    response = post_json(
        client,
        campaign,
        {"email": "j@example.jp", "family_name": "T", "answer_budget": "1", "answer_mood": "x"},
    )
    message = response.json()["errors"]["__all__"][0]
    assert message == (
        f"This form has no question “mood”. Its questions are: budget, {questions[1].key}."
    )


def test_a_form_post_with_an_unknown_question_shows_the_form_again(client, campaign, questions):
    response = post_form(client, campaign, "en", answer_budget="1", answer_mood="x")
    assert response.status_code == 400
    assert "This form has no question “mood”." in response.content.decode()


def test_a_form_without_questions_refuses_answers(client, campaign):
    response = post_form(client, campaign, answer_budget="1")
    assert response.status_code == 400
    assert Answer.objects.count() == 0


# --- Whatever the answers, never a 5xx (tests/crm/test_capture_fuzz.py's way) -----

ANSWER_NAMES = st.sampled_from(["email", "family_name", "answer_budget", "answer_mood", "answer_"])


@pytest.fixture
def fuzz_post(client, campaign, questions, settings):
    settings.BATON_CAPTURE_PER_IP_PER_MINUTE = 10**9
    settings.BATON_CAPTURE_PER_KEY_PER_MINUTE = 10**9
    names = ANSWER_NAMES | st.just(questions[1].field_name)

    def send(body, content_type):
        return client.generic("POST", url(campaign), body, content_type=content_type).status_code

    return send, names


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_answers_body_gets_a_5xx(fuzz_post, data):
    send, names = fuzz_post
    keys = names | st.text(max_size=10)
    answers = st.dictionaries(keys, JSON_VALUES, max_size=4) | JSON_VALUES
    body = data.draw(
        st.fixed_dictionaries(
            {"email": st.just("f@example.jp"), "family_name": st.just("F")},
            optional={"answers": answers, **dict.fromkeys(["answer_budget", "answer_x"], TEXT)},
        )
    )
    if data.draw(st.booleans()):
        assert send(json.dumps(body), "application/json") < 500, body
    else:
        flat = {k: v for k, v in body.items() if isinstance(v, str)}
        assert send(form_body(flat), "application/x-www-form-urlencoded") < 500, flat
