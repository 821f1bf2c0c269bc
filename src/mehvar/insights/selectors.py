"""Reads of analytics snapshots: the latest run, one customer's score, the dashboard's figures.

Chart labels (Jalali months, amounts) are formatted here, in the viewer's language, so the
browser script only draws: it never formats a date or guesses a calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Final

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mehvar.analytics.transactions import RULES as CLEANING_RULES
from mehvar.core.jalali import JALALI_MONTHS_FA, format_jalali, to_jalali
from mehvar.core.labels import is_persian, month_label
from mehvar.core.persian import to_persian_digits
from mehvar.insights.models import STALE_AFTER, AnalyticsRun, CustomerScore, RunStatus, Segment
from mehvar.insights.schemas import ChurnPoint, HistogramBin, HoldoutCheck, RunResults
from mehvar.insights.segments import segment_text

# A nightly run is due every 24 hours; one older than this is worth refreshing on start-up.
FRESH_FOR: Final = timedelta(hours=20)


_persian = is_persian


def _digits(text: str) -> str:
    return to_persian_digits(text) if _persian() else text


# --- Runs and scores -----------------------------------------------------------------------


def latest_run() -> AnalyticsRun | None:
    """The newest run, whatever its status (the dashboard shows a running or failed one)."""
    return AnalyticsRun.objects.defer("results").order_by("-started_at", "-id").first()


def latest_successful_run() -> AnalyticsRun | None:
    return (
        AnalyticsRun.objects.filter(status=RunStatus.SUCCEEDED)
        .order_by("-started_at", "-id")
        .first()
    )


def running_run() -> AnalyticsRun | None:
    """The run going on now, if any (one whose worker died long ago does not count)."""
    return (
        AnalyticsRun.objects.defer("results")
        .filter(status=RunStatus.RUNNING, started_at__gte=timezone.now() - STALE_AFTER)
        .first()
    )


def snapshot_is_fresh(*, max_age: timedelta = FRESH_FOR) -> bool:
    """True when a run succeeded within ``max_age`` (``analytics_refresh --if-stale`` skips)."""
    since = timezone.now() - max_age
    return AnalyticsRun.objects.filter(
        Q(status=RunStatus.SUCCEEDED) & Q(finished_at__gte=since)
    ).exists()


def customer_score(*, customer_id: int) -> CustomerScore | None:
    return CustomerScore.objects.filter(customer_id=customer_id).first()


# --- Labels --------------------------------------------------------------------------------


def _unit_rials() -> int:
    return 10 if settings.MEHVAR_CURRENCY_UNIT == "toman" else 1


def _scaled(value: float, size: float) -> str:
    number = f"{value / size:.1f}".removesuffix(".0")
    return to_persian_digits(number.replace(".", "٫")) if _persian() else number


def compact_range(low_rials: float, high_rials: float) -> str:
    """A histogram bin for a chart label, in the page's unit: "۱–۲ میلیون" / "1–2 M"."""
    low, high = low_rials / _unit_rials(), high_rials / _unit_rials()
    biggest = max(abs(low), abs(high))
    scales = ((1e9, _("%(n)s B")), (1e6, _("%(n)s M")), (1e3, _("%(n)s K")), (1.0, "%(n)s"))
    size, template = next((scale for scale in scales if biggest >= scale[0]), scales[-1])
    return template % {"n": f"{_scaled(low, size)}–{_scaled(high, size)}"}


# --- The dashboard -------------------------------------------------------------------------


@dataclass(frozen=True)
class SegmentLine:
    code: str
    label: str
    rule: str
    action: str
    customers: int
    customer_share: float
    revenue: int
    revenue_share: float


@dataclass(frozen=True)
class HeatCell:
    value: int
    text: str
    alpha: float  # 0..1, the cell's colour intensity
    title: str
    segment: str = ""


@dataclass(frozen=True)
class FrequencyLine:
    """One group of the holdout check, every figure already text in the page's digits."""

    label: str  # repeat purchases in calibration: "۰" … "۷+"
    customers: str
    predicted: str
    actual: str


@dataclass(frozen=True)
class HoldoutView:
    """The "how far to trust the model" card: one sentence, the error, the table of groups."""

    sentence: str
    mae: str
    customers: str
    caption: str  # what the chart shows, for its canvas and its table
    rows: list[FrequencyLine]


