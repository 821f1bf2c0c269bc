"""Analytics snapshots: one row per recompute, one score per customer who ever bought.

The numbers come from the pure library :mod:`mehvar.analytics`; this app only stores what it
returned so that pages read a table instead of fitting models. ``CustomerScore`` always holds the
latest successful run (the service replaces every row in one transaction), so a page never mixes
two runs.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from mehvar.insights.schemas import RunResults

# A recompute of a million customers takes minutes; a run still "running" after this is one whose
# worker stopped: it no longer blocks the next run (the service marks it abandoned).
STALE_AFTER: Final = timedelta(hours=2)


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class RunTrigger(models.TextChoices):
    SCHEDULE = "schedule", _("Nightly schedule")
    MANUAL = "manual", _("Requested by hand")
    DEMO = "demo", _("Demo setup")


def _segment_label(code: str) -> str:
    # The labels live with the segment map in the library, in both languages; imported on
    # first use so that loading the models does not load the table engine.
    from mehvar.insights.segments import segment_text

    return segment_text(code, "label")


class Segment(models.TextChoices):
    """The RFM segments of :data:`mehvar.analytics.rfm.SEGMENTS` (a test checks the codes).

    Labels are the library's, in the viewer's language (Persian or English) when shown.
    """

    CHAMPIONS = "champions", lazy(_segment_label, str)("champions")
    LOYAL = "loyal", lazy(_segment_label, str)("loyal")
    POTENTIAL_LOYALIST = "potential_loyalist", lazy(_segment_label, str)("potential_loyalist")
    NEW = "new", lazy(_segment_label, str)("new")
    PROMISING = "promising", lazy(_segment_label, str)("promising")
    NEED_ATTENTION = "need_attention", lazy(_segment_label, str)("need_attention")
    ABOUT_TO_SLEEP = "about_to_sleep", lazy(_segment_label, str)("about_to_sleep")
    AT_RISK = "at_risk", lazy(_segment_label, str)("at_risk")
    CANT_LOSE = "cant_lose", lazy(_segment_label, str)("cant_lose")
    HIBERNATING = "hibernating", lazy(_segment_label, str)("hibernating")
    LOST = "lost", lazy(_segment_label, str)("lost")


class ChurnRisk(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class AnalyticsRun(models.Model):
    """One recompute of the whole customer base, with the run-level results as JSON.

    At most one run is ``running`` at a time (a partial unique constraint): a second recompute
    started meanwhile is refused by the database itself, on SQLite and PostgreSQL alike.
    """

    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    trigger = models.CharField(_("trigger"), max_length=10, choices=RunTrigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    observation_end = models.DateField(_("observation end"), null=True, blank=True)
    n_purchases = models.PositiveIntegerField(_("orders read"), default=0)
    n_customers = models.PositiveIntegerField(_("customers scored"), default=0)
    # The model could not be fitted (too few repeat buyers …): the run still succeeds, CLV and
    # P(alive) stay empty, and this says why (an English msgid, translated on the page).
    fit_error = models.TextField(_("model fit problem"), blank=True)
    # Why the run failed (an unexpected error), for the people who run the server.
    error = models.TextField(_("error"), blank=True)
    # Everything the dashboard draws, validated by ``schemas.RunResults``.
    results = models.JSONField(_("results"), default=dict, blank=True)

    class Meta:
        verbose_name = _("analytics run")
        verbose_name_plural = _("analytics runs")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["status", "-started_at"], name="analytics_run_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status="running"),
                name="analytics_one_running_run",
            )
        ]

    def __str__(self) -> str:
        return f"{self.pk}: {self.status} ({self.trigger})"

    @property
    def parsed_results(self) -> RunResults:
        # Lenient: a run stored by another version must still show what it can.
        return RunResults.from_stored(self.results)

    def set_results(self, results: RunResults) -> None:
        self.results = results.model_dump(mode="json")

    @property
    def is_live(self) -> bool:
        """Running, and recently enough that its worker is presumably still at it."""
        return self.status == RunStatus.RUNNING and self.started_at >= timezone.now() - STALE_AFTER

    @property
    def seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class CustomerScore(models.Model):
    """One customer's figures in the latest successful run (customers who never bought have none).

    Amounts are integer Rials like ``Order.total``; CLV, P(alive) and expected purchases are
    empty when the run could not fit its model.
    """

    customer = models.OneToOneField(
        "customers.Customer",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="score",
        verbose_name=_("customer"),
    )
    run = models.ForeignKey(AnalyticsRun, on_delete=models.CASCADE, related_name="scores")
    segment = models.CharField(_("segment"), max_length=24, choices=Segment.choices)
    r_score = models.PositiveSmallIntegerField(_("recency score"))
    f_score = models.PositiveSmallIntegerField(_("frequency score"))
    m_score = models.PositiveSmallIntegerField(_("monetary score"))
    frequency = models.PositiveIntegerField(_("repeat purchases"))
    recency = models.FloatField(_("recency (weeks)"))
    T = models.FloatField(_("age (weeks)"), db_column="t")  # the BG/NBD "T"
    monetary_value = models.FloatField(_("average repeat purchase (Rial)"))
    total_revenue = models.BigIntegerField(_("revenue (Rial)"))
    clv = models.BigIntegerField(_("customer lifetime value (Rial)"), null=True, blank=True)
    p_alive = models.FloatField(_("probability still active"), null=True, blank=True)
    expected_purchases = models.FloatField(_("expected purchases"), null=True, blank=True)
    # Empty when the library could not say (no model and no rule to fall back on).
    churn_risk = models.CharField(
        _("churn risk"), max_length=6, choices=ChurnRisk.choices, blank=True
    )
    revenue_rank = models.PositiveIntegerField(_("revenue rank"))
    revenue_percentile = models.FloatField(_("revenue percentile"))
    is_top = models.BooleanField(_("top 20% by revenue"), default=False)
    first_purchase = models.DateField(_("first purchase"))
    last_purchase = models.DateField(_("last purchase"))
    days_since_last = models.PositiveIntegerField(_("days since last purchase"))
    computed_at = models.DateTimeField(_("computed"))

    class Meta:
        verbose_name = _("customer score")
        verbose_name_plural = _("customer scores")
        # What the customer list filters and sorts by.
        indexes = [
            models.Index(fields=["segment", "revenue_rank"], name="score_segment"),
            models.Index(fields=["churn_risk", "revenue_rank"], name="score_churn_risk"),
            models.Index(fields=["is_top", "revenue_rank"], name="score_top"),
            models.Index(fields=["revenue_rank"], name="score_revenue_rank"),
            models.Index(fields=["-clv"], name="score_clv"),
            models.Index(fields=["-p_alive"], name="score_p_alive"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.segment}"
