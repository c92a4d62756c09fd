from django.db import models
from django.utils.translation import gettext_lazy as _


class Target(models.Model):
    """A manager's target for one KPI in one month."""

    kpi = models.CharField(_("KPI"), max_length=50)
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    value = models.DecimalField(_("target"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        permissions = [("view_dashboard", _("Can view the KPI dashboard"))]
        constraints = [
            models.UniqueConstraint(fields=["kpi", "month"], name="target_one_per_kpi_month")
        ]

    def __str__(self) -> str:
        return f"{self.kpi} {self.month:%Y-%m}: {self.value}"
