"""The feedback dashboard as the page shows it: every figure of :mod:`feedback.selectors` as text.

Figures leave here in the page's language and digits (Jalali month labels included), so the
template only places them and ``feedback-dashboard.js`` only draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mehvar.analytics.kano import KanoCategory
from mehvar.analytics.nps import Metric, ScoreResult
from mehvar.core.labels import is_persian, month_label
from mehvar.core.persian import to_persian_digits
from mehvar.feedback.models import Sentiment
from mehvar.feedback.selectors import (
    BREAKDOWNS,
    KANO_QUADRANTS,
    METRICS,
    ClosedLoop,
    DashboardFilters,
    KanoFeature,
    SentimentMonth,
    closed_loop,
    kano_results,
    month_start,
    score_breakdown,
    score_summary,
    score_trends,
    sentiment_over_time,
    top_topics,
)

_persian = is_persian


def _digits(text: str) -> str:
    return to_persian_digits(text) if _persian() else text


def _signed(number: str) -> str:
    """A negative number kept whole on a right-to-left page: "−۱۲" must not read "۱۲−"."""
    if number.startswith("-"):
        return "\u2066\u2212" + number[1:] + "\u2069"
    return number


def _decimal(value: float, places: int) -> str:
    text = f"{value:.{places}f}"
    if float(text) == 0:
        text = text.lstrip("-")  # no "−0"
    if _persian():
        text = text.replace(".", "٫")
    return _signed(_digits(text))


def _percent(value: float, places: int = 0) -> str:
    """A percentage (0–100) as "۷۳٪" / "73%"."""
    return _decimal(value, places) + ("٪" if _persian() else "%")


def _share(value: float | None, places: int = 0) -> str:
    return "—" if value is None else _percent(100 * value, places)


def _hours_text(value: float | None) -> str:
    if value is None:
        return "—"
    return _("%(n)s h") % {"n": _decimal(value, 1)}


def _score_text(metric: Metric, value: float | None) -> str:
    if value is None:
        return "—"
    if metric == "nps":
        return _decimal(value, 0)
    if metric == "csat":
        return _percent(value)
    return _decimal(value, 1)


METRIC_TITLES: Final[dict[str, str]] = {"nps": "NPS", "csat": "CSAT", "ces": "CES"}


def month_text(key: str) -> str:
    """A Jalali month key as the page shows it: "اردیبهشت ۱۴۰۳" / "Ordibehesht 1403"."""
    return month_label(month_start(key))


@dataclass(frozen=True)
class ScoreText:
    """One score with its interval in words, ready for a card or a table cell."""

    metric: str
    title: str
    value: str  # "۳۲", "۷۳٪", "۴٫۲" or "—"
    interval: str  # "۲۱ تا ۴۳" / "21 to 43", empty without one
    n: int
    n_text: str
    sentence: str  # "NPS ۳۲ (۹۵٪: ۲۱ تا ۴۳) از ۱۲۰ پاسخ"
    parts: str  # promoters/passives/detractors, satisfied, or the scale


def score_text(result: ScoreResult) -> ScoreText:
    metric = result.metric
    title = METRIC_TITLES[metric]
    value = _score_text(metric, result.value)
    interval = ""
    if result.ci_low is not None and result.ci_high is not None:
        interval = _("%(low)s to %(high)s") % {
            "low": _score_text(metric, result.ci_low),
            "high": _score_text(metric, result.ci_high),
        }
    n_text = _digits(f"{result.n:,}".replace(",", "٬" if _persian() else ","))
    if result.n == 0:
        sentence = _("%(metric)s: no answers yet") % {"metric": title}
    elif interval:
        sentence = ngettext(
            "%(metric)s %(value)s (%(level)s: %(interval)s) from %(n)s answer",
            "%(metric)s %(value)s (%(level)s: %(interval)s) from %(n)s answers",
            result.n,
        ) % {
            "metric": title,
            "value": value,
            "level": _percent(95),
            "interval": interval,
            "n": n_text,
        }
    else:
        sentence = ngettext(
            "%(metric)s %(value)s from %(n)s answer",
            "%(metric)s %(value)s from %(n)s answers",
            result.n,
        ) % {"metric": title, "value": value, "n": n_text}
    if metric == "nps":
        parts = _(
            "Promoters (9 or 10): %(promoters)s · passives: %(passives)s · detractors "
            "(6 or less): %(detractors)s"
        ) % {
            "promoters": _digits(str(result.promoters or 0)),
            "passives": _digits(str(result.passives or 0)),
            "detractors": _digits(str(result.detractors or 0)),
        }
        # The "(9 or 10)" and "(6 or less)" figures are in the msgid; digits follow the page.
        parts = _digits(parts)
    elif metric == "csat":
        parts = _digits(
            _("Satisfied (4 or 5 of 5): %(satisfied)s of %(n)s")
            % {"satisfied": result.satisfied or 0, "n": result.n}
        )
    else:
        parts = _digits(_("Average effort on a scale of 1 to 7"))
    return ScoreText(
        metric=metric,
        title=title,
        value=value,
        interval=interval,
        n=result.n,
        n_text=n_text,
        sentence=sentence,
        parts=parts,
    )


@dataclass(frozen=True)
class BreakdownTable:
    by: str
    title: str
    column: str  # the heading of the first column
    rows: list[tuple[str, list[ScoreText]]]  # label, NPS / CSAT / CES


@dataclass(frozen=True)
class KanoLine:
    name: str
    category: str  # "attractive" …, empty when none
    category_label: str
    badge: str  # a Bootstrap colour class for the category
    n: int
    counts: list[tuple[str, int]]  # (category label, count) in KanoCategory order
    satisfaction: str
    dissatisfaction: str


@dataclass(frozen=True)
class TopicLine:
    term: str
    count: int
    count_text: str
    width: int  # 0–100, the bar's length relative to the most mentioned term


@dataclass(frozen=True)
class LoopText:
    opened: str
    contacted: str
    resolved: str
    rate: str
    on_time: str
    contact_median: str
    contact_mean: str
    resolve_median: str
    resolve_mean: str
    overdue: int
    overdue_text: str


@dataclass(frozen=True)
class FeedbackDashboard:
    cards: list[ScoreText]
    breakdowns: list[BreakdownTable]
    sentiment: list[tuple[str, SentimentMonth]]  # month label, counts
    topics: list[TopicLine]
    kano: list[KanoLine]
    loop: LoopText
    charts: dict[str, Any]
    answered: int  # responses behind the figures


def kano_category_labels() -> dict[str, str]:
    return {
        KanoCategory.ATTRACTIVE: _("Attractive"),
        KanoCategory.ONE_DIMENSIONAL: _("One-dimensional"),
        KanoCategory.MUST_BE: _("Must-be"),
        KanoCategory.INDIFFERENT: _("Indifferent"),
        KanoCategory.REVERSE: _("Reverse"),
        KanoCategory.QUESTIONABLE: _("Questionable"),
    }


_KANO_BADGES: Final = {
    KanoCategory.ATTRACTIVE: "text-bg-success",
    KanoCategory.ONE_DIMENSIONAL: "text-bg-primary",
    KanoCategory.MUST_BE: "text-bg-warning",
    KanoCategory.INDIFFERENT: "text-bg-secondary",
    KanoCategory.REVERSE: "text-bg-danger",
    KanoCategory.QUESTIONABLE: "text-bg-light",
}


def _coefficient(value: float | None) -> str:
    return "—" if value is None else _decimal(value, 2)


def _kano_lines(features: list[KanoFeature], language: str) -> list[KanoLine]:
    labels = kano_category_labels()
    lines = []
    for feature in features:
        result = feature.result
        lines.append(
            KanoLine(
                name=feature.name(language),
                category=result.category.value if result.category else "",
                category_label=labels[result.category] if result.category else "—",
                badge=_KANO_BADGES.get(result.category, "text-bg-light")
                if result.category
                else "text-bg-light",
                n=result.n,
                counts=[(labels[c], result.counts.get(c, 0)) for c in KanoCategory],
                satisfaction=_coefficient(result.satisfaction),
                dissatisfaction=_coefficient(result.dissatisfaction),
            )
        )
    return lines


def _kano_chart(features: list[KanoFeature], language: str) -> dict[str, Any]:
    labels = kano_category_labels()
    return {
        "points": [
            {
                "x": round(feature.result.satisfaction, 4),
                "y": round(abs(feature.result.dissatisfaction), 4),
                "label": feature.name(language),
                "category": feature.result.category.value if feature.result.category else "",
                "n": feature.result.n,
            }
            for feature in features
            if feature.result.satisfaction is not None
            and feature.result.dissatisfaction is not None
        ],
        "quadrants": {category.value: labels[category] for category in KANO_QUADRANTS},
        "x_title": _("Satisfaction when present (CS+)"),
        "y_title": _("Dissatisfaction when missing (|CS−|)"),
    }


def _trend_chart(trends: dict[Metric, list[ScoreResult]]) -> dict[str, Any]:
    keys = [result.period or "" for result in trends["nps"]]
    series = {}
    titles = {
        "nps": _("NPS (−100 to 100)"),
        "csat": _("Satisfied (%)"),
        "ces": _("Average effort (1 to 7)"),
    }
    bounds = {"nps": (-100, 100), "csat": (0, 100), "ces": (1, 7)}
    for metric, results in trends.items():
        places = 1 if metric == "ces" else 0
        series[metric] = {
            "title": METRIC_TITLES[metric],
            "y_title": titles[metric],
            "min": bounds[metric][0],
            "max": bounds[metric][1],
            "values": [None if r.value is None else round(r.value, 2) for r in results],
            "low": [None if r.ci_low is None else round(r.ci_low, 2) for r in results],
            "high": [None if r.ci_high is None else round(r.ci_high, 2) for r in results],
            "n": [r.n for r in results],
            "places": places,
        }
    return {
        "labels": [month_text(key) for key in keys],
        "series": series,
        "value_label": _("Score"),
        "band_label": _("Interval (95%)"),
        "answers_label": _("answers"),
    }


def _loop_text(loop: ClosedLoop) -> LoopText:
    return LoopText(
        opened=_digits(str(loop.opened)),
        contacted=_digits(str(loop.contacted)),
        resolved=_digits(str(loop.resolved)),
        rate=_share(loop.rate),
        on_time=_share(loop.on_time),
        contact_median=_hours_text(loop.contact_median),
        contact_mean=_hours_text(loop.contact_mean),
        resolve_median=_hours_text(loop.resolve_median),
        resolve_mean=_hours_text(loop.resolve_mean),
        overdue=loop.overdue,
        overdue_text=_digits(str(loop.overdue)),
    )


def dashboard(filters: DashboardFilters, *, now: datetime | None = None) -> FeedbackDashboard:
    """Every figure of the page in the viewer's language (one query each)."""
    language = translation.get_language() or "fa"
    summary = score_summary(filters)
    cards = [score_text(summary[metric]) for metric in METRICS]
    breakdown_titles = {
        "product": _("By product"),
        "touchpoint": _("By touchpoint"),
        "department": _("By department"),
    }
    columns = {
        "product": _("Product"),
        "touchpoint": _("Touchpoint"),
        "department": _("Department"),
    }
    breakdowns = [
        BreakdownTable(
            by=by,
            title=breakdown_titles[by],
            column=columns[by],
            rows=[
                (row.label, [score_text(row.scores[metric]) for metric in METRICS])
                for row in score_breakdown(filters, by)
            ],
        )
        for by in BREAKDOWNS
    ]
    months = sentiment_over_time(filters)
    topics = top_topics(filters)
    most = max((topic.count for topic in topics), default=0) or 1
    features = kano_results(filters)
    trends = score_trends(filters)
    charts = {
        "lang": "fa" if _persian() else "en",
        "trend": _trend_chart(trends),
        "sentiment": {
            "labels": [month_text(month.period) for month in months],
            "positive": [month.positive for month in months],
            "neutral": [month.neutral for month in months],
            "negative": [month.negative for month in months],
            "names": {sentiment.value: str(sentiment.label) for sentiment in Sentiment},
            "y_title": _("Comments"),
        },
        "kano": _kano_chart(features, language),
    }
    return FeedbackDashboard(
        cards=cards,
        breakdowns=breakdowns,
        sentiment=[(month_text(month.period), month) for month in months],
        topics=[
            TopicLine(
                term=topic.term,
                count=topic.count,
                count_text=_digits(str(topic.count)),
                width=round(100 * topic.count / most),
            )
            for topic in topics
        ],
        kano=_kano_lines(features, language),
        loop=_loop_text(closed_loop(filters, now=now)),
        charts=charts,
        # Responses behind any figure: scores, or Kano pairs for a survey that asks only those.
        answered=max([card.n for card in cards] + [feature.result.n for feature in features]),
    )
