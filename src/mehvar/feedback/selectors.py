"""Reads for the feedback dashboard: scores with their intervals, trends, sentiment, topics, Kano
and the closed loop, each from one aggregate query over the stored answers.

The database counts (answers per score value per day, sentiment labels per day, Kano answer
pairs per feature); the pure :mod:`mehvar.analytics` functions turn the counts into scores and
intervals, so the dashboard's figures are exactly those of the tested library. Days are Tehran
days (``TruncDate`` in Tehran time, the same on SQLite and PostgreSQL) and are grouped into Jalali
months here, in Python: a Jalali month does not start on a Gregorian month's first day, so no
SQL date truncation can produce it.

Only submitted responses count; a half-filled form is not an answer yet.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from itertools import repeat
from typing import Any, Final, Literal

from django.db.models import Count, F, Q, QuerySet, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce, NullIf, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from mehvar.analytics.kano import KanoAnswer, KanoCategory, KanoResult, evaluate
from mehvar.analytics.nps import Metric, ScoreResult, ces, csat, nps
from mehvar.core.jalali import TEHRAN, InvalidDate, from_jalali, parse_date, to_jalali
from mehvar.core.models import Department
from mehvar.core.persian import whole_number
from mehvar.feedback.answers import SCALES
from mehvar.feedback.models import (
    Answer,
    Comment,
    CommentSource,
    FollowUp,
    FollowUpStatus,
    QuestionKind,
    Response,
    Sentiment,
    Survey,
)

METRICS: Final[tuple[Metric, ...]] = ("nps", "csat", "ces")
Breakdown = Literal["product", "touchpoint", "department"]
BREAKDOWNS: Final[tuple[Breakdown, ...]] = ("product", "touchpoint", "department")
# Topics are counted over the newest comments only: enough to say what people talk about now,
# and a bounded read however long the company has been listening.
TOPIC_COMMENTS: Final = 5000

_GROUP_FIELD: Final[dict[Breakdown, str]] = {
    "product": "survey__product_id",
    "touchpoint": "survey__touchpoint",
    "department": "survey__department",
}


# --- Filters -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DashboardFilters:
    """What the dashboard looks at; every field empty means "everything".

    ``date_from`` and ``date_to`` are whole Tehran days, both included.
    """

    date_from: date | None = None
    date_to: date | None = None
    survey_id: int | None = None
    product_id: int | None = None
    touchpoint: str = ""
    department: str = ""

    @property
    def start(self) -> datetime | None:
        if self.date_from is None:
            return None
        return datetime.combine(self.date_from, time.min, tzinfo=TEHRAN)

    @property
    def end(self) -> datetime | None:
        """The first moment after the range (midnight after ``date_to``, Tehran time)."""
        if self.date_to is None:
            return None
        return datetime.combine(self.date_to + timedelta(days=1), time.min, tzinfo=TEHRAN)

    @property
    def is_empty(self) -> bool:
        return self == DashboardFilters()


def parse_filters(query: Mapping[str, Any]) -> tuple[DashboardFilters, dict[str, str]]:
    """Filters from a query string; a value that cannot be read is left out and reported.

    Dates are Jalali or Gregorian in any digits ("1403/01/05", "۱۴۰۳-۰۱-۰۵", "2024-03-24").
    """
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name in ("date_from", "date_to"):
        raw = str(query.get(name) or "").strip()
        if not raw:
            continue
        try:
            values[name] = parse_date(raw)
        except InvalidDate:
            errors[name] = _("Enter a date like 1403/01/05 or 2024-03-24.")
    if "date_from" in values and "date_to" in values and values["date_from"] > values["date_to"]:
        errors["date_to"] = _("The end date is before the start date.")
        del values["date_to"]
    for name in ("survey", "product"):
        raw = str(query.get(name) or "").strip()
        if not raw:
            continue
        number = whole_number(raw)
        if number is None:
            errors[name] = _("Pick one of the offered values.")
        else:
            values[f"{name}_id"] = number
    touchpoint = str(query.get("touchpoint") or "").strip()
    if touchpoint:
        values["touchpoint"] = touchpoint[:100]
    department = str(query.get("department") or "").strip()
    if department:
        if department in Department.values:
            values["department"] = department
        else:
            errors["department"] = _("Pick one of the offered values.")
    return DashboardFilters(**values), errors


def _survey_q(filters: DashboardFilters, prefix: str) -> Q:
    """The survey side of the filters, on a query whose survey is reached through ``prefix``."""
    q = Q()
    if filters.survey_id is not None:
        q &= Q(**{f"{prefix}_id": filters.survey_id})
    if filters.product_id is not None:
        q &= Q(**{f"{prefix}__product_id": filters.product_id})
    if filters.touchpoint:
        q &= Q(**{f"{prefix}__touchpoint": filters.touchpoint})
    if filters.department:
        q &= Q(**{f"{prefix}__department": filters.department})
    return q


def _time_q(filters: DashboardFilters, name: str) -> Q:
    q = Q()
    if filters.start is not None:
        q &= Q(**{f"{name}__gte": filters.start})
    if filters.end is not None:
        q &= Q(**{f"{name}__lt": filters.end})
    return q


def submitted_responses(filters: DashboardFilters) -> QuerySet[Response]:
    return (
        Response.objects.filter(submitted_at__isnull=False)
        .filter(_time_q(filters, "submitted_at"))
        .filter(_survey_q(filters, "survey"))
        .order_by()
    )


# The dashboard's "what customers say" is their own words: survey comments and imported ones.
# Staff notes and call logs are read too (they are on the wall and in each comment's sentiment),
# but counting them here would make the topics "call", "introduction", "follow-up".
CUSTOMER_WORDS = (CommentSource.SURVEY, CommentSource.IMPORT)


def _comments(filters: DashboardFilters) -> QuerySet[Comment]:
    # Without survey filters imports count too (they have no survey); with one, only comments
    # from answers to the matching surveys do.
    return (
        Comment.objects.filter(source__in=CUSTOMER_WORDS)
        .filter(_time_q(filters, "occurred_at"))
        .filter(_survey_q(filters, "survey"))
    )


def _follow_ups(filters: DashboardFilters) -> QuerySet[FollowUp]:
    survey = _survey_q(filters, "response__survey")
    if survey:
        survey |= _survey_q(filters, "comment__survey")
    return FollowUp.objects.filter(_time_q(filters, "created_at")).filter(survey).order_by()


# --- Scores --------------------------------------------------------------------------------


def _count_columns() -> dict[str, Count]:
    """One conditional count per metric and scale value ("nps_9": answers of 9), 23 in all."""
    columns = {}
    for metric in METRICS:
        low, high = SCALES[metric]
        for value in range(low, high + 1):
            columns[f"{metric}_{value}"] = Count("pk", filter=Q(**{metric: value}))
    return columns


def _scores_of(row: Mapping[str, Any], metric: Metric) -> list[int]:
    """The answers behind the counts, as the analytics functions take them."""
    low, high = SCALES[metric]
    answers: list[int] = []
    for value in range(low, high + 1):
        answers.extend(repeat(value, int(row.get(f"{metric}_{value}") or 0)))
    return answers


def _score(row: Mapping[str, Any], metric: Metric) -> ScoreResult:
    answers = _scores_of(row, metric)
    if metric == "nps":
        return nps(answers)
    if metric == "csat":
        return csat(answers, scale=SCALES["csat"][1])
    return ces(answers, scale=SCALES["ces"][1])


def score_summary(filters: DashboardFilters) -> dict[Metric, ScoreResult]:
    """NPS, CSAT and CES over the submitted responses, with their 95 % intervals (one query)."""
    row = submitted_responses(filters).aggregate(**_count_columns())
    return {metric: _score(row, metric) for metric in METRICS}


def _month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def _months_between(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:])
    keys = []
    while True:
        key = _month_key(year, month)
        keys.append(key)
        if key >= last:
            return keys
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def month_start(key: str) -> date:
    """The Gregorian first day of a Jalali month key ("1403-01" → 2024-03-20)."""
    return from_jalali(int(key[:4]), int(key[5:]), 1)


def _by_month(rows: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    """Per-day count rows summed into Jalali months, every month from the first to the last."""
    months: dict[str, dict[str, int]] = {}
    for row in rows:
        day = row["day"]
        if day is None:
            continue
        year, month, _day = to_jalali(day)
        counts = months.setdefault(_month_key(year, month), {})
        for name, value in row.items():
            if name != "day":
                counts[name] = counts.get(name, 0) + int(value or 0)
    if not months:
        return {}
    return {key: months.get(key, {}) for key in _months_between(min(months), max(months))}


def score_trends(
    filters: DashboardFilters, period: Literal["month"] = "month"
) -> dict[Metric, list[ScoreResult]]:
    """Each metric per Jalali month (``period`` is the "YYYY-MM" Jalali key), in one query.

    Months without answers between the first and the last are kept with ``n = 0`` so a chart
    shows the gap instead of joining distant months.
    """
    if period != "month":
        raise ValueError(f"unknown period {period!r}")
    rows = (
        submitted_responses(filters)
        .annotate(day=TruncDate("submitted_at", tzinfo=TEHRAN))
        .values("day")
        .annotate(**_count_columns())
        .order_by("day")
    )
    months = _by_month(rows)
    return {
        metric: [replace(_score(counts, metric), period=key) for key, counts in months.items()]
        for metric in METRICS
    }


def score_trend(
    filters: DashboardFilters, metric: Metric, period: Literal["month"] = "month"
) -> list[ScoreResult]:
    """One metric per Jalali month (see :func:`score_trends`, which the page uses)."""
    return score_trends(filters, period)[metric]


@dataclass(frozen=True)
class BreakdownRow:
    """One product, touchpoint or department with its three scores."""

    key: str
    label: str
    scores: dict[Metric, ScoreResult]

    @property
    def n(self) -> int:
        return max(result.n for result in self.scores.values())


def score_breakdown(filters: DashboardFilters, by: Breakdown) -> list[BreakdownRow]:
    """The three scores per product, touchpoint or department of the survey (one query).

    Every metric comes out of the same query, so the page shows one table per dimension with
    NPS, CSAT and CES side by side. Responses to surveys without one are grouped as "Not set".
    Rows are sorted by number of answers, most first.
    """
    column = _GROUP_FIELD[by]
    names = {"product": "survey__product__name"} if by == "product" else {}
    values = [column, *names.values()]
    rows = (
        submitted_responses(filters).values(*values).annotate(**_count_columns()).order_by(column)
    )
    departments = dict(Department.choices)
    lines = []
    for row in rows:
        key = row[column]
        if key in (None, ""):
            label = _("Not set")
        elif by == "product":
            label = row["survey__product__name"]
        elif by == "department":
            label = str(departments.get(key, key))
        else:
            label = str(key)
        lines.append(
            BreakdownRow(
                key="" if key is None else str(key),
                label=label,
                scores={metric: _score(row, metric) for metric in METRICS},
            )
        )
    return sorted(lines, key=lambda line: (-line.n, line.label))


# --- Sentiment and topics ------------------------------------------------------------------


@dataclass(frozen=True)
class SentimentMonth:
    period: str  # "1403-01"
    positive: int
    neutral: int
    negative: int

    @property
    def total(self) -> int:
        return self.positive + self.neutral + self.negative


def _label() -> Coalesce:
    """``Comment.label`` in SQL: the person's correction (when not blank), else the model's."""
    return Coalesce(NullIf(F("corrected"), Value("")), F("sentiment"))


def sentiment_over_time(filters: DashboardFilters) -> list[SentimentMonth]:
    """Comments per Jalali month by what the company believes their sentiment is (one query)."""
    rows = (
        _comments(filters)
        .annotate(verdict=_label(), day=TruncDate("occurred_at", tzinfo=TEHRAN))
        .values("day")
        .annotate(
            **{
                sentiment.value: Count("pk", filter=Q(verdict=sentiment.value))
                for sentiment in Sentiment
            }
        )
        .order_by("day")
    )
    return [
        SentimentMonth(
            period=key,
            positive=counts.get(Sentiment.POSITIVE.value, 0),
            neutral=counts.get(Sentiment.NEUTRAL.value, 0),
            negative=counts.get(Sentiment.NEGATIVE.value, 0),
        )
        for key, counts in _by_month(rows).items()
    ]


@dataclass(frozen=True)
class Topic:
    term: str
    count: int  # comments that mention it


def _terms(keywords: Any) -> set[str]:
    """The terms of one comment's stored keywords (strings; {"term": …} objects tolerated)."""
    if not isinstance(keywords, list):
        return set()
    terms = set()
    for item in keywords:
        term = item.get("term") if isinstance(item, Mapping) else item
        if isinstance(term, str) and term.strip():
            terms.add(term.strip())
    return terms


