"""Recomputing the snapshot from the database: scores, exclusions, fit errors, failures, locking."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from mehvar.core.errors import PermissionDenied
from mehvar.customers.merge import customer_merge
from mehvar.customers.models import Customer, OrderStatus
from mehvar.customers.orders import order_set_status
from mehvar.insights import compute as compute_module
from mehvar.insights import services
from mehvar.insights.extract import purchases_table
from mehvar.insights.models import AnalyticsRun, CustomerScore, RunStatus, RunTrigger
from mehvar.insights.services import RunInProgress, analytics_recompute

pytestmark = pytest.mark.django_db

# (days ago, Rials) of each order.
CHAMPION = [(330, 9_000_000), (260, 8_000_000), (190, 9_500_000), (120, 7_000_000),
            (60, 8_500_000), (20, 9_000_000), (3, 10_000_000)]  # fmt: skip
LAPSED = [(400, 300_000)]
ORDINARY = 24  # the purchase model needs 20 customers and 10 repeat buyers at least
BUYERS = ORDINARY + 2


@pytest.fixture
def shop(make_customer: Callable[..., Any], make_order: Callable[..., Any]) -> dict[str, Any]:
    """A champion, a lapsed one-time buyer and ordinary customers between them."""
    people: dict[str, Any] = {}

    def customer(key: str, history: list[tuple[int, int]], **data: Any) -> Any:
        person = make_customer(**data)
        for days_ago, total in history:
            make_order(person, total, days_ago=days_ago)
        people[key] = person
        return person

    customer("champion", CHAMPION, first_name="شهره", last_name="آقایی")
    customer("lapsed", LAPSED, first_name="کاوه", last_name="بهرامی")
    for i in range(ORDINARY):
        # Repeat buyers at different paces, so that the purchase model can be fitted.
        history = [(300 - 40 * k - 5 * i, 1_000_000 + 100_000 * i) for k in range(1 + i % 4)]
        customer(f"ordinary{i}", history, first_name=f"مشتری{i}", last_name="نمونه")
    return people


def scores() -> dict[int, CustomerScore]:
    return {score.customer_id: score for score in CustomerScore.objects.all()}


def test_recompute_scores_every_buyer(shop: dict[str, Any], make_customer: Any) -> None:
    never = make_customer(first_name="بی", last_name="خرید")
    run = analytics_recompute(trigger=RunTrigger.SCHEDULE)

    assert run.status == RunStatus.SUCCEEDED
    assert run.trigger == RunTrigger.SCHEDULE
    assert run.finished_at is not None
    assert run.finished_at >= run.started_at
    assert run.observation_end == timezone.localdate()
    assert run.n_customers == BUYERS
    assert run.n_purchases == len(CHAMPION) + len(LAPSED) + sum(1 + i % 4 for i in range(ORDINARY))
    found = scores()
    assert never.pk not in found, "no purchases, no score"
    champion, lapsed = found[shop["champion"].pk], found[shop["lapsed"].pk]
    assert champion.segment == "champions"
    assert (champion.r_score, champion.f_score, champion.m_score) == (5, 5, 5)
    assert champion.revenue_rank == 1
    assert champion.is_top
    assert champion.total_revenue == sum(total for _days, total in CHAMPION)
    assert champion.frequency == len(CHAMPION) - 1
    assert champion.days_since_last == 3
    assert champion.last_purchase == timezone.localdate() - timedelta(days=3)
    assert lapsed.segment == "lost"
    assert (lapsed.r_score, lapsed.f_score, lapsed.m_score) == (1, 1, 1)
    assert lapsed.revenue_rank == BUYERS
    assert not lapsed.is_top
    assert lapsed.days_since_last == 400
    # The model fitted: CLV and P(alive) are there and ordered as common sense says.
    assert run.fit_error == ""
    assert champion.clv is not None
    assert lapsed.clv is not None
    assert champion.clv > lapsed.clv >= 0
    assert champion.p_alive is not None
    assert lapsed.p_alive is not None
    assert champion.p_alive > 0.5
    assert champion.churn_risk in {"low", "medium", "high"}
    assert sum(score.is_top for score in found.values()) == 6, "⌈20 % of 26⌉"

    results = run.parsed_results
    assert results.bgnbd is not None
    assert set(results.bgnbd.params) == {"r", "alpha", "a", "b"}
    assert results.gamma_gamma is not None
    assert set(results.gamma_gamma.params) == {"p", "q", "v"}
    assert results.pareto is not None
    assert results.pareto.top_share is not None
    assert 0.2 <= results.pareto.top_share <= 1
    assert results.pareto.curve[0] == (0.0, 0.0)
    assert results.pareto.curve[-1] == (1.0, 1.0)
    assert sum(row.customers for row in results.segments) == BUYERS
    assert sum(cell.customers for cell in results.rfm_grid) == BUYERS
    assert sum(b.customers for b in results.clv_histogram) == BUYERS
    assert results.clv_median is not None
    assert results.cohorts, "cohorts by Jalali month"
    assert results.cleaning["orders"] == run.n_purchases
    assert results.options["calendar"] == "jalali"


def test_cancelled_and_returned_orders_are_not_purchases(
    shop: dict[str, Any], users: dict[str, Any], make_customer: Any, make_order: Any
) -> None:
    regretful = make_customer(first_name="لغو", last_name="کننده")
    make_order(regretful, 50_000_000, days_ago=5, status=OrderStatus.CANCELLED)
    returned = make_order(regretful, 40_000_000, days_ago=4)
    order_set_status(actor=users["admin"], order=returned, status=OrderStatus.RETURNED)
    champion_cancelled = make_order(shop["champion"], 99_000_000, days_ago=1)
    order_set_status(actor=users["admin"], order=champion_cancelled, status=OrderStatus.CANCELLED)

    analytics_recompute(trigger=RunTrigger.MANUAL)

    found = scores()
    assert regretful.pk not in found
    assert found[shop["champion"].pk].total_revenue == sum(total for _d, total in CHAMPION)
    assert found[shop["champion"].pk].days_since_last == 3


def test_merged_records_are_not_customers(shop: dict[str, Any], users: dict[str, Any]) -> None:
    source, target = shop["lapsed"], shop["ordinary0"]
    customer_merge(actor=users["manager"], source=source, target=target)

    analytics_recompute(trigger=RunTrigger.MANUAL)

    found = scores()
    assert source.pk not in found
    assert found[target.pk].total_revenue == 1_000_000 + 300_000, "the orders moved with it"


def test_the_extract_skips_merged_records_and_uses_the_tehran_day(
    make_customer: Any, make_order: Any
) -> None:
    kept, merged = make_customer(), make_customer()
    late = make_order(kept, 1_000_000, days_ago=10)
    # 21:00 UTC is 00:30 the next day in Tehran: the order belongs to that Tehran day.
    late.placed_at = datetime(2024, 5, 1, 21, 0, tzinfo=UTC)
    late.save(update_fields=["placed_at"])
    make_order(merged, 2_000_000, days_ago=3)
    Customer.objects.filter(pk=merged.pk).update(merged_into=kept)  # an old, half-merged record

    table = purchases_table(batch_size=1)
    assert table.column_names == ["customer_id", "date", "amount", "order_id"]
    assert table.to_pylist() == [
        {"customer_id": kept.pk, "date": date(2024, 5, 2), "amount": 1_000_000.0,
         "order_id": late.pk},
    ]  # fmt: skip


def test_too_few_repeat_buyers_leave_clv_empty(make_customer: Any, make_order: Any) -> None:
    for i, days_ago in enumerate((30, 90, 200)):
        make_order(make_customer(), 1_000_000 * (i + 1), days_ago=days_ago)

    run = analytics_recompute(trigger=RunTrigger.MANUAL)

    assert run.status == RunStatus.SUCCEEDED
    assert run.fit_error != ""
    assert run.n_customers == 3
    assert all(s.clv is None and s.p_alive is None for s in CustomerScore.objects.all())
    assert all(s.expected_purchases is None and s.churn_risk == "" for s in scores().values())
    results = run.parsed_results
    assert results.bgnbd is None
    assert results.gamma_gamma is None
    assert results.clv_histogram == []
    assert results.clv_median is None
    assert sum(row.customers for row in results.segments) == 3, "RFM needs no model"


def test_no_orders_at_all_fails_the_run_with_the_reason(make_customer: Any) -> None:
    make_customer()
    run = analytics_recompute(trigger=RunTrigger.MANUAL)
    assert run.status == RunStatus.FAILED
    assert "No usable purchase" in run.error
    assert not CustomerScore.objects.exists()


def test_a_crash_is_recorded_and_raised(
    shop: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    analytics_recompute(trigger=RunTrigger.MANUAL)
    before = scores()

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(services, "compute", broken)
    with pytest.raises(RuntimeError, match="disk is full"):
        analytics_recompute(trigger=RunTrigger.SCHEDULE)

    failed = AnalyticsRun.objects.order_by("-id").first()
    assert failed is not None
    assert failed.status == RunStatus.FAILED
    assert failed.error == "RuntimeError: the disk is full"
    assert failed.finished_at is not None
    assert scores().keys() == before.keys(), "the last good scores stay"


def test_a_failure_while_storing_leaves_the_old_scores(
    shop: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = analytics_recompute(trigger=RunTrigger.MANUAL)
    real_bulk_create = CustomerScore.objects.bulk_create
    calls = []

    def failing(objs: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(len(objs))
        if len(calls) > 1:
            raise RuntimeError("interrupted")
        return real_bulk_create(objs, *args, **kwargs)

    monkeypatch.setattr(services, "BATCH_SIZE", 5)
    monkeypatch.setattr(CustomerScore.objects, "bulk_create", failing)
    with pytest.raises(RuntimeError):
        analytics_recompute(trigger=RunTrigger.MANUAL)
    assert CustomerScore.objects.count() == BUYERS
    assert set(CustomerScore.objects.values_list("run_id", flat=True)) == {first.pk}


def test_a_second_run_replaces_the_scores(shop: dict[str, Any], users: dict[str, Any]) -> None:
    first = analytics_recompute(trigger=RunTrigger.MANUAL)
    for order in shop["lapsed"].orders.all():
        order_set_status(actor=users["admin"], order=order, status=OrderStatus.RETURNED)
    second = analytics_recompute(trigger=RunTrigger.MANUAL)
    assert second.n_customers == BUYERS - 1
    assert shop["lapsed"].pk not in scores()
    assert set(CustomerScore.objects.values_list("run_id", flat=True)) == {second.pk}
    assert AnalyticsRun.objects.filter(pk=first.pk).exists(), "history of runs is kept"


def test_one_run_at_a_time(shop: dict[str, Any]) -> None:
    going = AnalyticsRun.objects.create(trigger=RunTrigger.SCHEDULE)
    with pytest.raises(RunInProgress):
        analytics_recompute(trigger=RunTrigger.MANUAL)
    assert AnalyticsRun.objects.count() == 1
    assert not CustomerScore.objects.exists()

    # A run whose worker died is declared abandoned after a while and no longer blocks.
    AnalyticsRun.objects.filter(pk=going.pk).update(
        started_at=timezone.now() - services.STALE_AFTER - timedelta(minutes=1)
    )
    run = analytics_recompute(trigger=RunTrigger.MANUAL)
    assert run.status == RunStatus.SUCCEEDED
    going.refresh_from_db()
    assert going.status == RunStatus.FAILED
    assert going.error.startswith("Abandoned")


def test_only_leads_may_ask(users: dict[str, Any]) -> None:
    for role in ("sales", "service", "marketing"):
        with pytest.raises(PermissionDenied):
            analytics_recompute(trigger=RunTrigger.MANUAL, actor=users[role])
        with pytest.raises(PermissionDenied):
            services.analytics_request(actor=users[role])
    assert not AnalyticsRun.objects.exists()


def test_the_request_enqueues_after_commit(
    users: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    asked: list[tuple[str, int | None]] = []
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.analytics_request(
            actor=users["manager"], enqueue=lambda trigger, actor: asked.append((trigger, actor))
        )
        assert asked == [], "not before the commit"
    assert len(callbacks) == 1
    assert asked == [("manual", users["manager"].pk)]


def test_customer_days_sums_orders_of_one_day() -> None:
    import pyarrow as pa

    orders = pa.table(
        {
            "customer_id": [1, 1, 1, 2],
            "date": pa.array([date(2024, 1, d) for d in (1, 1, 2, 1)], type=pa.date32()),
            "amount": [100.0, 100.0, 50.0, 70.0],
            "order_id": [1, 2, 3, 4],
        }
    )
    days = compute_module.customer_days(orders).sort_by(
        [("customer_id", "ascending"), ("date", "ascending")]
    )
    assert days.to_pylist() == [
        {"customer_id": 1, "date": date(2024, 1, 1), "amount": 200.0},
        {"customer_id": 1, "date": date(2024, 1, 2), "amount": 50.0},
        {"customer_id": 2, "date": date(2024, 1, 1), "amount": 70.0},
    ]


def test_the_refresh_command(shop: dict[str, Any]) -> None:
    out = StringIO()
    call_command("analytics_refresh", "--if-stale", "--trigger", "demo", stdout=out)
    assert f"{BUYERS} customers scored" in out.getvalue()
    run = AnalyticsRun.objects.get()
    assert run.trigger == RunTrigger.DEMO

    out = StringIO()
    call_command("analytics_refresh", "--if-stale", stdout=out)
    assert "fresh; nothing to do" in out.getvalue()
    assert AnalyticsRun.objects.count() == 1

    call_command("analytics_refresh", stdout=StringIO())
    assert AnalyticsRun.objects.count() == 2


def test_the_refresh_command_reports_a_failure(make_customer: Any) -> None:
    with pytest.raises(CommandError, match="failed"):
        call_command("analytics_refresh", stdout=StringIO())
