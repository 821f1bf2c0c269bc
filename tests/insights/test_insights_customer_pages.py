"""The scores on the customer pages: the 360 card, and the list's filters and sorts."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from mehvar.core.roles import Role
from mehvar.customers.selectors import CustomerFilters, customer_list

pytestmark = pytest.mark.django_db

LIST = "/customers/"


def body(response: Any) -> str:
    return str(response.content.decode())


def names(response: Any) -> list[str]:
    """The customer names of the list, in order."""
    return re.findall(
        r'class="fw-semibold text-decoration-none" href="[^"]+">([^<]+)</a>', body(response)
    )


@pytest.fixture
def book(
    users: dict[str, Any], make_customer: Callable[..., Any], make_snapshot: Callable[..., Any]
) -> dict[str, Any]:
    """Four customers: three scored (a top champion, a loyal one, a lost one), one never bought."""
    champion = make_customer(first_name="آرش", last_name="کامرانی", owner=users["sales"])
    loyal = make_customer(first_name="بیتا", last_name="نوری", owner=users["sales2"])
    lost = make_customer(first_name="پرویز", last_name="صالحی", owner=users["sales"])
    never = make_customer(first_name="ترانه", last_name="یگانه", owner=users["sales"])
    make_snapshot(
        [
            (champion, {"segment": "champions", "clv": 9_000_000, "p_alive": 0.95}),
            (
                loyal,
                {"segment": "loyal", "clv": 12_000_000, "p_alive": 0.7, "churn_risk": "low"},
            ),
            (
                lost,
                {
                    "segment": "lost",
                    "clv": None,
                    "p_alive": 0.1,
                    "churn_risk": "high",
                    "is_top": False,
                },
            ),
        ]
    )
    return {"champion": champion, "loyal": loyal, "lost": lost, "never": never}


# --- The 360 card --------------------------------------------------------------------------


@pytest.mark.parametrize("role", [role.value for role in Role])
def test_every_role_sees_the_card(
    login: Callable[..., Client], users: dict[str, Any], book: dict[str, Any], role: str
) -> None:
    response = login(users[role]).get(f"/customers/{book['champion'].pk}/")
    page = body(response)
    assert response.status_code == 200
    assert 'id="analytics-score"' in page
    assert 'data-segment="champions"' in page
    assert ">Champions<" in page
    assert 'id="score-top"' in page, "the top-20% badge"
    assert 'id="score-clv">900,000 Toman<' in page, "Rials shown in Toman"
    assert 'id="score-p-alive">95%<' in page
    assert "Churn risk: Low" in page
    assert 'id="score-rank">1 ' in page
    assert "Reward them" in page, "the segment's suggested action"
    dashboard_link = 'href="/analytics/">All customers</a>'
    assert (dashboard_link in page) == (role in {"admin", "manager", "marketing"})


def test_the_card_in_persian(
    login: Callable[..., Client], users: dict[str, Any], book: dict[str, Any]
) -> None:
    page = body(login(users["sales"], language="fa").get(f"/customers/{book['lost'].pk}/"))
    assert "از دست رفته" in page
    assert 'id="score-p-alive">۱۰٪<' in page
    assert 'id="score-clv">—<' in page, "no CLV without a model fit"
    assert 'id="score-top"' not in page


def test_a_customer_without_a_score(
    login: Callable[..., Client], users: dict[str, Any], book: dict[str, Any]
) -> None:
    page = body(login(users["service"]).get(f"/customers/{book['never'].pk}/"))
    assert 'id="analytics-score"' in page
    assert "No score yet" in page


def test_the_card_costs_no_extra_query(
    login: Callable[..., Client], users: dict[str, Any], book: dict[str, Any]
) -> None:
    """The score comes with the customer (a join), whether the customer has one or not."""
    client = login(users["manager"])
    counts = []
    for customer in (book["champion"], book["never"]):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/customers/{customer.pk}/").status_code == 200
        counts.append(len(queries.captured_queries))
        score_reads = [q for q in queries.captured_queries if "insights_customerscore" in q["sql"]]
        assert len(score_reads) == 1, "read once, joined to the customer"
    assert counts[0] == counts[1]


# --- The list ------------------------------------------------------------------------------


def test_filter_by_segment(
    login: Callable[..., Client], users: dict[str, Any], book: dict[str, Any]
) -> None:
    client = login(users["marketing"])
    assert names(client.get(LIST, {"segment": "champions"})) == ["آرش کامرانی"]
    assert names(client.get(LIST, {"segment": "lost"})) == ["پرویز صالحی"]
    assert names(client.get(LIST, {"segment": "at_risk"})) == []
    assert client.get(LIST, {"segment": "vip"}).status_code == 400


def test_filter_by_risk_and_top(
    login: Callable[..., Client], users: dict[str, Any], book: dict[str, Any]
) -> None:
    client = login(users["manager"])
    assert names(client.get(LIST, {"risk": "high"})) == ["پرویز صالحی"]
    assert names(client.get(LIST, {"risk": "low", "sort": "name"})) == [
        "آرش کامرانی",
        "بیتا نوری",
    ]
    assert names(client.get(LIST, {"top": "1"})) == ["آرش کامرانی"]


def test_sort_by_scores_puts_customers_without_one_last(
    login: Callable[..., Client], users: dict[str, Any], book: dict[str, Any]
) -> None:
    client = login(users["manager"])
    assert names(client.get(LIST, {"sort": "clv"})) == [
        "بیتا نوری",  # 12M
        "آرش کامرانی",  # 9M
        "پرویز صالحی",  # no CLV
        "ترانه یگانه",  # no score at all
    ]
    assert names(client.get(LIST, {"sort": "p_alive"})) == [
        "آرش کامرانی",
        "بیتا نوری",
        "پرویز صالحی",
        "ترانه یگانه",
    ]
    assert names(client.get(LIST, {"sort": "revenue"})) == [
        "آرش کامرانی",
        "بیتا نوری",
        "پرویز صالحی",
        "ترانه یگانه",
    ]
    # With a search term the sort is applied to the matches.
    assert names(client.get(LIST, {"sort": "clv", "q": "پ"})) == ["پرویز صالحی"]
    assert names(client.get(LIST, {"sort": "clv", "segment": "loyal", "q": "نوری"})) == [
        "بیتا نوری"
    ]


def test_the_list_shows_segment_and_clv(
    login: Callable[..., Client], users: dict[str, Any], book: dict[str, Any]
) -> None:
    page = body(login(users["sales"]).get(LIST, {"sort": "clv"}))
    assert ">Loyal<" in page
    assert "1,200,000 Toman" in page
    assert "Segment" in page


def test_sales_sees_the_same_customers_as_before(
    users: dict[str, Any], book: dict[str, Any]
) -> None:
    """Scores filter within what the viewer may read; "mine" still means the owner's book."""
    mine = customer_list(viewer=users["sales"], filters=CustomerFilters(mine=True))
    assert {c.pk for c in mine} == {book["champion"].pk, book["lost"].pk, book["never"].pk}
    mine_lost = customer_list(
        viewer=users["sales"], filters=CustomerFilters(mine=True, segment="lost")
    )
    assert [c.pk for c in mine_lost] == [book["lost"].pk]
    other = customer_list(
        viewer=users["sales2"], filters=CustomerFilters(mine=True, segment="lost")
    )
    assert list(other) == []


def test_a_saved_view_keeps_the_score_filters(
    login: Callable[..., Client], users: dict[str, Any], book: dict[str, Any]
) -> None:
    client = login(users["marketing"])
    response = client.post(
        "/customers/views/", {"name": "VIPs at risk", "query": "segment=champions&risk=low&top=1"}
    )
    assert response.status_code == 302
    assert response["Location"].endswith("?segment=champions&risk=low&top=1")
    assert names(client.get(response["Location"])) == ["آرش کامرانی"]
