"""A marketer adds questions to a campaign's capture form: from the ledger's
list or free ones, ordered, required or not; the campaign page lists them and
its snippet asks them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crm.models import FormQuestion

pytestmark = pytest.mark.django_db


def page(campaign):
    return reverse("crm:campaign_questions", args=[campaign.pk])


def rows(*questions, existing=0):
    """The formset's fields for `questions` (dicts of a row's fields)."""
    data = {
        "questions-TOTAL_FORMS": str(len(questions)),
        "questions-INITIAL_FORMS": str(existing),
        "questions-MIN_NUM_FORMS": "0",
        "questions-MAX_NUM_FORMS": "30",
    }
    for index, fields in enumerate(questions):
        for name, value in fields.items():
            data[f"questions-{index}-{name}"] = value
    return data


def save(client, campaign, *questions, language="en", existing=0):
    return client.post(
        page(campaign), rows(*questions, existing=existing), HTTP_ACCEPT_LANGUAGE=language
    )


def test_marketer_adds_a_standard_and_a_free_question(client_as, marketer, campaign):
    response = save(
        client_as(marketer),
        campaign,
        {"question": "budget", "required": "on", "position": "1"},
        {
            "question": "other",
            "label_ja": "拠点数は？",
            "label_en": "How many offices?",
            "position": "2",
        },
    )
    assert response.status_code == 302
    budget, free = campaign.form_questions.all()
    assert (budget.question, budget.required, free.question) == ("budget", True, "other")
    assert (free.label_ja, free.label_en, free.required) == (
        "拠点数は？",
        "How many offices?",
        False,
    )


def test_empty_extra_rows_are_ignored(client_as, marketer, campaign):
    response = save(client_as(marketer), campaign, {"question": "need"}, {"question": ""})
    assert response.status_code == 302
    assert campaign.form_questions.count() == 1


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("en", "Write the wording of a free question, in Japanese or English."),
        ("ja", "自由質問の文言を日本語か英語で入力してください。"),
    ],
)
def test_a_free_question_needs_its_wording(client_as, marketer, campaign, language, sentence):
    response = save(client_as(marketer), campaign, {"question": "other"}, language=language)
    assert response.status_code == 200
    assert sentence in response.content.decode()
    assert not FormQuestion.objects.exists()


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("en", "The form already asks “Budget”."),
        ("ja", "このフォームはすでに「予算」を質問しています。"),
    ],
)
def test_a_standard_question_is_asked_once(client_as, marketer, campaign, language, sentence):
    response = save(
        client_as(marketer), campaign, {"question": "budget"}, {"question": "budget"},
        language=language,
    )  # fmt: skip
    html = response.content.decode()
    assert response.status_code == 200 and sentence in html
    assert "form_question_once_per_form" not in html


def test_an_absurd_order_is_a_sentence(client_as, marketer, campaign):
    response = save(client_as(marketer), campaign, {"question": "need", "position": "100000"})
    assert response.status_code == 200
    assert "The order is a number from 0 to 999." in response.content.decode()


def test_questions_are_reordered_and_removed(client_as, marketer, campaign):
    need = FormQuestion.objects.create(campaign=campaign, question="need", position=1)
    budget = FormQuestion.objects.create(campaign=campaign, question="budget", position=2)
    response = save(
        client_as(marketer),
        campaign,
        {"id": str(need.pk), "question": "need", "position": "5", "DELETE": "on"},
        {"id": str(budget.pk), "question": "budget", "position": "1"},
        existing=2,
    )
    assert response.status_code == 302
    assert list(campaign.form_questions.values_list("question", flat=True)) == ["budget"]


def test_the_campaign_page_lists_the_questions_and_the_snippet_asks_them(
    client_as, marketer, campaign
):
    FormQuestion.objects.create(campaign=campaign, question="budget", required=True, position=1)
    free = FormQuestion.objects.create(
        campaign=campaign, question="other", label_ja="拠点数は？", label_en="How many?", position=2
    )
    html = client_as(marketer).get(campaign.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
    text = html.content.decode()
    assert 'data-testid="form-questions"' in text
    assert "How many?" in text
    assert "&lt;textarea name=&quot;answer_budget&quot;" in text or (
        '&lt;textarea name="answer_budget" maxlength="2000" required&gt;' in text
    )
    assert f'name="{free.field_name}"' in text.replace("&quot;", '"') or (
        f'&lt;textarea name="{free.field_name}"' in text
    )


def test_another_campaigns_questions_are_not_found(client_as, marketer):
    response = client_as(marketer).get(reverse("crm:campaign_questions", args=[999999]))
    assert response.status_code == 404
