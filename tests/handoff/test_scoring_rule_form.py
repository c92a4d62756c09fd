"""The scoring-rule form keeps only the fields of the chosen condition."""

import pytest

from handoff.forms_scoring import ScoringRuleForm, fields_by_condition

pytestmark = pytest.mark.django_db


def test_each_condition_names_its_own_fields():
    shown = fields_by_condition()
    assert shown["title_contains"] == ["value"]
    assert shown["free_mail"] == []
    assert shown["activity"] == ["kind", "campaign", "url_contains", "cap", "half_life_days"]


def test_fields_of_another_condition_are_not_saved_unseen():
    form = ScoringRuleForm(
        {
            "name_en": "Managers",
            "dimension": "fit",
            "condition": "title_contains",
            "value": "部長",
            # Typed while "Activity of a kind" was chosen, hidden since.
            "kind": "webinar",
            "url_contains": "/pricing",
            "cap": "40",
            "half_life_days": "30",
            "points": "20",
            "is_active": "on",
        }
    )
    assert form.is_valid(), form.errors
    rule = form.save()
    assert (rule.value, rule.kind, rule.url_contains, rule.cap, rule.half_life_days) == (
        "部長",
        "",
        "",
        None,
        None,
    )


def test_a_zero_half_life_is_refused_in_words_not_by_constraint_name():
    form = ScoringRuleForm(
        {
            "name_en": "Webinar",
            "dimension": "engagement",
            "condition": "activity",
            "kind": "webinar",
            "points": "20",
            "half_life_days": "0",
        }
    )
    assert not form.is_valid()
    messages = " ".join(str(e) for errors in form.errors.values() for e in errors)
    assert "scoringrule_half_life_positive" not in messages
    assert form.errors["half_life_days"] == [
        "A half-life is at least one day; leave it empty for no decay."
    ]