@dataclass(frozen=True)
class Dashboard:
    run: AnalyticsRun
    results: RunResults
    segments: list[SegmentLine]
    rfm_rows: list[tuple[int, list[HeatCell]]]  # recency score (5 = most recent) → cells by F
    cohort_rows: list[tuple[str, int, list[HeatCell | None]]]  # label, size, retention cells
    cohort_month_numbers: list[int]
    churn_last: ChurnPoint | None
    churn_last_label: str
    charts: dict[str, Any]
    cleaning_lines: list[str]
    # Why the purchase model could not be fitted, in the viewer's language when the run kept
    # the library's msgid (older runs have only the English sentence: ``translated`` is False).
    fit_problem: str = ""
    fit_problem_translated: bool = False
    holdout: HoldoutView | None = None
    holdout_note: str = ""  # why there is no holdout check, when there is none


def _segments(results: RunResults) -> list[SegmentLine]:
    counts = {row.code: row for row in results.segments}
    total_customers = sum(row.customers for row in results.segments) or 1
    total_revenue = sum(row.revenue for row in results.segments) or 1
    lines = []
    for segment in Segment:
        row = counts.get(segment.value)
        customers = row.customers if row else 0
        revenue = row.revenue if row else 0
        lines.append(
            SegmentLine(
                code=segment.value,
                label=str(segment.label),
                rule=segment_text(segment.value, "rule"),
                action=segment_text(segment.value, "action"),
                customers=customers,
                customer_share=customers / total_customers,
                revenue=revenue,
                revenue_share=revenue / total_revenue,
            )
        )
    return lines


def _rfm_rows(results: RunResults) -> list[tuple[int, list[HeatCell]]]:
    """The grid from R = 5 (bought most recently) down, FM = 1 → 5 across."""
    cells = {(cell.r, cell.fm): cell for cell in results.rfm_grid}
    biggest = max((cell.customers for cell in results.rfm_grid), default=0) or 1
    rows = []
    for r in range(5, 0, -1):
        row = []
        for fm in range(1, 6):
            cell = cells.get((r, fm))
            n = cell.customers if cell else 0
            segment = segment_text(cell.segment, "label") if cell else ""
            row.append(
                HeatCell(
                    value=n,
                    text=_digits(str(n)),
                    alpha=round(n / biggest, 3),
                    title=_("R %(r)s, FM %(fm)s (%(segment)s): %(n)s customers")
                    % {
                        "r": _digits(str(r)),
                        "fm": _digits(str(fm)),
                        "segment": segment,
                        "n": _digits(str(n)),
                    },
                    segment=cell.segment if cell else "",
                )
            )
        rows.append((r, row))
    return rows


def _percent_text(share: float) -> str:
    text = f"{100 * share:.0f}"
    return _digits(text) + ("٪" if _persian() else "%")


def _cohort_rows(
    results: RunResults, *, limit: int = 12
) -> tuple[list[tuple[str, int, list[HeatCell | None]]], int]:
    cohorts = results.cohorts[-limit:]
    periods = max((len(row.retention) for row in cohorts), default=0)
    periods = min(periods, limit)
    rows: list[tuple[str, int, list[HeatCell | None]]] = []
    for row in cohorts:
        cells: list[HeatCell | None] = []
        for k in range(periods):
            share = row.retention[k] if k < len(row.retention) else None
            if share is None:
                cells.append(None)
                continue
            cells.append(
                HeatCell(
                    value=round(100 * share),
                    text=_percent_text(share),
                    alpha=round(min(1.0, share / 0.6), 3) if k else 1.0,
                    title=_("%(share)s of the cohort bought in month %(k)s")
                    % {"share": _percent_text(share), "k": _digits(str(k))},
                )
            )
        rows.append((month_label(row.start), row.size, cells))
    return rows, periods


def _grouped(value: int) -> str:
    """A whole number with thousands separators in the page's digits: "۱٬۲۳۴" / "1,234"."""
    text = f"{value:,}"
    return to_persian_digits(text.replace(",", "٬")) if _persian() else text


def _fraction(value: float, places: int) -> str:
    text = f"{value:.{places}f}"
    return to_persian_digits(text.replace(".", "٫")) if _persian() else text


def _weeks(periods: float) -> str:
    """13.0 weeks → "13" (the holdout is 91 days); a fractional length keeps one decimal."""
    if abs(periods - round(periods)) < 0.05:
        return _digits(str(round(periods)))
    return _fraction(periods, 1)


def _long_day(day: date) -> str:
    """A date inside a sentence: "۲۹ اسفند ۱۴۰۲" on Persian pages (reads better than ۱۴۰۲/۱۲/۲۹).

    English pages show ISO dates, as the rest of the dashboard does.
    """
    if not _persian():
        return day.isoformat()
    year, month, day_of_month = to_jalali(day)
    month_name = JALALI_MONTHS_FA[month - 1]
    return f"{to_persian_digits(day_of_month)} {month_name} {to_persian_digits(year)}"


