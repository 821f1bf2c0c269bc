"""The dashboard's figures against the same figures worked out by hand from the stored answers.

Most tests write ``Response`` rows directly with their scores and ``submitted_at``: the services
stamp ``timezone.now()`` on submission, and these tests need answers at chosen moments (either
side of a Tehran midnight, in given months) and in bulk. One test goes the whole way through the
services to show that what a customer submits reaches the dashboard.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone, translation

from mehvar.analytics.kano import KanoCategory
from mehvar.analytics.nps import ces, csat, nps
from mehvar.customers.models import Product
from mehvar.feedback import responding, selectors, surveys
from mehvar.feedback.models import (
    Answer,
    Comment,
    CommentSource,
    FollowUp,
    FollowUpStatus,
    Question,
    Response,
    Survey,
)
from mehvar.feedback.selectors import DashboardFilters, parse_filters

pytestmark = pytest.mark.django_db

EVERYTHING = DashboardFilters()
# A moment well inside Jalali Ordibehesht 1403 (2024-04-20 … 2024-05-20).
ORDIBEHESHT = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def make_survey(actor: Any, **settings: Any) -> Survey:
    data = {
        "title_fa": settings.pop("title_fa", "نظرسنجی"),
        "questions": settings.pop(
            "questions", [{"key": "nps", "kind": "nps", "text_fa": "توصیه می‌کنید؟"}]
        ),
        **settings,
    }
    return surveys.survey_save(actor=actor, data=data)


def answer(survey: Survey, at: datetime | None = ORDIBEHESHT, **scores: int | None) -> Response:
    """A response submitted at ``at`` (None: still partial) with the given scores."""
    return Response.objects.create(
        survey=survey,
        started_at=(at or ORDIBEHESHT) - timedelta(minutes=5),
        submitted_at=at,
        **scores,
    )


@pytest.fixture
def survey(users: dict[str, Any]) -> Survey:
    return make_survey(users["manager"])


# --- Scores --------------------------------------------------------------------------------


def test_summary_matches_the_scores_worked_out_by_hand(survey: Survey) -> None:
    nps_answers = [10, 9, 9, 8, 7, 6, 3, 0]
    csat_answers = [5, 4, 4, 3, 1]
    ces_answers = [2, 4, 6]
    for i, value in enumerate(nps_answers):
        answer(
            survey,
            nps=value,
            csat=csat_answers[i] if i < len(csat_answers) else None,
            ces=ces_answers[i] if i < len(ces_answers) else None,
        )
    # A half-filled form is not an answer: it would make NPS −12.5.
    answer(survey, at=None, nps=0, csat=1, ces=7)

    summary = selectors.score_summary(EVERYTHING)

    got = summary["nps"]
    # 3 promoters (10, 9, 9), 3 detractors (6, 3, 0), 2 passives of 8 answers.
    assert (got.n, got.promoters, got.passives, got.detractors) == (8, 3, 2, 3)
    assert got.value == 0.0
    # var = (P + D − (P − D)²) / n = (3/8 + 3/8 − 0) / 8; half width = 1.96 × 100 × √var.
    half = 1.96 * 100 * math.sqrt(0.75 / 8)
    assert got.ci_low == pytest.approx(-half)
    assert got.ci_high == pytest.approx(half)
    assert got.ci_low is not None
    assert got.ci_high is not None
    assert got.ci_low < got.value < got.ci_high
    assert got == nps(nps_answers)

    got = summary["csat"]
    assert (got.n, got.satisfied, got.value) == (5, 3, 60.0)
    z, p, n = 1.96, 0.6, 5
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    wilson = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert got.ci_low == pytest.approx(100 * (centre - wilson))
    assert got.ci_high == pytest.approx(100 * (centre + wilson))
    assert got == csat(csat_answers)

    got = summary["ces"]
    assert (got.n, got.value) == (3, 4.0)
    # mean 4, s = 2, t(0.975, 2) = 4.3027: 4 ± 4.97, clipped to the 1–7 scale.
    assert (got.ci_low, got.ci_high) == (1.0, 7.0)
    assert got == ces(ces_answers)


def test_no_answers_is_no_score_rather_than_zero(survey: Survey) -> None:
    answer(survey, at=None, nps=10)
    summary = selectors.score_summary(EVERYTHING)
    assert {metric: (r.n, r.value) for metric, r in summary.items()} == {
        "nps": (0, None),
        "csat": (0, None),
        "ces": (0, None),
    }


def test_an_answer_submitted_through_the_services_reaches_the_dashboard(
    users: dict[str, Any], make_customer: Any
) -> None:
    survey = make_survey(
        users["manager"],
        questions=[
            {"key": "nps", "kind": "nps", "text_fa": "توصیه؟"},
            {"key": "csat", "kind": "csat", "text_fa": "رضایت؟"},
        ],
    )
    survey = surveys.survey_set_status(actor=users["manager"], survey=survey, status="active")
    for score, satisfaction, customer in ((10, 5, make_customer()), (2, 2, make_customer())):
        invitation = responding.invitation_create(
            actor=users["service"], survey=survey, customer=customer, channel="link"
        )
        response = responding.response_for_invitation(invitation)
        _response, errors = responding.answers_save(
            response=response, raw={"nps": score, "csat": satisfaction}, submit=True
        )
        assert errors == {}
    # A third customer opened the link and answered the first question only.
    invitation = responding.invitation_create(
        actor=users["service"], survey=survey, customer=make_customer(), channel="link"
    )
    responding.answers_save(response=responding.response_for_invitation(invitation), raw={"nps": 0})

    summary = selectors.score_summary(DashboardFilters(survey_id=survey.pk))
    assert (summary["nps"].n, summary["nps"].value) == (2, 0.0)
    assert (summary["csat"].n, summary["csat"].value) == (2, 50.0)
    assert summary["ces"].n == 0


def test_trend_groups_by_jalali_month_in_tehran_time(survey: Survey) -> None:
    # 1403/01/31 is 2024-04-19. 20:00 UTC is 23:30 in Tehran (still Farvardin); 20:40 UTC is
    # 00:10 on 1403/02/01 (Ordibehesht). Both are 19 April in UTC.
    answer(survey, at=datetime(2024, 4, 19, 20, 0, tzinfo=UTC), nps=10)
    answer(survey, at=datetime(2024, 4, 19, 20, 40, tzinfo=UTC), nps=0)
    answer(survey, at=datetime(2024, 4, 19, 23, 50, tzinfo=UTC), nps=9)
    # Nothing in Khordad; one answer in Tir (1403/04/01 is 2024-06-21).
    answer(survey, at=datetime(2024, 6, 21, 6, 0, tzinfo=UTC), nps=3, csat=4)

    trend = selectors.score_trend(EVERYTHING, "nps")

    assert [(r.period, r.n, r.value) for r in trend] == [
        ("1403-01", 1, 100.0),
        ("1403-02", 2, 0.0),  # one promoter, one detractor
        ("1403-03", 0, None),  # the empty month is kept, so a chart shows the gap
        ("1403-04", 1, -100.0),
    ]
    assert trend[1].ci_low is not None
    assert trend[1].ci_low <= 0.0 <= (trend[1].ci_high or 0)
    csat_trend = selectors.score_trends(EVERYTHING)["csat"]
    assert [(r.period, r.n) for r in csat_trend] == [
        ("1403-01", 0),
        ("1403-02", 0),
        ("1403-03", 0),
        ("1403-04", 1),
    ]
    assert selectors.month_start("1403-02") == date(2024, 4, 20)


def test_breakdown_by_product_touchpoint_and_department(users: dict[str, Any]) -> None:
    pen = Product.objects.create(sku="P-1", name="خودکار")
    shop = make_survey(
        users["manager"], product_id=pen.pk, touchpoint="فروشگاه", department="sales"
    )
    call = make_survey(users["manager"], touchpoint="تماس", department="service")
    other = make_survey(users["manager"], touchpoint="تماس", department="service")
    for value in (10, 10, 0):
        answer(shop, nps=value)
    answer(call, nps=9, ces=3)
    answer(other, nps=5, ces=5)
    answer(other, at=None, nps=0)  # partial: left out of every group

    with translation.override("en"):
        by_product = selectors.score_breakdown(EVERYTHING, "product")
    assert [(r.key, r.label, r.scores["nps"].n) for r in by_product] == [
        (str(pen.pk), "خودکار", 3),
        ("", "Not set", 2),
    ]
    assert by_product[0].scores["nps"] == nps([10, 10, 0])

    by_touchpoint = {r.label: r for r in selectors.score_breakdown(EVERYTHING, "touchpoint")}
    assert by_touchpoint["تماس"].scores["nps"] == nps([9, 5])
    assert by_touchpoint["تماس"].scores["ces"] == ces([3, 5])
    assert by_touchpoint["فروشگاه"].scores["ces"].n == 0

    by_department = {r.key: r for r in selectors.score_breakdown(EVERYTHING, "department")}
    assert set(by_department) == {"sales", "service"}
    assert by_department["sales"].scores["nps"].value == pytest.approx(100 * (2 - 1) / 3)

    filtered = selectors.score_summary(DashboardFilters(touchpoint="تماس"))
    assert filtered["nps"] == nps([9, 5])
    assert selectors.score_summary(DashboardFilters(product_id=pen.pk))["nps"].n == 3
    assert selectors.score_summary(DashboardFilters(department="service"))["ces"].n == 2


def test_date_filter_takes_whole_tehran_days(survey: Survey) -> None:
    answer(survey, at=datetime(2024, 4, 19, 20, 0, tzinfo=UTC), nps=10)  # 1403/01/31 23:30
    answer(survey, at=datetime(2024, 4, 19, 20, 40, tzinfo=UTC), nps=0)  # 1403/02/01 00:10
    filters, errors = parse_filters({"date_from": "۱۴۰۳/۰۲/۰۱", "date_to": "2024-04-20"})
    assert errors == {}
    assert filters == DashboardFilters(date_from=date(2024, 4, 20), date_to=date(2024, 4, 20))
    assert selectors.score_summary(filters)["nps"].value == -100.0
    filters, _errors = parse_filters({"date_to": "1403/01/31"})
    assert selectors.score_summary(filters)["nps"].value == 100.0


def test_parse_filters_reports_what_it_cannot_read() -> None:
    filters, errors = parse_filters(
        {
            "date_from": "1403/13/01",
            "survey": "abc",
            "product": "۱۲",
            "department": "nowhere",
            "touchpoint": " وب‌سایت ",
        }
    )
    assert filters == DashboardFilters(product_id=12, touchpoint="وب‌سایت")
    assert set(errors) == {"date_from", "survey", "department"}
    filters, errors = parse_filters({"date_from": "1403/02/10", "date_to": "1403/02/01"})
    assert filters.date_to is None
    assert set(errors) == {"date_to"}
    assert parse_filters({})[0].is_empty


# --- Sentiment and topics ------------------------------------------------------------------


def comment(text: str, sentiment: str, at: datetime, **extra: Any) -> Comment:
    return Comment.objects.create(
        source=extra.pop("source", CommentSource.SURVEY),
        ref_type="test",
        ref_id=f"{text}-{at.isoformat()}-{Comment.objects.count()}",
        text=text,
        sentiment=sentiment,
        occurred_at=at,
        **extra,
    )


def test_sentiment_over_time_honours_corrections() -> None:
    farvardin = datetime(2024, 4, 1, 9, 0, tzinfo=UTC)
    comment("خوب", "positive", farvardin)
    comment("بد", "negative", farvardin, corrected="neutral")  # a person said neutral
    comment("نه بد", "positive", farvardin, corrected="negative")
    comment("معمولی", "neutral", farvardin, corrected="")  # blank: the model's reading stands
    comment("عالی", "positive", ORDIBEHESHT)
    # 1403/02/31 23:40 in Tehran is still Ordibehesht; 20:20 UTC on 2024-05-20.
    comment("افتضاح", "negative", datetime(2024, 5, 20, 20, 10, tzinfo=UTC))

    months = selectors.sentiment_over_time(EVERYTHING)

    assert [(m.period, m.positive, m.neutral, m.negative) for m in months] == [
        ("1403-01", 1, 2, 1),
        ("1403-02", 1, 0, 1),
    ]
    # The same as the model's own ``label`` property, row by row.
    labels = Counter(c.label for c in Comment.objects.filter(occurred_at__lt=ORDIBEHESHT))
    assert labels == {"positive": 1, "neutral": 2, "negative": 1}


def test_top_topics_count_comments_mentioning_each_stored_keyword() -> None:
    at = ORDIBEHESHT
    comment("a", "neutral", at, keywords=["ارسال", "قیمت", "ارسال"])
    comment("b", "neutral", at, keywords=["ارسال", "کیفیت"])
    comment("c", "neutral", at, keywords=["قیمت", "ارسال"])
    comment("d", "neutral", at, keywords=[])
    comment("e", "neutral", at - timedelta(days=400), keywords=["قدیمی"])
    topics = selectors.top_topics(EVERYTHING, limit=3)
    assert [(t.term, t.count) for t in topics] == [("ارسال", 3), ("قیمت", 2), ("قدیمی", 1)]
    recent = selectors.top_topics(DashboardFilters(date_from=date(2024, 1, 1)))
    assert [t.term for t in recent] == ["ارسال", "قیمت", "کیفیت"]


# --- Kano ----------------------------------------------------------------------------------

KANO_QUESTION = {
    "key": "wrap",
    "kind": "kano",
    "text_fa": "اگر کادوپیچی باشد؟",
    "alt_text_fa": "اگر نباشد؟",
    "feature_fa": "کادوپیچی",
    "feature_en": "Gift wrap",
}


def kano_answer(survey: Survey, functional: str, dysfunctional: str, **kw: Any) -> None:
    response = answer(survey, **kw)
    question = Question.objects.get(survey=survey, kind="kano")
    Answer.objects.create(
        response=response,
        question=question,
        value={"functional": functional, "dysfunctional": dysfunctional},
    )


def test_kano_per_feature_matches_the_evaluation_table(users: dict[str, Any]) -> None:
    first = make_survey(users["manager"], questions=[KANO_QUESTION])
    second = make_survey(users["manager"], questions=[{**KANO_QUESTION, "feature_en": ""}])
    other = make_survey(
        users["manager"], questions=[{**KANO_QUESTION, "feature_fa": "<b>ارسال</b>"}]
    )
    pairs = (
        [("like", "dislike")] * 3  # One-dimensional
        + [("like", "neutral"), ("like", "live_with")]  # Attractive
        + [("neutral", "dislike")]  # Must-be
        + [("neutral", "neutral")]  # Indifferent
        + [("dislike", "like")]  # Reverse
        + [("like", "like")]  # Questionable
    )
    for i, (functional, dysfunctional) in enumerate(pairs):
        # The same feature asked in two surveys is one point on the chart.
        kano_answer(first if i % 2 else second, functional, dysfunctional)
    kano_answer(first, "dislike", "like", at=None)  # partial: not counted
    kano_answer(first, "nonsense", "like")  # not a Kano answer: left out
    kano_answer(other, "must_be", "dislike")

    features = selectors.kano_results(EVERYTHING)

    assert [(f.feature_fa, f.result.n) for f in features] == [("کادوپیچی", 9), ("<b>ارسال</b>", 1)]
    wrap = features[0].result
    assert wrap.counts == {
        KanoCategory.ONE_DIMENSIONAL: 3,
        KanoCategory.ATTRACTIVE: 2,
        KanoCategory.MUST_BE: 1,
        KanoCategory.INDIFFERENT: 1,
        KanoCategory.REVERSE: 1,
        KanoCategory.QUESTIONABLE: 1,
    }
    assert wrap.category == KanoCategory.ONE_DIMENSIONAL
    # CS+ = (A + O) / (A + O + M + I) = 5/7; CS− = −(O + M) / (A + O + M + I) = −4/7.
    assert wrap.satisfaction == pytest.approx(5 / 7)
    assert wrap.dissatisfaction == pytest.approx(-4 / 7)
    assert features[0].name("en") == "Gift wrap"
    assert features[0].name("fa") == "کادوپیچی"
    assert features[1].result.category == KanoCategory.MUST_BE

    only_second = selectors.kano_results(DashboardFilters(survey_id=second.pk))
    assert only_second[0].result.n == 5


# --- The closed loop -----------------------------------------------------------------------


def test_closed_loop_rate_and_times(survey: Survey) -> None:
    now = datetime(2024, 5, 10, 12, 0, tzinfo=UTC)
    opened = now - timedelta(days=5)

    def follow_up(
        *, contacted: float | None = None, resolved: float | None = None, due: float = 24
    ) -> FollowUp:
        status = FollowUpStatus.OPEN
        if contacted is not None:
            status = FollowUpStatus.CONTACTED
        if resolved is not None:
            status = FollowUpStatus.RESOLVED
        return FollowUp.objects.create(
            response=answer(survey, nps=2),
            reasons=["detractor"],
            status=status,
            created_at=opened,
            due_at=opened + timedelta(hours=due),
            contacted_at=opened + timedelta(hours=contacted) if contacted is not None else None,
            resolved_at=opened + timedelta(hours=resolved) if resolved is not None else None,
        )

    follow_up(contacted=2, resolved=10)  # on time, resolved
    follow_up(contacted=30, resolved=50)  # late, resolved
    follow_up(contacted=4)  # on time, still being worked on
    follow_up()  # never contacted, past due: overdue
    follow_up(due=24 * 30)  # not due yet: counts neither way

    loop = selectors.closed_loop(EVERYTHING, now=now)

    assert (loop.opened, loop.contacted, loop.resolved, loop.overdue) == (5, 3, 2, 1)
    assert loop.rate == pytest.approx(2 / 5)
    assert (loop.on_time, loop.on_time_n) == (pytest.approx(2 / 4), 4)
    assert loop.contact_median == pytest.approx(4.0)
    assert loop.contact_mean == pytest.approx((2 + 30 + 4) / 3)
    assert loop.resolve_median == pytest.approx(30.0)
    assert loop.resolve_mean == pytest.approx(30.0)

    other = make_survey(survey.created_by, title_fa="دیگر")
    assert selectors.closed_loop(DashboardFilters(survey_id=other.pk), now=now).opened == 0
    assert selectors.closed_loop(DashboardFilters(survey_id=survey.pk), now=now).opened == 5
    assert selectors.closed_loop(EVERYTHING, now=now).rate is not None
    empty = selectors.closed_loop(DashboardFilters(date_from=date(2025, 1, 1)), now=now)
    assert (empty.opened, empty.rate, empty.on_time, empty.contact_median) == (0, None, None, None)


def test_has_feedback(survey: Survey) -> None:
    assert not selectors.has_feedback()
    answer(survey, at=None, nps=3)
    assert not selectors.has_feedback()
    answer(survey, at=timezone.now(), nps=3)
    assert selectors.has_feedback()


def test_staff_notes_and_calls_are_not_customers_words_on_the_dashboard() -> None:
    comment("مشتری از تاخیر گله داشت", "negative", ORDIBEHESHT, keywords=["تاخیر"])
    comment("تماس خوشامدگویی", "neutral", ORDIBEHESHT, source="note", keywords=["تماس"])
    comment("پیگیری سفارش", "neutral", ORDIBEHESHT, source="call", keywords=["پیگیری"])

    months = selectors.sentiment_over_time(EVERYTHING)

    assert [(m.positive, m.neutral, m.negative) for m in months] == [(0, 0, 1)]
    assert [t.term for t in selectors.top_topics(EVERYTHING)] == ["تاخیر"]
