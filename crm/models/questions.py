"""The questions a campaign's capture form asks, feeding the question ledger."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.models.activity import Answer
from crm.models.campaign import Campaign

# The field names a capture form gives its questions: answer_<key>.
ANSWER_PREFIX = "answer_"
FREE_KEY_PREFIX = "free"


class FormQuestion(models.Model):
    """One question of a campaign's capture form: one of the ledger's
    questions, or a free one ("other") worded by the marketer."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="form_questions")
    question = models.CharField(_("question"), max_length=20, choices=Answer.Question.choices)
    # The wording shown to visitors in each language. A free question needs
    # one of them; a standard one may be reworded (empty: the ledger's name).
    label_ja = models.CharField(_("wording in Japanese"), max_length=300, blank=True)
    label_en = models.CharField(_("wording in English"), max_length=300, blank=True)
    required = models.BooleanField(_("required"), default=False)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("form question")
        verbose_name_plural = _("form questions")
        constraints = [
            # A standard question is asked once per form; free ones any number of times.
            models.UniqueConstraint(
                fields=["campaign", "question"],
                condition=~Q(question="other"),
                name="form_question_once_per_form",
                violation_error_message=_("This form already asks that question."),
            ),
            models.CheckConstraint(
                condition=~Q(question="other") | ~Q(label_ja="") | ~Q(label_en=""),
                name="form_question_free_is_worded",
                violation_error_message=_("Write the wording of a free question."),
            ),
        ]

    def __str__(self) -> str:
        return self.label()

    @property
    def is_free(self) -> bool:
        return self.question == Answer.Question.OTHER

    @property
    def key(self) -> str:
        """Its name in a submit (answer_<key>): the ledger's code, or free<id>."""
        return f"{FREE_KEY_PREFIX}{self.pk}" if self.is_free else self.question

    @property
    def field_name(self) -> str:
        return f"{ANSWER_PREFIX}{self.key}"

    def wording(self, language: str) -> str:
        """The marketer's wording in `language` (ja or en), else in the other
        one; "" when there is none."""
        first, second = (
            (self.label_ja, self.label_en)
            if (language or "").startswith("ja")
            else (self.label_en, self.label_ja)
        )
        return first or second

    def label(self, language: str = "") -> str:
        """What the visitor reads: the wording, else the ledger's name."""
        from django.utils import translation

        return self.wording(language or translation.get_language() or "") or str(
            self.get_question_display()
        )
