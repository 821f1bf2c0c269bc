"""The analytics dashboard: who may see it, who may recompute, the empty state and the figures."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mehvar.core.roles import Role
from mehvar.insights.models import STALE_AFTER, AnalyticsRun, RunStatus, RunTrigger

pytestmark = pytest.mark.django_db

DASHBOARD = "/analytics/"
RECOMPUTE = "/analytics/recompute/"
VIEWERS = [Role.ADMIN, Role.MANAGER, Role.MARKETING]
OTHERS = [Role.SALES, Role.SERVICE]


def body(response: Any) -> str:
    return str(response.content.decode())


def chart_data(response: Any) -> dict[str, Any]:
    match = re.search(
        r'<script id="insights-data" type="application/json">(.*?)</script>', body(response), re.S
    )
    assert match is not None, "the page carries its chart data"
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def test_urls() -> None:
    assert reverse("insights:dashboard") == DASHBOARD
    assert reverse("insights:recompute") == RECOMPUTE


@pytest.mark.parametrize("role", VIEWERS)
def test_leads_and_marketing_see_the_dashboard(
    login: Callable[..., Client], users: dict[str, Any], role: str
) -> None:
    response = login(users[role]).get(DASHBOARD)
    assert response.status_code == 200
    assert 'href="/analytics/"' in body(response), "the menu links to it"


@pytest.mark.parametrize("role", OTHERS)
def test_sales_and_service_are_refused(
    login: Callable[..., Client], users: dict[str, Any], role: str
) -> None:
    response = login(users[role]).get(DASHBOARD)
    assert response.status_code == 403
    assert "for managers and marketing" in body(response)
    assert 'href="/analytics/"' not in body(response), "no menu link to a page they cannot open"


def test_anonymous_visitors_go_to_the_login(client: Client) -> None:
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert client.post(RECOMPUTE).status_code == 302
    assert not AnalyticsRun.objects.exists()


def test_empty_state_offers_the_button_to_leads_only(
    login: Callable[..., Client], users: dict[str, Any]
) -> None:
    page = body(login(users["manager"]).get(DASHBOARD))
    assert "No analytics yet" in page
    assert f'action="{RECOMPUTE}"' in page
    assert 'id="insights-data"' not in page, "no charts without a run"
    assert "chart.umd.min.js" not in page

    page = body(login(users["marketing"]).get(DASHBOARD))
    assert "No analytics yet" in page
    assert "A manager can compute them now." in page
    assert f'action="{RECOMPUTE}"' not in page


@pytest.mark.parametrize("role", [Role.MARKETING, Role.SALES, Role.SERVICE])
def test_only_leads_may_recompute(
    login: Callable[..., Client], users: dict[str, Any], role: str
) -> None:
    response = login(users[role]).post(RECOMPUTE)
    assert response.status_code == 403
    assert not AnalyticsRun.objects.exists()


def test_recompute_needs_a_post_with_csrf(users: dict[str, Any]) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(users["manager"])
    assert browser.get(RECOMPUTE).status_code == 405
    assert browser.post(RECOMPUTE).status_code == 403
    assert not AnalyticsRun.objects.exists()


def test_a_manager_recomputes_from_the_dashboard(
    login: Callable[..., Client],
    users: dict[str, Any],
    make_customer: Callable[..., Any],
    make_order: Callable[..., Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    customer = make_customer()
    make_order(customer, 1_000_000, days_ago=40)
    make_order(customer, 2_000_000, days_ago=10)
    client = login(users["manager"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(RECOMPUTE, follow=True)
    assert response.status_code == 200
    run = AnalyticsRun.objects.get()
    assert run.trigger == RunTrigger.MANUAL
    assert run.requested_by == users["manager"]
    assert run.status == RunStatus.SUCCEEDED
    assert run.n_customers == 1
    assert "being recomputed" in body(response)


def test_the_button_says_so_when_a_run_is_going(
    login: Callable[..., Client], users: dict[str, Any]
) -> None:
    AnalyticsRun.objects.create(trigger=RunTrigger.SCHEDULE)
    client = login(users["admin"])
    page = body(client.get(DASHBOARD))
    assert "A recompute has been running since" in page
    response = client.post(RECOMPUTE, follow=True)
    assert "already being recomputed" in body(response)
    assert AnalyticsRun.objects.count() == 1


def test_the_dashboard_shows_the_latest_snapshot(
    login: Callable[..., Client],
    users: dict[str, Any],
    make_customer: Callable[..., Any],
    make_snapshot: Callable[..., Any],
) -> None:
    make_snapshot([(make_customer(), {})])
    response = login(users["marketing"]).get(DASHBOARD)
    page = body(response)
    assert response.status_code == 200
    assert 'id="kpi-top-share">73%<' in page
    assert 'id="kpi-gini">0.65<' in page
    assert 'id="kpi-churn">10.0%<' in page
    assert "Ordibehesht 1403" in page, "churn month as a Jalali label"
    for chart in ("chart-pareto", "chart-clv", "chart-churn"):
        assert f'id="{chart}"' in page
    assert 'id="rfm-grid"' in page
    assert 'id="cohort-table"' in page
    assert "Farvardin 1403" in page, "cohort rows are Jalali months"
    # The segment table links to the customer list filtered by that segment.
    assert 'href="/customers/?segment=champions&amp;sort=revenue"' in page
    assert "Champions" in page
    assert "Reward them" in page, "with the library's suggested action"
    # The charts come from a static script fed by json_script: no inline script (strict CSP).
    assert re.search(r"<script>(?!\s*</script>)", page) is None
    assert "mehvar/insights.js" in page
    data = chart_data(response)
    assert data["lang"] == "en"
    assert data["pareto"]["points"][1] == [20.0, 73.4]
    assert data["clv"]["counts"] == [40, 12]
    assert data["clv"]["labels"] == ["0–1 M", "1–2 M"], "Toman, compact"
    assert data["churn"]["labels"] == ["Farvardin 1403", "Ordibehesht 1403"]
    assert data["churn"]["rates"] == [4.0, 10.0]
    assert "7 sold orders read: 6 purchase days of 3 customers." in page
    assert "From 2024-03-20 to 2024-05-20." in page
    assert "Dropped 1 rows of transactions worth less than nothing." in page


def test_the_dashboard_in_persian(
    login: Callable[..., Client],
    users: dict[str, Any],
    make_customer: Callable[..., Any],
    make_snapshot: Callable[..., Any],
) -> None:
    make_snapshot([(make_customer(), {})])
    response = login(users["manager"], language="fa").get(DASHBOARD)
    page = body(response)
    assert '<html lang="fa" dir="rtl">' in page
    assert 'id="kpi-top-share">۷۳٪<' in page
    assert 'id="kpi-gini">۰٫۶۵<' in page
    assert 'id="kpi-churn">۱۰٫۰٪<' in page
    assert "قهرمانان" in page, "segment labels from the library, in Persian"
    data = chart_data(response)
    assert data["lang"] == "fa"
    assert data["churn"]["labels"] == ["فروردین ۱۴۰۳", "اردیبهشت ۱۴۰۳"]
    assert data["clv"]["labels"] == ["۰–۱ میلیون", "۱–۲ میلیون"]
    assert not re.search(r"[0-9]", "".join(data["churn"]["labels"] + data["clv"]["labels"]))
    assert "از ۱۴۰۳/۰۱/۰۱ تا ۱۴۰۳/۰۲/۳۱." in page, "cleaning span in Jalali"


def test_a_fit_error_is_explained(
    login: Callable[..., Client],
    users: dict[str, Any],
    make_customer: Callable[..., Any],
    make_snapshot: Callable[..., Any],
) -> None:
    make_snapshot(
        [(make_customer(), {"clv": None, "p_alive": None})],
        fit_error="Too few repeat buyers to fit the model.",
    )
    page = body(login(users["manager"]).get(DASHBOARD))
    assert 'id="fit-error"' in page
    assert "Too few repeat buyers" in page


def test_a_failed_run_keeps_the_last_good_figures(
    login: Callable[..., Client],
    users: dict[str, Any],
    make_customer: Callable[..., Any],
    make_snapshot: Callable[..., Any],
) -> None:
    make_snapshot([(make_customer(), {})])
    AnalyticsRun.objects.create(
        trigger=RunTrigger.SCHEDULE, status=RunStatus.FAILED, error="OperationalError: disk full"
    )
    page = body(login(users["manager"]).get(DASHBOARD))
    assert "The last recompute failed" in page
    assert "disk full" in page
    assert 'id="insights-data"' in page


def test_a_run_whose_worker_died_does_not_block_the_button(
    login: Callable[..., Client], users: dict[str, Any]
) -> None:
    AnalyticsRun.objects.create(
        trigger=RunTrigger.SCHEDULE, started_at=timezone.now() - STALE_AFTER - timedelta(minutes=5)
    )
    page = body(login(users["manager"]).get(DASHBOARD))
    assert "A recompute has been running" not in page
    assert "The last recompute failed" in page
    assert re.search(r'<button class="btn btn-sm btn-primary" type="submit">', page)
