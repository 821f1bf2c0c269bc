"""The feedback dashboard page: who may see it, the empty state, the figures, filters, escaping.

Responses are written directly with their scores and submission times (see
``test_feedback_selectors.py`` for why); the figures on the page are checked against the
scores worked out from the same answers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from mehvar.core.roles import Role
from mehvar.customers.models import Product
from mehvar.feedback import surveys
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

pytestmark = pytest.mark.django_db

URL = "/feedback/"
VIEWERS = [Role.ADMIN, Role.MANAGER, Role.MARKETING, Role.SERVICE]
AT = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)  # Ordibehesht 1403


@pytest.fixture
def login(client: Client) -> Callable[..., Client]:
    """Sign ``user`` in; pages in English unless ``language`` says "fa"."""

    def sign_in(user: Any, language: str = "en") -> Client:
        client.cookies["django_language"] = language
        client.force_login(user)
        return client

    return sign_in


def body(response: Any) -> str:
    return str(response.content.decode())


def chart_data(response: Any) -> dict[str, Any]:
    match = re.search(
        r'<script id="feedback-dashboard-data" type="application/json">(.*?)</script>',
        body(response),
        re.S,
    )
    assert match is not None, "the page carries its chart data"
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def card(response: Any, metric: str) -> str:
    match = re.search(
        rf'<div class="card h-100" id="kpi-{metric}">(.*?)</div></div></div>', body(response), re.S
    )
    assert match is not None
    return re.sub(r"\s+", " ", match.group(1))


def make_survey(actor: Any, **settings: Any) -> Survey:
    data = {
        "title_fa": settings.pop("title_fa", "نظرسنجی"),
        "questions": settings.pop(
            "questions", [{"key": "nps", "kind": "nps", "text_fa": "توصیه می‌کنید؟"}]
        ),
        **settings,
    }
    return surveys.survey_save(actor=actor, data=data)


def answer(survey: Survey, at: datetime | None = AT, **scores: int | None) -> Response:
    return Response.objects.create(
        survey=survey, started_at=(at or AT) - timedelta(minutes=3), submitted_at=at, **scores
    )


@pytest.fixture
def filled(users: dict[str, Any]) -> dict[str, Any]:
    """Two surveys with scores over two months, comments, a Kano pair and follow-ups."""
    pen = Product.objects.create(sku="P-1", name="Pen")
    shop = make_survey(
        users["manager"],
        title_fa="فروشگاه",
        product_id=pen.pk,
        touchpoint="Shop",
        department="sales",
        questions=[
            {"key": "nps", "kind": "nps", "text_fa": "توصیه؟"},
            {
                "key": "wrap",
                "kind": "kano",
                "text_fa": "اگر باشد؟",
                "alt_text_fa": "اگر نباشد؟",
                "feature_fa": "<b>کادو</b>",
                "feature_en": "<b>Gift wrap</b>",
            },
        ],
    )
    call = make_survey(users["manager"], title_fa="تماس", touchpoint="Call", department="service")
    for value in (10, 9, 9, 8, 7, 6, 3, 0):  # NPS 0 over 8 answers
        answer(shop, nps=value, csat=4)
    answer(shop, at=datetime(2024, 3, 25, 9, 0, tzinfo=UTC), nps=10)  # Farvardin
    answer(call, nps=10, ces=2)
    answer(call, at=None, nps=0)  # partial
    question = Question.objects.get(survey=shop, key="wrap")
    for functional, dysfunctional in [("like", "neutral")] * 3 + [("neutral", "dislike")]:
        Answer.objects.create(
            response=answer(shop),
            question=question,
            value={"functional": functional, "dysfunctional": dysfunctional},
        )
    for i, (sentiment, keywords) in enumerate(
        [("positive", ["ارسال"]), ("negative", ["قیمت", "ارسال"]), ("neutral", [])]
    ):
        Comment.objects.create(
            source=CommentSource.SURVEY,
            ref_type="test",
            ref_id=str(i),
            survey=shop,
            text="…",
            sentiment=sentiment,
            keywords=keywords,
            occurred_at=AT,
        )
    FollowUp.objects.create(
        response=answer(shop, nps=1),
        reasons=["detractor"],
        status=FollowUpStatus.RESOLVED,
        created_at=AT,
        due_at=AT + timedelta(hours=24),
        contacted_at=AT + timedelta(hours=3),
        resolved_at=AT + timedelta(hours=9),
        resolution="called",
    )
    FollowUp.objects.create(
        response=answer(shop, nps=2),
        reasons=["detractor"],
        created_at=AT,
        due_at=AT + timedelta(hours=24),
    )
    return {"shop": shop, "call": call, "pen": pen}


def test_url() -> None:
    assert reverse("feedback:dashboard") == URL


@pytest.mark.parametrize("role", VIEWERS)
def test_viewers_see_the_dashboard(
    role: str, users: dict[str, Any], login: Callable[..., Client], filled: dict[str, Any]
) -> None:
    response = login(users[role]).get(URL)
    assert response.status_code == 200
    assert 'id="feedback-dashboard"' in body(response)


def test_sales_is_refused(users: dict[str, Any], login: Callable[..., Client]) -> None:
    response = login(users["sales"]).get(URL)
    assert response.status_code == 403
    assert "feedback-dashboard" not in body(response)


def test_anonymous_is_sent_to_sign_in(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_empty_state_tells_how_to_start(
    users: dict[str, Any], login: Callable[..., Client]
) -> None:
    survey = make_survey(users["manager"])
    answer(survey, at=None, nps=9)  # half-filled: still nothing heard
    response = login(users["manager"]).get(URL)
    html = body(response)
    assert response.status_code == 200
    assert 'id="feedback-empty"' in html
    assert reverse("feedback:survey_list") in html
    assert reverse("feedback:survey_new") in html
    assert "feedback-dashboard-data" not in html
    assert "chart.umd.min.js" not in html
    # Service may not build surveys: it is shown where they are, not the builder.
    html = body(login(users["service"]).get(URL))
    assert reverse("feedback:survey_list") in html
    assert reverse("feedback:survey_new") not in html


def test_figures_equal_the_scores_of_the_stored_answers(
    users: dict[str, Any], login: Callable[..., Client], filled: dict[str, Any]
) -> None:
    response = login(users["manager"]).get(
        URL, {"survey": filled["shop"].pk, "date_from": "2024-04-20"}
    )
    # Ordibehesht, shop: 10, 9, 9, 8, 7, 6, 3, 0 and the follow-ups' 1 and 2 and four Kano-only
    # responses without a score: 3 promoters, 5 detractors of 10 → NPS −20.
    nps_card = card(response, "nps")
    assert ">\u2066\u221220\u2069<" in nps_card
    # ±1.96 × 100 × √((0.3 + 0.5 − 0.04) / 10) = ±54.03 → −74 to 34.
    assert "NPS \u2066\u221220\u2069 (95%: \u2066\u221274\u2069 to 34) from 10 answers" in nps_card
    assert "Promoters (9 or 10): 3 · passives: 2 · detractors (6 or less): 5" in nps_card
    # CSAT: eight answers of 4 → 100 %, Wilson interval 67.6 % to 100 %.
    assert "CSAT 100% (95%: 68% to 100%) from 8 answers" in card(response, "csat")
    assert "CES: no answers yet" in card(response, "ces")

    data = chart_data(response)
    assert data["lang"] == "en"
    assert data["trend"]["labels"] == ["Ordibehesht 1403"]
    assert data["trend"]["series"]["nps"]["values"] == [-20.0]
    assert data["trend"]["series"]["nps"]["n"] == [10]


def test_trend_sentiment_kano_and_loop_on_the_page(
    users: dict[str, Any], login: Callable[..., Client], filled: dict[str, Any]
) -> None:
    response = login(users["marketing"]).get(URL)
    data = chart_data(response)
    trend = data["trend"]
    assert trend["labels"] == ["Farvardin 1403", "Ordibehesht 1403"]
    assert trend["series"]["nps"]["n"] == [1, 11]
    assert trend["series"]["ces"]["n"] == [0, 1]
    assert trend["series"]["ces"]["values"] == [None, 2.0]

    assert data["sentiment"]["labels"] == ["Ordibehesht 1403"]
    assert (data["sentiment"]["positive"], data["sentiment"]["negative"]) == ([1], [1])

    # Kano: three Attractive and one Must-be → Attractive; CS+ = 3/4, |CS−| = 1/4.
    (point,) = data["kano"]["points"]
    assert point == {
        "x": 0.75,
        "y": 0.25,
        "label": "<b>Gift wrap</b>",
        "category": "attractive",
        "n": 4,
    }
    html = body(response)
    kano = html[html.index('id="kano-table"') :]
    assert "&lt;b&gt;Gift wrap&lt;/b&gt;" in kano
    assert "<b>Gift wrap</b>" not in html
    # json_script escapes "<" too, so the feature name cannot close the script element.
    assert "\\u003Cb\\u003EGift wrap" in html
    assert "0.75" in kano
    assert "\u2066\u22120.25\u2069" in kano
    assert "Attractive" in kano

    topics = html[html.index('id="topics"') :]
    assert topics.index("ارسال") < topics.index("قیمت")

    loop = html[html.index('id="closed-loop"') :]
    assert re.search(r'id="loop-rate">\s*50%', loop)
    assert "1 resolved of 2 opened" in loop
    assert re.search(r'id="loop-contact-median">\s*3.0 h', loop)
    assert re.search(r'id="loop-resolve-median">\s*9.0 h', loop)
    assert 'id="loop-overdue"' in loop  # the second one was due a day after 2024-05-01

    by_product = html[
        html.index('id="breakdown-product"') : html.index('id="breakdown-touchpoint"')
    ]
    assert "Pen" in by_product
    assert "Not set" in by_product


def test_filters_narrow_the_figures(
    users: dict[str, Any], login: Callable[..., Client], filled: dict[str, Any]
) -> None:
    client = login(users["manager"])
    response = client.get(URL, {"touchpoint": "Call"})
    # One promoter: the normal-approximation interval has no width.
    assert "NPS 100 (95%: 100 to 100) from 1 answer" in card(response, "nps")
    assert 'value="Call" selected' in body(response)
    response = client.get(URL, {"product": filled["pen"].pk, "department": "sales"})
    assert "from 11 answers" in card(response, "nps")
    response = client.get(URL, {"date_from": "1403/01/01", "date_to": "1403/01/31"})
    assert "NPS 100 (95%: 100 to 100) from 1 answer" in card(response, "nps")
    assert "CSAT: no answers yet" in card(response, "csat")
    response = client.get(URL, {"date_from": "2030-01-01"})
    assert 'id="no-answers-match"' in body(response)
    assert "NPS: no answers yet" in card(response, "nps")


def test_a_filter_that_cannot_be_read_is_reported(
    users: dict[str, Any], login: Callable[..., Client], filled: dict[str, Any]
) -> None:
    response = login(users["manager"]).get(URL, {"date_from": "1403/13/40", "department": "x"})
    html = body(response)
    assert response.status_code == 200
    assert 'id="f-date-from-error"' in html
    assert "Enter a date like 1403/01/05 or 2024-03-24." in html
    assert 'value="1403/13/40"' in html
    assert "from 12 answers" in card(response, "nps")  # the unreadable filters are left out


def test_persian_page_uses_persian_digits_and_jalali_months(
    users: dict[str, Any], login: Callable[..., Client], filled: dict[str, Any]
) -> None:
    response = login(users["manager"], language="fa").get(URL, {"touchpoint": "Call"})
    data = chart_data(response)
    assert data["lang"] == "fa"
    assert data["trend"]["labels"] == ["اردیبهشت ۱۴۰۳"]
    nps_card = card(response, "nps")
    assert "۱۰۰" in nps_card
    assert re.search(r"[0-9]", re.sub(r"<[^>]*>|&[#\w]+;", "", nps_card)) is None


def test_query_count_does_not_grow_with_the_data(
    users: dict[str, Any],
    login: Callable[..., Client],
    filled: dict[str, Any],
    django_assert_max_num_queries: Any,
) -> None:
    client = login(users["manager"])
    client.get(URL)  # warm the session and the translation catalogue
    # 2 for the session and user, 11 for the page: one per figure, whatever the data.
    with django_assert_max_num_queries(13):
        assert client.get(URL).status_code == 200
    for value in range(11):
        answer(filled["call"], nps=value, csat=5, ces=3)
    with django_assert_max_num_queries(13):
        assert client.get(URL).status_code == 200
