"""How far to trust the model (the holdout check) and the fit problem in the reader's language."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from pydantic import ValidationError

from mehvar.customers.models import OrderStatus
from mehvar.insights.models import AnalyticsRun, RunStatus, RunTrigger
from mehvar.insights.schemas import FrequencyRow, HoldoutCheck, RunResults
from mehvar.insights.services import analytics_recompute

pytestmark = pytest.mark.django_db

DASHBOARD = "/analytics/"
HOLDOUT_DAYS = 91
LATIN_DIGIT = re.compile(r"[0-9]")

# Days ago of each customer's orders (amounts do not matter to the purchase model). Between them:
# orders on the calibration end itself (91 days ago, before the check) and on the first day of
# the check (90 days ago), two orders on one day, one customer who first bought inside the
# check (the model has not met them) and more than 182 days of history.
ELDEST = [400, 330, 260, 190, 120, 91, 90, 60, 60, 20, 3]  # 60 twice: one purchase day
LATECOMER = [80, 40, 10]


def buyers(seed: int, n: int) -> list[list[int]]:
    """Customers buying at their own pace with random gaps until they drop out (BG/NBD-like).

    Evenly spaced purchases would not do: too regular a base drives the fit to a degenerate
    optimum. This seed gives a well-behaved fit on both the whole history and the calibration.
    """
    rng = random.Random(seed)
    histories = []
    for _ in range(n):
        day = rng.randint(100, 420)
        rate = rng.choice([1 / 15, 1 / 40, 1 / 90, 1 / 200])
        days = [day]
        while True:
            day -= max(1, round(rng.expovariate(rate)))
            if day < 0 or rng.random() < 0.15:
                break
            days.append(day)
        histories.append(days)
    return histories


HISTORIES = [ELDEST, LATECOMER, *buyers(0, 30)]


def body(response: Any) -> str:
    return str(response.content.decode())


def chart_data(response: Any) -> dict[str, Any]:
    match = re.search(
        r'<script id="insights-data" type="application/json">(.*?)</script>', body(response), re.S
    )
    assert match is not None, "the page carries its chart data"
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def expected_holdout(histories: list[list[int]]) -> dict[str, Any]:
    """The check counted by hand: who had bought by the calibration end, and what they did then.

    A day ``HOLDOUT_DAYS`` ago is the calibration end (still calibration); the check is the days
    after it up to today. Orders of one day are one purchase.
    """
    customers = 0
    actual = 0
    buckets: dict[str, list[int]] = {}
    for history in histories:
        days = set(history)
        before = {d for d in days if d >= HOLDOUT_DAYS}
        if not before:
            continue  # first bought during the check: not compared
        customers += 1
        after = len({d for d in days if d < HOLDOUT_DAYS})
        actual += after
        repeat = len(before) - 1
        key = "7+" if repeat >= 7 else str(repeat)
        buckets.setdefault(key, []).append(after)
    return {"customers": customers, "actual": actual, "buckets": buckets}


@pytest.fixture
def company(make_customer: Callable[..., Any], make_order: Callable[..., Any]) -> list[Any]:
    people = []
    for n, history in enumerate(HISTORIES):
        person = make_customer(first_name=f"مشتری{n}", last_name="نمونه")
        for days_ago in history:
            make_order(person, 1_000_000 + 10_000 * n, days_ago=days_ago)
        people.append(person)
    # A cancelled order in the check is not a purchase.
    make_order(people[0], 5_000_000, days_ago=30, status=OrderStatus.CANCELLED)
    return people


@pytest.fixture
def young_company(make_customer: Callable[..., Any], make_order: Callable[..., Any]) -> None:
    """Five months of orders: enough repeat buyers for the model, too little history to check."""
    for i in range(24):
        person = make_customer(first_name=f"تازه{i}", last_name="نمونه")
        for days_ago in [150 - 3 * i - 30 * k for k in range(1 + i % 3)]:
            make_order(person, 2_000_000, days_ago=days_ago)


def test_a_run_checks_the_model_on_the_last_13_weeks(company: list[Any]) -> None:
    run = analytics_recompute(trigger=RunTrigger.MANUAL)
    assert run.status == RunStatus.SUCCEEDED
    assert run.fit_error == ""
    results = run.parsed_results
    check = results.holdout
    assert check is not None
    assert results.holdout_missing is None
    assert results.options["holdout_days"] == HOLDOUT_DAYS
    assert run.observation_end is not None
    assert check.observation_end == run.observation_end
    assert (check.observation_end - check.calibration_end).days == HOLDOUT_DAYS
    assert check.holdout_periods == pytest.approx(13.0)

    expected = expected_holdout(HISTORIES)
    assert check.customers == expected["customers"] == len(HISTORIES) - 1
    assert check.actual_total == expected["actual"]
    assert [row.frequency for row in check.by_frequency] == [
        key for key in ["0", "1", "2", "3", "4", "5", "6", "7+"] if key in expected["buckets"]
    ]
    for row in check.by_frequency:
        after = expected["buckets"][row.frequency]
        assert row.customers == len(after), row.frequency
        assert row.mean_actual == pytest.approx(sum(after) / len(after)), row.frequency
    assert sum(row.customers * row.mean_predicted for row in check.by_frequency) == pytest.approx(
        check.predicted_total
    )
    assert check.predicted_total > 0
    assert check.total_error_pct == pytest.approx(
        (check.predicted_total - check.actual_total) / check.actual_total * 100
    )
    assert 0 < check.mae <= check.rmse
    assert set(check.params) == {"r", "alpha", "a", "b"}
    assert check.params != (results.bgnbd.params if results.bgnbd else {}), "a separate fit"


def test_the_dashboard_shows_the_check(
    company: list[Any], login: Callable[..., Client], users: dict[str, Any]
) -> None:
    run = analytics_recompute(trigger=RunTrigger.MANUAL)
    check = run.parsed_results.holdout
    assert check is not None

    response = login(users["manager"]).get(DASHBOARD)
    page = body(response)
    assert 'id="holdout"' in page
    assert 'id="chart-holdout"' in page
    assert 'id="holdout-missing"' not in page
    sentence = re.search(r'<p class="mb-2" id="holdout-sentence">(.*?)</p>', page, re.S)
    assert sentence is not None
    text = sentence.group(1)
    assert text.startswith(f"Fitted on purchases up to {check.calibration_end.isoformat()}")
    assert f"the model expected {round(check.predicted_total)} repeat purchases" in text
    assert "in the following 13 weeks" in text
    assert f"customers made {check.actual_total} (error" in text
    assert check.total_error_pct is not None
    error = f"{abs(check.total_error_pct):.1f}%"
    assert error in text
    assert ("too high" if check.total_error_pct >= 0 else "too low") in text
    assert f'id="holdout-mae">{check.mae:.2f} purchases<' in page
    # The chart's figures, also in a table for those who cannot see the canvas.
    data = chart_data(response)["holdout"]
    assert data["labels"] == [row.frequency for row in check.by_frequency]
    assert data["predicted"] == [round(row.mean_predicted, 3) for row in check.by_frequency]
    assert data["actual"] == [round(row.mean_actual, 3) for row in check.by_frequency]
    assert data["customers"] == [row.customers for row in check.by_frequency]
    assert data["predicted_label"] == "Expected by the model"
    assert data["y_title"] == "Purchases per customer in 13 weeks"
    assert 'id="holdout-table"' in page
    assert page.count('<tr><th scope="row" class="num fw-normal">') == len(check.by_frequency)
    assert 'aria-describedby="holdout-caption"' in page
    assert "Average purchases per customer in the 13 weeks after" in page


def test_the_check_in_persian(
    company: list[Any], login: Callable[..., Client], users: dict[str, Any]
) -> None:
    analytics_recompute(trigger=RunTrigger.MANUAL)
    response = login(users["manager"], language="fa").get(DASHBOARD)
    page = body(response)
    sentence = re.search(r'<p class="mb-2" id="holdout-sentence">(.*?)</p>', page, re.S)
    assert sentence is not None
    text = sentence.group(1)
    assert "مدل با خریدهای تا " in text
    assert "۱۳ هفتهٔ بعد" in text
    assert not LATIN_DIGIT.search(text), text
    mae = re.search(r'id="holdout-mae">(.*?)<', page)
    assert mae is not None
    assert not LATIN_DIGIT.search(mae.group(1))
    check = AnalyticsRun.objects.get().parsed_results.holdout
    assert check is not None
    assert check.by_frequency[-1].frequency == "7+"
    data = chart_data(response)["holdout"]
    assert data["labels"][:2] == ["۰", "۱"]
    assert data["labels"][-1] == "۷ و بیشتر", '"۷+" would read "+۷" right to left'
    assert "۷ و بیشتر" in page, "in the table too"
    assert not any(LATIN_DIGIT.search(label) for label in data["labels"])
    assert data["predicted_label"] == "پیش‌بینی مدل"
    assert not LATIN_DIGIT.search(data["y_title"])


def test_a_young_company_is_told_why_there_is_no_check(
    young_company: None, login: Callable[..., Client], users: dict[str, Any]
) -> None:
    run = analytics_recompute(trigger=RunTrigger.MANUAL)
    assert run.fit_error == "", "the model itself fits"
    results = run.parsed_results
    assert results.holdout is None
    assert results.holdout_missing == "short_history"

    response = login(users["manager"]).get(DASHBOARD)
    page = body(response)
    assert 'id="holdout-missing"' in page
    assert 'id="chart-holdout"' not in page
    assert "at least 182 days of purchases; these data cover 150 days." in page
    assert chart_data(response)["holdout"]["labels"] == []

    page = body(login(users["manager"], language="fa").get(DASHBOARD))
    assert "دست‌کم ۱۸۲ روز" in page
    assert "۱۵۰ روز" in page


def test_a_check_that_could_not_be_fitted_says_so(
    login: Callable[..., Client], users: dict[str, Any], make_snapshot: Callable[..., Any]
) -> None:
    run = make_snapshot()
    run.results = {**run.results, "holdout_missing": "no_fit"}
    run.save(update_fields=["results"])
    page = body(login(users["manager"]).get(DASHBOARD))
    assert "could not be fitted to the purchases before the last 91 days" in page


def test_a_run_from_before_the_check_still_loads(
    login: Callable[..., Client], users: dict[str, Any], make_snapshot: Callable[..., Any]
) -> None:
    run = make_snapshot()
    for key in ("holdout", "holdout_missing", "fit_error_template", "fit_error_params"):
        assert key not in run.results or key in RunResults.model_fields
    old = {
        key: value
        for key, value in run.results.items()
        if key not in {"holdout", "holdout_missing", "fit_error_template", "fit_error_params"}
    }
    AnalyticsRun.objects.filter(pk=run.pk).update(results=old)
    run.refresh_from_db()
    assert run.parsed_results.holdout is None
    assert run.parsed_results.fit_error_params == {}
    page = body(login(users["manager"]).get(DASHBOARD))
    assert "This run did not check the model; the next recompute will." in page


def test_the_stored_check_round_trips() -> None:
    check = HoldoutCheck(
        calibration_end="2024-02-20",  # type: ignore[arg-type]
        observation_end="2024-05-21",  # type: ignore[arg-type]
        holdout_periods=13.0,
        customers=100,
        predicted_total=41.5,
        actual_total=0,
        total_error_pct=None,
        mae=0.4,
        rmse=0.7,
        by_frequency=[FrequencyRow(frequency="7+", customers=3, mean_predicted=2.0, mean_actual=0)],
        params={"r": 0.2, "alpha": 4.0, "a": 0.8, "b": 2.4},
    )
    results = RunResults(holdout=check, holdout_missing=None)
    again = RunResults.model_validate(json.loads(json.dumps(results.model_dump(mode="json"))))
    assert again.holdout == check
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        RunResults.model_validate({"holdout": {**check.model_dump(mode="json"), "mae": -1}})


def test_no_actual_purchases_reads_naturally(
    login: Callable[..., Client], users: dict[str, Any], make_snapshot: Callable[..., Any]
) -> None:
    run = make_snapshot()
    run.results = {
        **run.results,
        "holdout": {
            "calibration_end": "2024-02-20",
            "observation_end": "2024-05-21",
            "holdout_periods": 13.0,
            "customers": 30,
            "predicted_total": 4.4,
            "actual_total": 0,
            "total_error_pct": None,
            "mae": 0.15,
            "rmse": 0.2,
            "by_frequency": [
                {"frequency": "0", "customers": 30, "mean_predicted": 0.147, "mean_actual": 0.0}
            ],
        },
    }
    run.save(update_fields=["results"])
    page = body(login(users["manager"]).get(DASHBOARD))
    assert (
        "Fitted on purchases up to 2024-02-20, the model expected 4 repeat purchases in the "
        "following 13 weeks; customers made none."
    ) in page
    page = body(login(users["manager"], language="fa").get(DASHBOARD))
    assert "۱ اسفند ۱۴۰۲" in page, "the calibration end as a Jalali date in words"


# --- The fit problem in the reader's language -----------------------------------------------


@pytest.fixture
def tiny_company(make_customer: Callable[..., Any], make_order: Callable[..., Any]) -> None:
    for i, days_ago in enumerate((30, 90, 200)):
        make_order(make_customer(), 1_000_000 * (i + 1), days_ago=days_ago)


def test_the_fit_problem_is_stored_as_a_msgid_with_its_numbers(tiny_company: None) -> None:
    run = analytics_recompute(trigger=RunTrigger.MANUAL)
    assert run.fit_error.startswith("Too few repeat buyers to fit the purchase model: 0 of 3")
    results = run.parsed_results
    assert results.fit_error_template is not None
    assert results.fit_error_template.startswith(
        "Too few repeat buyers to fit the purchase model: %(repeat)d of %(n)d"
    )
    assert results.fit_error_params == {"repeat": 0, "n": 3, "min_repeat": 10, "min_n": 20}
    assert results.fit_error_template % results.fit_error_params == run.fit_error
    assert results.holdout is None
    assert results.holdout_missing == "no_fit"


def test_the_fit_problem_in_english(
    tiny_company: None, login: Callable[..., Client], users: dict[str, Any]
) -> None:
    analytics_recompute(trigger=RunTrigger.MANUAL)
    page = body(login(users["manager"], language="en").get(DASHBOARD))
    assert 'id="fit-error"' in page
    reason = re.search(r'id="fit-error-reason">(.*?)</p>', page, re.S)
    assert reason is not None
    assert reason.group(1).startswith(
        "Too few repeat buyers to fit the purchase model: 0 of 3 customers bought more than once"
    )
    assert "at least 10 repeat buyers among at least 20 customers" in reason.group(1)
    assert "Not checked: the purchase model could not be fitted to these data." in page


def test_the_fit_problem_in_persian(
    tiny_company: None, login: Callable[..., Client], users: dict[str, Any]
) -> None:
    analytics_recompute(trigger=RunTrigger.MANUAL)
    page = body(login(users["manager"], language="fa").get(DASHBOARD))
    reason = re.search(r'id="fit-error-reason">(.*?)</p>', page, re.S)
    assert reason is not None
    text = reason.group(1)
    assert text.startswith("خریداران تکراری برای برازش مدل خرید کم‌اند: ۰ نفر از ۳ مشتری")
    assert "دست‌کم ۱۰ خریدار تکراری در میان دست‌کم ۲۰ مشتری" in text
    assert "Too few" not in page
    assert not LATIN_DIGIT.search(text)


def test_an_old_run_shows_its_english_fit_problem(
    login: Callable[..., Client], users: dict[str, Any], make_snapshot: Callable[..., Any]
) -> None:
    make_snapshot(fit_error="Too few repeat buyers to fit the model.")
    page = body(login(users["manager"], language="fa").get(DASHBOARD))
    assert 'id="fit-error"' in page
    assert 'id="fit-error-reason"' not in page
    assert '<span class="ltr d-block">Too few repeat buyers to fit the model.</span>' in page