def top_topics(filters: DashboardFilters, limit: int = 15) -> list[Topic]:
    """What customers talk about: the keywords mentioned by most of the newest comments.

    The keywords are read once, when a comment is stored (``voice.comments_record`` keeps
    ``mehvar.text.topics.keywords_of(text)``), so the page counts the stored lists instead of
    running the text library again over thousands of texts on every view: one query over the
    newest :data:`TOPIC_COMMENTS` comments, the same terms, and a page that does not depend on
    the text library loading. A term counts once per comment. Ties go alphabetically.
    """
    lists = (
        _comments(filters)
        .order_by("-occurred_at", "-id")
        .values_list("keywords", flat=True)[:TOPIC_COMMENTS]
    )
    counts: Counter[str] = Counter()
    for keywords in lists:
        counts.update(_terms(keywords))
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [Topic(term=term, count=count) for term, count in ranked[:limit]]


# --- Kano ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KanoFeature:
    """One feature's Kano result; answers to the same feature in several surveys are pooled."""

    feature_fa: str
    feature_en: str
    result: KanoResult

    def name(self, language: str) -> str:
        if language.startswith("en") and self.feature_en:
            return self.feature_en
        return self.feature_fa


def kano_results(filters: DashboardFilters) -> list[KanoFeature]:
    """Per feature asked with a Kano pair: counts per category, the majority, CS+ and CS−.

    The database counts the submitted (functional, dysfunctional) pairs per question (at most
    25 rows a question); :func:`mehvar.analytics.kano.evaluate` reads them off the Kano table.
    A stored value that is not a Kano answer is left out. Features come in the order of their
    number of answers, most first.
    """
    valid = {answer.value for answer in KanoAnswer}
    rows = (
        Answer.objects.filter(question__kind=QuestionKind.KANO)
        .filter(response__submitted_at__isnull=False)
        .filter(_time_q(filters, "response__submitted_at"))
        .filter(_survey_q(filters, "response__survey"))
        .annotate(
            functional=KeyTextTransform("functional", "value"),
            dysfunctional=KeyTextTransform("dysfunctional", "value"),
        )
        .values("question__feature_fa", "question__feature_en", "functional", "dysfunctional")
        .annotate(n=Count("pk"))
        .order_by()
    )
    pairs: dict[str, list[tuple[str, str]]] = {}
    english: dict[str, str] = {}
    for row in rows:
        # Checked here rather than in SQL: "IN" on a JSON key casts its values as JSON on
        # SQLite, and the grouped rows are few.
        if row["functional"] not in valid or row["dysfunctional"] not in valid:
            continue
        feature = str(row["question__feature_fa"] or "").strip() or "—"
        pairs.setdefault(feature, []).extend(
            repeat((row["functional"], row["dysfunctional"]), row["n"])
        )
        if row["question__feature_en"] and feature not in english:
            english[feature] = row["question__feature_en"]
    features = [
        KanoFeature(feature_fa=feature, feature_en=english.get(feature, ""), result=evaluate(got))
        for feature, got in pairs.items()
    ]
    return sorted(features, key=lambda item: (-item.result.n, item.feature_fa))