def _frequency_label(code: str) -> str:
    """The holdout group "0" … "7+": "7+" would read as "+7" on a right-to-left page."""
    if code.endswith("+"):
        # Translators: the group of customers with this many repeat purchases or more ("7+").
        return _("%(n)s+") % {"n": _digits(code[:-1])}
    return _digits(code)


def _holdout_sentence(check: HoldoutCheck) -> str:
    values = {
        "day": _long_day(check.calibration_end),
        "predicted": _grouped(round(check.predicted_total)),
        "weeks": _weeks(check.holdout_periods),
        "actual": _grouped(check.actual_total),
    }
    error = check.total_error_pct
    if error is None:
        return (
            _(
                "Fitted on purchases up to %(day)s, the model expected %(predicted)s repeat "
                "purchases in the following %(weeks)s weeks; customers made none."
            )
            % values
        )
    values["error"] = _fraction(abs(error), 1) + ("٪" if _persian() else "%")
    if error >= 0:
        template = _(
            "Fitted on purchases up to %(day)s, the model expected %(predicted)s repeat "
            "purchases in the following %(weeks)s weeks; customers made %(actual)s (error "
            "%(error)s, too high)."
        )
    else:
        template = _(
            "Fitted on purchases up to %(day)s, the model expected %(predicted)s repeat "
            "purchases in the following %(weeks)s weeks; customers made %(actual)s (error "
            "%(error)s, too low)."
        )
    return template % values


def _holdout(results: RunResults) -> HoldoutView | None:
    check = results.holdout
    if check is None:
        return None
    weeks = _weeks(check.holdout_periods)
    return HoldoutView(
        sentence=_holdout_sentence(check),
        mae=_fraction(check.mae, 2),
        customers=_grouped(check.customers),
        caption=_(
            "Average purchases per customer in the %(weeks)s weeks after %(day)s, predicted and "
            "actual, for customers grouped by how many times they had bought again before."
        )
        % {"weeks": weeks, "day": _long_day(check.calibration_end)},
        rows=[
            FrequencyLine(
                label=_frequency_label(row.frequency),
                customers=_grouped(row.customers),
                predicted=_fraction(row.mean_predicted, 2),
                actual=_fraction(row.mean_actual, 2),
            )
            for row in check.by_frequency
        ],
    )


def _holdout_note(run: AnalyticsRun, results: RunResults) -> str:
    """Why the run has no holdout check (empty when it has one)."""
    if results.holdout is not None:
        return ""
    days = results.options.get("holdout_days")
    held = days if isinstance(days, int) else 91
    if results.holdout_missing == "short_history":
        first = _stored_day(results.cleaning.get("first_date"))
        covered = (
            (run.observation_end - first).days
            if first is not None and run.observation_end is not None
            else 0
        )
        return _(
            "Not checked yet: the check holds back the last %(held)s days, so it needs at least "
            "%(needed)s days of purchases; these data cover %(covered)s days."
        ) % {
            "held": _digits(str(held)),
            "needed": _digits(str(2 * held)),
            "covered": _digits(str(max(covered, 0))),
        }
    if results.holdout_missing == "no_fit":
        if results.bgnbd is None:
            return _("Not checked: the purchase model could not be fitted to these data.")
        return _(
            "Not checked: the purchase model could not be fitted to the purchases before the "
            "last %(held)s days."
        ) % {"held": _digits(str(held))}
    return _("This run did not check the model; the next recompute will.")


def _fit_problem(run: AnalyticsRun, results: RunResults) -> tuple[str, bool]:
    """The fit problem in the viewer's language, or the stored English sentence (old runs)."""
    template = results.fit_error_template
    if template:
        try:
            text = _(template) % results.fit_error_params
        except (KeyError, TypeError, ValueError):
            text = ""
        if text:
            return _digits(text), True
    return run.fit_error, False


def _histogram_labels(bins: list[HistogramBin]) -> list[str]:
    return [compact_range(b.low, b.high) for b in bins]


