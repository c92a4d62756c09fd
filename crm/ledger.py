"""The question ledger (hearing sheet): what the customer already told us,
from wherever they told it, so that nobody asks twice.

Answers are only ever added. A later answer to the same question is a newer
entry, the earlier ones stay readable; an answer equal to the latest one is
not added again (the same submit delivered twice, or the customer repeating
themselves), so a duplicate never doubles the ledger.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from crm.models import Answer, Lead

# The most a public form or a file may say in one answer.
ANSWER_MAX_LENGTH = 2000


@dataclass(frozen=True)
class Given:
    """One answer as it arrives: the ledger's question, and for a question a
    form worded itself, that wording."""

    question: str
    answer: str
    asked: str = ""


def question_key(question: str, asked: str) -> tuple[str, str]:
    """Which answers answer the same question: a standard question is one
    however a form worded it; free questions are told apart by their wording."""
    return (question, asked if question == Answer.Question.OTHER else "")


@transaction.atomic(savepoint=False)
def add_answers(
    lead: Lead, given: Sequence[Given], *, source: str, at: datetime | None = None
) -> list[Answer]:
    """Add to the lead's ledger each answer that is not already its latest
    one to that question; returns those added.

    Joins the caller's transaction: a capture calls it after captures of the
    lead take turns (crm.capture), so a duplicate delivery finds the first
    one's answers and adds nothing."""
    wanted = [g for g in given if g.answer.strip()]
    if not wanted:
        return []
    latest: dict[tuple[str, str], str] = {}
    rows = lead.answers.filter(question__in={g.question for g in wanted}).order_by(
        "-recorded_at", "-pk"
    )
    for question, asked, text in rows.values_list("question", "asked", "answer"):
        latest.setdefault(question_key(question, asked), text)
    when = at or timezone.now()
    new = []
    for g in wanted:
        key = question_key(g.question, g.asked)
        if latest.get(key, "").strip() == g.answer.strip():
            continue
        latest[key] = g.answer
        new.append(
            Answer(
                lead=lead,
                question=g.question,
                asked=g.asked,
                answer=g.answer.strip(),
                source=source,
                recorded_at=when,
            )
        )
    return Answer.objects.bulk_create(new)


@dataclass(frozen=True)
class Entry:
    """A question the customer answered: the latest answer, then the earlier ones."""

    question: str
    latest: Answer
    earlier: list[Answer] = field(default_factory=list)


@dataclass(frozen=True)
class Ledger:
    answered: list[Entry]
    # The standard questions nobody has an answer to yet, in the ledger's order.
    to_ask: list[str]

    def __bool__(self) -> bool:
        return bool(self.answered)


def ledger_of(answers: Iterable[Answer]) -> Ledger:
    """A lead's answers (any order) as the rep reads them: the questions
    most recently answered first, each with its latest answer on top; then
    the standard questions still to ask."""
    # Newest first; answers given at the same moment (one form) in the order asked.
    by_id = sorted(answers, key=lambda a: a.pk or 0)
    ordered = sorted(by_id, key=lambda a: a.recorded_at, reverse=True)
    entries: dict[tuple[str, str], list[Answer]] = {}
    for answer in ordered:
        entries.setdefault(question_key(answer.question, answer.asked), []).append(answer)
    answered = [
        Entry(question=group[0].question_text, latest=group[0], earlier=group[1:])
        for group in entries.values()
    ]
    done = {question for question, _asked in entries}
    to_ask = [
        str(label)
        for value, label in Answer.Question.choices
        if value != Answer.Question.OTHER and value not in done
    ]
    return Ledger(answered=answered, to_ask=to_ask)