KANO_QUADRANTS: Final = (
    KanoCategory.ATTRACTIVE,
    KanoCategory.ONE_DIMENSIONAL,
    KanoCategory.MUST_BE,
    KanoCategory.INDIFFERENT,
)


# --- The closed loop -----------------------------------------------------------------------


@dataclass(frozen=True)
class ClosedLoop:
    """How the company follows up unhappy customers, over the follow-ups opened in the range.

    ``rate`` is resolved / opened. ``on_time`` is the share contacted by the due time among the
    follow-ups whose outcome is known: contacted (on time or late) or past due without contact;
    one not yet due and not yet contacted counts neither way (``on_time_n`` is the denominator).
    Times are hours from opening; ``overdue`` counts open ones past due, never contacted.
    """

    opened: int
    contacted: int
    resolved: int
    rate: float | None
    on_time: float | None
    on_time_n: int
    contact_median: float | None
    contact_mean: float | None
    resolve_median: float | None
    resolve_mean: float | None
    overdue: int


def _hours(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() / 3600


def _median_mean(values: list[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    return statistics.median(values), statistics.fmean(values)


def closed_loop(filters: DashboardFilters, *, now: datetime | None = None) -> ClosedLoop:
    """The closed-loop figures (one query: the medians need the times themselves)."""
    now = now or timezone.now()
    rows = _follow_ups(filters).values_list(
        "created_at", "due_at", "contacted_at", "resolved_at", "status"
    )
    opened = contacted = resolved = overdue = on_time = judged = 0
    to_contact: list[float] = []
    to_resolve: list[float] = []
    for created_at, due_at, contacted_at, resolved_at, status in rows:
        opened += 1
        if contacted_at is not None:
            contacted += 1
            judged += 1
            on_time += contacted_at <= due_at
            to_contact.append(_hours(contacted_at, created_at))
        elif due_at < now:
            judged += 1
            if status == FollowUpStatus.OPEN:
                overdue += 1
        if status == FollowUpStatus.RESOLVED and resolved_at is not None:
            resolved += 1
            to_resolve.append(_hours(resolved_at, created_at))
    contact_median, contact_mean = _median_mean(to_contact)
    resolve_median, resolve_mean = _median_mean(to_resolve)
    return ClosedLoop(
        opened=opened,
        contacted=contacted,
        resolved=resolved,
        rate=resolved / opened if opened else None,
        on_time=on_time / judged if judged else None,
        on_time_n=judged,
        contact_median=contact_median,
        contact_mean=contact_mean,
        resolve_median=resolve_median,
        resolve_mean=resolve_mean,
        overdue=overdue,
    )


# --- The filter form -----------------------------------------------------------------------


@dataclass(frozen=True)
class FilterOptions:
    surveys: list[tuple[int, str]]
    products: list[tuple[int, str]]
    touchpoints: list[str]
    departments: list[tuple[str, str]] = field(default_factory=list)


def filter_options(language: str = "fa") -> FilterOptions:
    """What the filter form offers, from the surveys (one query)."""
    surveys = Survey.objects.select_related("product").only(
        "pk", "title_fa", "title_en", "touchpoint", "product__name"
    )
    english = language.startswith("en")
    titles, products, touchpoints = [], {}, set()
    for survey in surveys:
        titles.append((survey.pk, (survey.title_en if english else "") or survey.title_fa))
        if survey.product is not None:
            products[survey.product.pk] = survey.product.name
        if survey.touchpoint:
            touchpoints.add(survey.touchpoint)
    return FilterOptions(
        surveys=titles,
        products=sorted(products.items(), key=lambda item: item[1]),
        touchpoints=sorted(touchpoints),
        departments=[(value, str(label)) for value, label in Department.choices],
    )


def has_feedback() -> bool:
    """Whether anything at all was heard yet (else the page explains how to start)."""
    return Response.objects.filter(submitted_at__isnull=False).exists() or Comment.objects.exists()
