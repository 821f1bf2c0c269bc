"""The service dashboard: figures on a hand-built desk, who may see it, and the effect arithmetic.

Tickets are opened through the service, then their stored SLA figures are set to known values
(the dashboard reads the stored business seconds; how they are measured is ``test_service_sla``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mehvar.customers.models import Order, OrderStatus
from mehvar.feedback import surveys
from mehvar.feedback.models import Invitation, Response, Survey
from mehvar.service import compensation, selectors
from mehvar.service.effect import Outcome, difference_interval, effect_of
from mehvar.service.models import CompensationEntry, Team, Ticket, TicketStatus

pytestmark = pytest.mark.django_db

URL = "/service/"
HOUR = 3600


@pytest.fixture
def login(client: Client) -> Callable[..., Client]:
    def sign_in(user: Any, language: str = "en") -> Client:
        client.cookies["django_language"] = language
        client.force_login(user)
        return client

    return sign_in


def body(response: Any) -> str:
    return str(response.content.decode())


def chart_data(response: Any) -> dict[str, Any]:
    match = re.search(
        r'<script id="service-dashboard-data" type="application/json">(.*?)</script>',
        body(response),
        re.S,
    )
    assert match is not None, "the page carries its chart data"
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def card(response: Any, key: str) -> str:
    match = re.search(
        rf'<div class="card h-100" id="kpi-{key}">(.*?)</div></div></div>', body(response), re.S
    )
    assert match is not None
    return re.sub(r"\s+", " ", match.group(1))


def set_ticket(ticket: Ticket, **fields: Any) -> Ticket:
    Ticket.objects.filter(pk=ticket.pk).update(**fields)
    ticket.refresh_from_db()
    return ticket


@pytest.fixture
def known(make_ticket: Any, desk: dict[str, Any]) -> dict[str, Any]:
    """Five tickets of the last days (normal priority: 4 h to answer, 24 h to resolve).

    1. resolved: answered in 0.5 h, resolved in 1 h — met both;
    2. resolved: answered in 20,000 s (over 14,400), resolved in 50,000 s; reopened once;
    3. closed: answered in 2 h, resolved in 100,000 s (over 86,400);
    4. open, never answered, its first-response deadline passed an hour ago: overdue;
    5. open, answered in 1 h, resolution due tomorrow.
    """
    made = [make_ticket(priority="normal") for _ in range(5)]
    now = timezone.now()
    common = {"sla_response_minutes": 240, "sla_resolution_minutes": 1440}
    done = {"paused_since": now - timedelta(hours=1), "resolution_due": None}
    set_ticket(
        made[0],
        status=TicketStatus.RESOLVED,
        response_seconds=1800,
        resolution_seconds=HOUR,
        resolved_at=now,
        **common,
        **done,
    )
    set_ticket(
        made[1],
        status=TicketStatus.RESOLVED,
        response_seconds=20_000,
        resolution_seconds=50_000,
        resolved_at=now,
        reopen_count=1,
        **common,
        **done,
    )
    set_ticket(
        made[2],
        status=TicketStatus.CLOSED,
        response_seconds=2 * HOUR,
        resolution_seconds=100_000,
        resolved_at=now,
        **common,
        **done,
    )
    set_ticket(
        made[3],
        status=TicketStatus.NEW,
        first_response_due=now - timedelta(hours=1),
        resolution_due=now + timedelta(hours=5),
        **common,
    )
    set_ticket(
        made[4],
        status=TicketStatus.OPEN,
        response_seconds=HOUR,
        first_responded_at=now - timedelta(hours=2),
        resolution_due=now + timedelta(days=1),
        **common,
    )
    return {"tickets": made, "now": now}


# --- The arithmetic ------------------------------------------------------------------------


def test_percentile_interpolates_between_order_statistics() -> None:
    values = list(range(1, 11))
    assert selectors.percentile(values, 0.5) == 5.5
    assert selectors.percentile(values, 0.9) == pytest.approx(9.1)
    assert selectors.percentile([7], 0.9) == 7
    assert selectors.percentile([], 0.5) is None


def test_newcombe_interval_on_his_own_examples() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873, table II, method 10.
    result = difference_interval(56, 70, 48, 80)
    assert result.value == pytest.approx(0.2)
    assert (round(result.low, 4), round(result.high, 4)) == (0.0524, 0.3339)
    result = difference_interval(9, 10, 3, 10)
    assert (round(result.low, 4), round(result.high, 4)) == (0.1705, 0.8090)
    result = difference_interval(5, 56, 0, 29)
    assert (round(result.low, 4), round(result.high, 4)) == (-0.0381, 0.1926)
    with pytest.raises(ValueError, match="at least one"):
        difference_interval(1, 0, 1, 2)


def test_effect_groups_and_their_difference() -> None:
    # Compensated: 6 of 10 bought again; others: 3 of 10 (hand-computed difference 0.3).
    outcomes = [
        Outcome(compensated=True, bought_again=i < 6, revenue=1000 if i < 6 else 0, churned=None)
        for i in range(10)
    ] + [
        Outcome(compensated=False, bought_again=i < 3, revenue=500 if i < 3 else 0, churned=i >= 5)
        for i in range(10)
    ]
    result = effect_of(outcomes)
    assert (result.compensated.n, result.compensated.bought_again) == (10, 6)
    assert result.compensated.revenue_per_customer == 600
    assert result.compensated.churn_n == 0
    assert result.compensated.churn_share is None
    assert (result.others.churn_n, result.others.churned) == (10, 5)
    difference = result.repurchase_difference
    assert difference is not None
    assert difference.value == pytest.approx(0.3)
    assert difference.low < 0.3 < difference.high
    assert difference.low < 0  # ten customers a side cannot show it
    assert effect_of([o for o in outcomes if o.compensated]).repurchase_difference is None


# --- The figures ---------------------------------------------------------------------------


def test_figures_of_the_known_tickets(known: dict[str, Any]) -> None:
    now = known["now"]
    filters, errors = selectors.parse_filters({"period": "30"}, now=now)
    assert errors == {}
    rows = selectors.ticket_rows(start=filters.start, end=filters.end, team_id=None, now=now)
    overview = selectors.overview(rows, team_id=None, now=now)
    assert (overview.opened, overview.open_now, overview.overdue_now) == (5, 2, 1)
    # Answered: 1,800 / 20,000 / 7,200 / 3,600 → median 5,400; p90 at rank 2.7.
    assert overview.response.n == 4
    assert overview.response.median == 5400
    assert overview.response.p90 == pytest.approx(7200 + 0.7 * (20_000 - 7200))
    assert (overview.response.met, overview.response.judged) == (3, 4)
    # Resolved (the open ones are not): 3,600 / 50,000 / 100,000.
    assert overview.resolution.n == 3
    assert overview.resolution.median == 50_000
    assert overview.resolution.p90 == pytest.approx(50_000 + 0.8 * 50_000)
    assert (overview.resolution.met, overview.resolution.judged) == (2, 3)
    # Breached: #2 (reply), #3 (resolution), #4 (overdue) of 5.
    assert (overview.breach.count, overview.breach.of) == (3, 5)
    assert (overview.reopen.count, overview.reopen.of) == (1, 3)
    assert (overview.repeat.count, overview.repeat.of) == (0, 5)


def test_a_waiting_ticket_over_its_target_counts_as_breached(
    make_ticket: Any, known: dict[str, Any]
) -> None:
    now = known["now"]
    waiting = make_ticket()
    # Opened ten days ago, waiting on the customer since yesterday, never paused before: its
    # running time is far over a 4-hour target although no deadline is stored while it waits.
    set_ticket(
        waiting,
        created_at=now - timedelta(days=10),
        status=TicketStatus.WAITING,
        paused_since=now - timedelta(days=1),
        first_response_due=None,
        resolution_due=None,
        response_seconds=HOUR,
        sla_response_minutes=240,
        sla_resolution_minutes=240,
    )
    rows = selectors.ticket_rows(
        start=now - timedelta(days=30), end=now + timedelta(seconds=1), team_id=None, now=now
    )
    row = next(r for r in rows if r.pk == waiting.pk)
    assert row.resolution_breached
    assert not row.response_breached
    overview = selectors.overview(rows, team_id=None, now=now)
    assert overview.overdue_now == 1  # paused tickets are not "overdue now"


def test_csat_counts_only_answers_to_ticket_surveys(
    users: dict[str, Any], known: dict[str, Any], make_customer: Any
) -> None:
    now = known["now"]
    survey = surveys.survey_save(
        actor=users["manager"],
        data={
            "title_fa": "رضایت",
            "questions": [{"key": "csat", "kind": "csat", "text_fa": "راضی بودید؟"}],
        },
    )
    other_team = Team.objects.create(name="Other")
    outside = known["tickets"][4]
    set_ticket(outside, team=other_team)

    def answer(key: str | None, score: int) -> Response:
        customer = make_customer()
        invitation = None
        if key is not None:
            invitation = Invitation.objects.create(
                survey=survey,
                customer=customer,
                channel="sms",
                expires_at=now + timedelta(days=14),
                trigger_key=key,
            )
        return Response.objects.create(
            survey=survey,
            invitation=invitation,
            customer=customer,
            submitted_at=now - timedelta(days=1),
            csat=score,
        )

    first, second = known["tickets"][0], known["tickets"][1]
    answer(f"ticket:{first.pk}:resolved:0", 5)
    answer(f"ticket:{second.pk}:resolved:1", 2)
    answer(f"ticket:{outside.pk}:resolved:0", 4)
    answer("rule:1:order:2", 1)  # another survey's invitation: not about a ticket
    answer(None, 1)  # the public link
    filters, _errors = selectors.parse_filters({"period": "30"}, now=now)
    result = selectors.csat_after_resolution(filters)
    assert result.n == 3
    assert result.score.satisfied == 2
    assert result.mean == pytest.approx(11 / 3)
    assert result.counts == {1: 0, 2: 1, 3: 0, 4: 1, 5: 1}
    team = Team.objects.get(name="Support")
    filters, _errors = selectors.parse_filters({"period": "30", "team": str(team.pk)}, now=now)
    in_team = selectors.csat_after_resolution(filters)
    assert (in_team.n, in_team.score.satisfied, in_team.mean) == (2, 1, 3.5)
    assert Survey.objects.count() == 1


def test_budgets_and_compensation_by_kind(desk: dict[str, Any], known: dict[str, Any]) -> None:
    ticket = known["tickets"][0]
    compensation.compensation_grant(
        actor=desk["agent"], ticket=ticket, kind="voucher", amount=3_000_000, reason="دیر رسید"
    )
    grant = compensation.compensation_grant(
        actor=desk["agent"], ticket=ticket, kind="voucher", amount=1_000_000, reason="دوباره"
    )
    assert isinstance(grant, CompensationEntry)
    compensation.compensation_reverse(actor=desk["lead"], entry=grant, reason="اشتباه")
    now = timezone.now()
    [budget] = selectors.budgets(team_id=None, now=now)
    assert (budget.budget, budget.spent, budget.left) == (20_000_000, 3_000_000, 17_000_000)
    filters, _errors = selectors.parse_filters({"period": "30"}, now=now)
    [voucher] = selectors.compensation_by_kind(filters)
    assert (voucher.kind, voucher.net, voucher.grants, voucher.discretionary) == (
        "voucher",
        3_000_000,
        2,
        True,
    )


def test_the_effect_compares_complainants_resolved_long_enough_ago(
    desk: dict[str, Any], make_ticket: Any, make_customer: Any
) -> None:
    now = timezone.now()
    resolved = now - timedelta(days=200)
    people = [make_customer() for _ in range(3)]
    for person in people:
        ticket = make_ticket(customer=person, kind="complaint")
        set_ticket(ticket, status=TicketStatus.CLOSED, resolved_at=resolved)
    given = Ticket.objects.get(customer=people[0])
    CompensationEntry.objects.create(
        ticket=given,
        customer=people[0],
        team=desk["team"],
        kind="voucher",
        amount=2_000_000,
        reason="…",
        granted_by=desk["agent"],
        created_at=resolved,
    )

    def order(person: Any, days: int, status: str = OrderStatus.DELIVERED) -> None:
        Order.objects.create(
            number=f"N-{person.pk}-{days}-{status}",
            customer=person,
            placed_at=resolved + timedelta(days=days),
            status=status,
            total=5_000_000,
        )

    order(people[0], 30)  # compensated, bought again within 90 days
    order(people[1], 120)  # not compensated: bought after 90 days, not lost
    order(people[2], 10, OrderStatus.CANCELLED)  # a cancelled order is no purchase
    filters, _errors = selectors.parse_filters({"period": "365"}, now=now)
    effect = selectors.compensation_effect(filters, now=now)
    assert effect.end == now - timedelta(days=90)
    result = effect.result
    assert result is not None
    assert (result.compensated.n, result.compensated.bought_again) == (1, 1)
    assert result.compensated.revenue == 5_000_000
    assert (result.others.n, result.others.bought_again, result.others.revenue) == (2, 0, 0)
    assert (result.others.churn_n, result.others.churned) == (2, 1)
    # The last 90 days cannot be judged yet.
    filters, _errors = selectors.parse_filters({"period": "90"}, now=now)
    assert selectors.compensation_effect(filters, now=now).result is None


# --- Filters -------------------------------------------------------------------------------


def test_filters_read_any_digits_and_report_what_they_cannot(desk: dict[str, Any]) -> None:
    now = datetime(2024, 5, 1, 9, 0, tzinfo=timezone.get_current_timezone())
    filters, errors = selectors.parse_filters({"period": "۱۴۰۳-۰۱"}, now=now)
    assert errors == {}
    assert (filters.period, filters.start.date().isoformat()) == ("1403-01", "2024-03-20")
    assert filters.end.date().isoformat() == "2024-04-20"  # 1 Ordibehesht
    filters, errors = selectors.parse_filters({"period": "45", "team": "x"}, now=now)
    assert set(errors) == {"period", "team"}
    assert (filters.period, filters.team_id) == ("90", None)
    _filters, errors = selectors.parse_filters({"period": "1403-05"}, now=now)
    assert "period" in errors  # has not begun
    filters, errors = selectors.parse_filters({"team": f"{desk['team'].pk}"}, now=now)
    assert (errors, filters.team_id) == ({}, desk["team"].pk)


# --- The page ------------------------------------------------------------------------------


def test_url() -> None:
    assert reverse("service:dashboard") == URL


@pytest.mark.parametrize("role", ["admin", "manager", "service"])
def test_leads_and_service_see_the_dashboard(
    role: str, users: dict[str, Any], login: Callable[..., Client], known: dict[str, Any]
) -> None:
    response = login(users[role]).get(URL)
    assert response.status_code == 200
    assert 'id="service-dashboard"' in body(response)


@pytest.mark.parametrize("role", ["sales", "marketing"])
def test_others_are_refused(
    role: str, users: dict[str, Any], login: Callable[..., Client], known: dict[str, Any]
) -> None:
    response = login(users[role]).get(URL)
    assert response.status_code == 403
    assert "service-dashboard" not in body(response)


def test_anonymous_is_sent_to_sign_in(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_empty_desk_says_how_to_start(users: dict[str, Any], login: Callable[..., Client]) -> None:
    html = body(login(users["manager"]).get(URL))
    assert 'id="service-empty"' in html
    assert "service-dashboard-data" not in html


def test_the_page_shows_the_figures(
    users: dict[str, Any],
    login: Callable[..., Client],
    known: dict[str, Any],
    django_assert_max_num_queries: Any,
) -> None:
    client = login(users["manager"])
    with django_assert_max_num_queries(25):
        response = client.get(URL, {"period": "30"})
    assert "60%" in card(response, "breach")  # 3 of 5
    assert "3 of 5" in card(response, "breach")
    assert "33%" in card(response, "reopen")
    assert "data-value>1</div>" in card(response, "overdue")
    html = body(response)
    speed = re.sub(r"\s+", " ", html[html.index('id="speed-response"') :][:600])
    assert "1.5 h" in speed  # median 5,400 s
    assert "75%" in speed
    data = chart_data(response)
    assert sum(data["trend"]["opened"]) == 5
    assert data["kinds"]["labels"] == ["Complaint"]
    assert 'id="effect-caveat"' in html
    assert "not proof of cause" in html


def test_the_persian_page_uses_persian_digits(
    users: dict[str, Any], login: Callable[..., Client], known: dict[str, Any]
) -> None:
    response = login(users["manager"], "fa").get(URL, {"period": "30"})
    assert "۶۰٪" in card(response, "breach")
    assert chart_data(response)["lang"] == "fa"


def test_bad_filters_keep_the_page_and_say_why(
    users: dict[str, Any], login: Callable[..., Client], known: dict[str, Any]
) -> None:
    response = login(users["manager"]).get(URL, {"period": "1000", "team": "<b>"})
    assert response.status_code == 200
    html = body(response)
    assert 'id="f-period-error"' in html
    assert 'id="f-team-error"' in html
    assert "<b>" not in html.split('id="dashboard-filters"')[1].split("</form>")[0]


def test_a_ticket_resolved_without_a_reply_missed_its_response_target(
    make_ticket: Any, known: dict[str, Any]
) -> None:
    now = known["now"]
    silent = make_ticket()
    # Never answered, resolved after 10 business hours against a 4-hour response target.
    set_ticket(
        silent,
        created_at=now - timedelta(days=5),
        status=TicketStatus.RESOLVED,
        resolved_at=now - timedelta(days=1),
        response_seconds=None,
        resolution_seconds=10 * HOUR,
        sla_response_minutes=240,
        sla_resolution_minutes=24 * 60,
    )
    rows = selectors.ticket_rows(
        start=now - timedelta(days=30), end=now + timedelta(seconds=1), team_id=None, now=now
    )
    row = next(r for r in rows if r.pk == silent.pk)
    assert row.response_breached
    assert not row.resolution_breached


@pytest.mark.parametrize("period", ["²", "1²", "٣٠", "３０"])
def test_odd_digits_in_the_period_never_break_the_page(
    users: dict[str, Any], login: Callable[..., Client], known: dict[str, Any], period: str
) -> None:
    response = login(users["manager"]).get(URL, {"period": period})
    assert response.status_code == 200
