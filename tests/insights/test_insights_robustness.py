"""Review checks: bad input never gives a 500, stored results of another shape still render,
escaping, query counts, and a run declared abandoned while it computed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mehvar.insights import services
from mehvar.insights.models import AnalyticsRun, CustomerScore, RunStatus, RunTrigger
from mehvar.insights.schemas import RunResults
from mehvar.insights.services import analytics_recompute
from mehvar.insights.templatetags.insights_tags import decimal, money_whole, percent

pytestmark = pytest.mark.django_db

LIST = "/customers/"
DASHBOARD = "/analytics/"
PAYLOAD = "<img src=x onerror=alert(1)>"
# Fits the score's short columns (churn risk holds 6 characters) on PostgreSQL too.
SHORT_PAYLOAD = "<b>x"


def body(response: Any) -> str:
    return str(response.content.decode())


# --- The customer list's parameters --------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"page": "۲"},
        {"page": "٢"},
        {"page": "x"},
        {"page": "9" * 5000},
        {"page": "-1"},
        {"page": "\x00"},
        {"page": ["1", "x"]},
        {"segment": "٣"},
        {"segment": "x" * 20_000},
        {"segment": ["champions", "lost"]},
        {"risk": "\x00"},
        {"risk": "HIGH"},
        {"top": "\x00"},
        {"top": ["1", "0"]},
        {"sort": "score__clv"},
        {"sort": "-clv"},
        {"sort": ["clv", "bogus"]},
        {"sort": "x" * 20_000},
    ],
)
def test_list_parameters_never_give_a_500(
    login: Callable[..., Client],
    users: dict[str, Any],
    make_customer: Callable[..., Any],
    make_snapshot: Callable[..., Any],
    params: dict[str, Any],
) -> None:
    customer = make_customer()
    make_snapshot([(customer, {})])
    assert login(users["sales"]).get(LIST, params).status_code in (200, 400)


def test_the_list_with_scores_costs_the_same_queries_for_more_rows(
    login: Callable[..., Client],
    users: dict[str, Any],
    make_customer: Callable[..., Any],
    make_snapshot: Callable[..., Any],
) -> None:
    """Segment, CLV and owner come joined to each row, scored or not: no query per row."""
    client = login(users["manager"])
    few = [make_customer(owner=users["sales"]), make_customer()]
    run = make_snapshot([(few[0], {})])
    counts = []
    for params in ({"sort": "clv"}, {"sort": "revenue", "segment": "champions"}):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(LIST, params).status_code == 200
        counts.append(len(queries))
    many = few + [make_customer(owner=users["sales2"]) for _ in range(12)]
    run.delete()
    make_snapshot([(customer, {}) for customer in many[:10]])
    for i, params in enumerate(({"sort": "clv"}, {"sort": "revenue", "segment": "champions"})):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(LIST, params).status_code == 200
        assert len(queries) == counts[i], params


# --- Stored results of another shape -------------------------------------------------------


@pytest.mark.parametrize(
    "results",
    [
        {},
        {"pareto": None},
        {"pareto": {"curve": []}},  # an older Pareto summary without its shares
        {"segments": [{"code": "champions"}]},
        {"cleaning": {"orders": 3, "first_date": "garbage", "last_date": "2024-01-01"}},
        {
            "cleaning": {"first_date": "2024-01-01T00:00:00", "last_date": "?"},
            "holdout_missing": "short_history",
        },
        {"cleaning": ["not", "a", "mapping"]},
        {"options": {"inactive_days": None}},
        {"bgnbd": {"params": {"r": 1}}},
        {"churn_last_complete": {"start": "2024-01-01"}},
        {"holdout_missing": "a reason from the future"},
        {"holdout": {"calibration_end": "2024-01-01"}},
        {"clv_median": "abc"},
        [1, 2],
        "text",
    ],
)
def test_the_dashboard_renders_results_of_another_shape(
    login: Callable[..., Client],
    users: dict[str, Any],
    make_snapshot: Callable[..., Any],
    results: Any,
) -> None:
    run = make_snapshot()
    AnalyticsRun.objects.filter(pk=run.pk).update(results=results)
    response = login(users["manager"]).get(DASHBOARD)
    assert response.status_code == 200
    page = body(response)
    assert 'id="insights-data"' in page
    assert 'id="segments"' in page


def test_a_missing_figure_shows_a_dash_and_the_rest_stays(
    login: Callable[..., Client], users: dict[str, Any], make_snapshot: Callable[..., Any]
) -> None:
    run = make_snapshot()
    old = {**run.results, "pareto": {"curve": []}, "segments": [{"code": "lost"}]}
    AnalyticsRun.objects.filter(pk=run.pk).update(results=old)
    run.refresh_from_db()
    results = run.parsed_results
    assert results.pareto is None
    assert results.segments == []
    assert results.bgnbd is not None, "the valid parts are kept"
    page = body(login(users["manager"]).get(DASHBOARD))
    assert 'id="kpi-top-share">—<' in page
    assert 'id="kpi-gini">—<' in page
    assert "log-likelihood" in page


def test_from_stored_never_raises() -> None:
    assert RunResults.from_stored(None) == RunResults()
    assert RunResults.from_stored([1]) == RunResults()
    assert RunResults.from_stored({"clv_median": "x", "gini": 1}).clv_median is None


@pytest.mark.parametrize("value", ["", "abc", None, float("nan"), float("inf"), True])
def test_the_figure_filters_show_a_dash_for_what_is_not_a_number(value: Any) -> None:
    assert percent(value) == "—"
    assert decimal(value) == "—"
    assert money_whole(value) == "—"


# --- Escaping ------------------------------------------------------------------------------


def test_stored_texts_are_escaped_everywhere(
    login: Callable[..., Client],
    users: dict[str, Any],
    make_customer: Callable[..., Any],
    make_snapshot: Callable[..., Any],
) -> None:
    customer = make_customer()
    run = make_snapshot([(customer, {"segment": SHORT_PAYLOAD, "churn_risk": SHORT_PAYLOAD})])
    results = {
        **run.results,
        "rfm_grid": [{"r": 5, "fm": 5, "segment": PAYLOAD, "customers": 1, "revenue": 1}],
        "segments": [{"code": PAYLOAD, "customers": 1, "revenue": 1}],
        "fit_error_template": "%(why)s",
        "fit_error_params": {"why": PAYLOAD},
    }
    AnalyticsRun.objects.filter(pk=run.pk).update(results=results, fit_error=PAYLOAD)
    client = login(users["manager"])
    for url in (DASHBOARD, LIST, f"/customers/{customer.pk}/"):
        response = client.get(url)
        assert response.status_code == 200
        assert PAYLOAD not in body(response), url
        assert SHORT_PAYLOAD not in body(response), url
        assert "script-src 'self'" in response["Content-Security-Policy"]
    # An old run keeps only the English sentence in ``fit_error``.
    AnalyticsRun.objects.filter(pk=run.pk).update(results={**results, "fit_error_template": None})
    page = body(client.get(DASHBOARD))
    assert PAYLOAD not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


# --- A run declared abandoned while it was still computing ---------------------------------


def test_a_run_abandoned_while_computing_does_not_store(
    make_customer: Callable[..., Any],
    make_order: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its worker was slow, not dead: a newer run took over, so the late one must not write."""
    customer = make_customer()
    make_order(customer, 1_000_000, days_ago=40)
    make_order(customer, 2_000_000, days_ago=10)
    real_compute = services.compute
    newer: list[AnalyticsRun] = []

    def slow_compute(*args: Any, **kwargs: Any) -> Any:
        outcome = real_compute(*args, **kwargs)
        # Meanwhile, STALE_AFTER passed and another worker started a run.
        AnalyticsRun.objects.filter(status=RunStatus.RUNNING).update(
            started_at=timezone.now() - services.STALE_AFTER - timedelta(minutes=1)
        )
        newer.append(services._start(trigger=RunTrigger.SCHEDULE, actor=None))
        return outcome

    monkeypatch.setattr(services, "compute", slow_compute)
    late = analytics_recompute(trigger=RunTrigger.MANUAL)
    assert late.status == RunStatus.FAILED
    assert late.error.startswith("Abandoned")
    assert not CustomerScore.objects.exists(), "the late run wrote nothing"
    newer[0].refresh_from_db()
    assert newer[0].status == RunStatus.RUNNING, "the newer run is untouched"

    # The newer run then finishes normally.
    monkeypatch.setattr(services, "compute", real_compute)
    AnalyticsRun.objects.filter(pk=newer[0].pk).delete()
    assert analytics_recompute(trigger=RunTrigger.MANUAL).status == RunStatus.SUCCEEDED
    assert CustomerScore.objects.count() == 1


def test_the_task_twice_in_a_row_keeps_one_snapshot(
    users: dict[str, Any], make_customer: Callable[..., Any], make_order: Callable[..., Any]
) -> None:
    from mehvar.insights import tasks

    make_order(make_customer(), 1_000_000, days_ago=5)
    tasks.recompute("manual", users["manager"].pk)
    tasks.recompute("manual", users["manager"].pk)
    runs = list(AnalyticsRun.objects.order_by("id"))
    assert [run.status for run in runs] == [RunStatus.SUCCEEDED, RunStatus.SUCCEEDED]
    assert set(CustomerScore.objects.values_list("run_id", flat=True)) == {runs[1].pk}
    assert not AnalyticsRun.objects.filter(status=RunStatus.RUNNING).exists()