def _charts(results: RunResults) -> dict[str, Any]:
    """The data ``insights.js`` draws, with every label already in the viewer's language."""
    unit = _("Toman") if settings.MEHVAR_CURRENCY_UNIT == "toman" else _("Rial")
    pareto = results.pareto
    churn = [point for point in results.churn if point.rate is not None]
    # Nobody can be lost before the first customers have been quiet for the inactivity window:
    # those first months show 0 % because churn is not measurable yet, so the trend starts
    # with the first month that lost anyone.
    first_loss = next((i for i, point in enumerate(churn) if point.churned), len(churn))
    churn = churn[first_loss:]
    return {
        "lang": "fa" if _persian() else "en",
        "pareto": {
            "points": [[round(100 * x, 2), round(100 * y, 2)] for x, y in pareto.curve]
            if pareto
            else [],
            "label": _("Share of revenue"),
            "equality": _("Equal shares"),
            "x_title": _("Share of customers, biggest first (%)"),
            "y_title": _("Share of revenue (%)"),
        },
        "clv": {
            "labels": _histogram_labels(results.clv_histogram),
            "counts": [b.customers for b in results.clv_histogram],
            "label": _("Customers"),
            "x_title": _("Predicted value in the next year (%(unit)s)") % {"unit": unit},
            "y_title": _("Customers"),
        },
        "churn": {
            "labels": [month_label(point.start) for point in churn],
            "rates": [round(100 * (point.rate or 0.0), 2) for point in churn],
            "active": [point.active for point in churn],
            "label": _("Churn rate (%)"),
            "x_title": _("Month"),
            "y_title": _("Customers lost in the month (%)"),
        },
        "holdout": _holdout_chart(results.holdout),
    }


def _holdout_chart(check: HoldoutCheck | None) -> dict[str, Any]:
    rows = check.by_frequency if check else []
    weeks = _weeks(check.holdout_periods) if check else ""
    return {
        "labels": [_frequency_label(row.frequency) for row in rows],
        "predicted": [round(row.mean_predicted, 3) for row in rows],
        "actual": [round(row.mean_actual, 3) for row in rows],
        "customers": [row.customers for row in rows],
        "predicted_label": _("Expected by the model"),
        "actual_label": _("Actual"),
        "x_title": _("Repeat purchases before the check"),
        "y_title": _("Purchases per customer in %(weeks)s weeks") % {"weeks": weeks},
    }


def _cleaning_lines(results: RunResults) -> list[str]:
    """What was read and what cleaning did, in the viewer's language.

    The rule descriptions are the library's msgids (``gettext_noop`` there, so they are in our
    catalogue); the counts are customer-days, since each customer's orders of a day are summed
    before the library sees them.
    """
    cleaning = results.cleaning
    if not cleaning:
        return []

    def number(key: str) -> str:
        value = cleaning.get(key)
        return _digits(str(value if isinstance(value, int) else 0))

    lines = [
        _("%(orders)s sold orders read: %(days)s purchase days of %(customers)s customers.")
        % {
            "orders": number("orders"),
            "days": number("customer_days"),
            "customers": number("customers"),
        }
    ]
    first, last = _stored_day(cleaning.get("first_date")), _stored_day(cleaning.get("last_date"))
    if first is not None and last is not None:
        lines.append(_("From %(first)s to %(last)s.") % {"first": _day(first), "last": _day(last)})
    templates = {
        "dropped": _("Dropped %(n)s %(what)s."),
        "changed": _("Changed %(n)s %(what)s."),
        "kept": _("Kept %(n)s %(what)s."),
        "excluded": _("Left out %(n)s %(what)s."),
    }
    for code, (action, description) in CLEANING_RULES.items():
        rows = cleaning.get(code)
        if isinstance(rows, int) and rows > 0:
            template = templates.get(action, templates["excluded"])
            lines.append(template % {"n": _digits(str(rows)), "what": _(description)})
    return lines


def _stored_day(value: Any) -> date | None:
    """An ISO day of the stored cleaning report; None when missing or of another shape."""
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _day(day: date) -> str:
    return format_jalali(day, persian_digits=True) if _persian() else day.isoformat()


def dashboard(run: AnalyticsRun) -> Dashboard:
    results = run.parsed_results
    cohort_rows, cohort_periods = _cohort_rows(results)
    last = results.churn_last_complete
    fit_problem, translated = _fit_problem(run, results)
    return Dashboard(
        run=run,
        results=results,
        segments=_segments(results),
        rfm_rows=_rfm_rows(results),
        cohort_rows=cohort_rows,
        cohort_month_numbers=list(range(cohort_periods)),
        churn_last=last,
        churn_last_label=month_label(last.start) if last else "",
        charts=_charts(results),
        cleaning_lines=_cleaning_lines(results),
        fit_problem=fit_problem,
        fit_problem_translated=translated,
        holdout=_holdout(results),
        holdout_note=_holdout_note(run, results),
    )
