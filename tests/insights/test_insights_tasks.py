"""The nightly task, the on-demand task, and the models' promises (codes, one running run)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from huey.contrib.djhuey import HUEY

from mehvar.analytics.rfm import SEGMENTS
from mehvar.insights import tasks
from mehvar.insights.models import AnalyticsRun, ChurnRisk, RunStatus, RunTrigger, Segment

pytestmark = pytest.mark.django_db


def test_the_nightly_recompute_is_a_periodic_task_at_0230_tehran() -> None:
    def due(hour: int, minute: int) -> set[str]:
        # Huey checks crontabs against naive UTC times (its default ``utc=True``).
        moment = datetime(2025, 1, 1, hour, minute)  # noqa: DTZ001
        return {task.name for task in HUEY.read_periodic(moment)}

    assert "nightly_recompute" in due(23, 0), "23:00 UTC is 02:30 in Tehran (UTC+03:30)"
    assert "nightly_recompute" not in due(2, 30)
    assert "nightly_recompute" not in due(23, 1)


def test_the_nightly_task_runs_a_scheduled_recompute(make_customer: Any, make_order: Any) -> None:
    make_order(make_customer(), 1_000_000, days_ago=5)
    tasks.nightly_recompute.call_local()
    run = AnalyticsRun.objects.get()
    assert run.trigger == RunTrigger.SCHEDULE
    assert run.status == RunStatus.SUCCEEDED


def test_the_tasks_skip_while_another_run_is_going(users: dict[str, Any]) -> None:
    AnalyticsRun.objects.create(trigger=RunTrigger.MANUAL)
    tasks.nightly_recompute.call_local()
    tasks.recompute.call_local("manual", users["manager"].pk)
    assert AnalyticsRun.objects.count() == 1


def test_the_on_demand_task_takes_ids(
    users: dict[str, Any], make_customer: Any, make_order: Any
) -> None:
    make_order(make_customer(), 1_000_000, days_ago=5)
    tasks.recompute("manual", users["admin"].pk)  # Huey runs it at once under pytest
    run = AnalyticsRun.objects.get()
    assert run.requested_by == users["admin"]
    # An employee who left in between: nothing runs in their name.
    users["manager"].is_active = False
    users["manager"].save(update_fields=["is_active"])
    tasks.recompute("manual", users["manager"].pk)
    assert AnalyticsRun.objects.count() == 1


def test_segment_codes_are_the_librarys() -> None:
    assert [s.value for s in Segment] == [s.code for s in SEGMENTS]


def test_segment_labels_follow_the_language() -> None:
    from django.utils import translation

    with translation.override("fa"):
        assert str(Segment.CHAMPIONS.label) == "قهرمانان"
    with translation.override("en"):
        assert str(Segment.CANT_LOSE.label) == "Can't lose them"
    assert {c.value for c in ChurnRisk} == {"low", "medium", "high"}


def test_the_database_refuses_a_second_running_run() -> None:
    AnalyticsRun.objects.create(trigger=RunTrigger.SCHEDULE)
    with pytest.raises(IntegrityError), transaction.atomic():
        AnalyticsRun.objects.create(trigger=RunTrigger.MANUAL)
    AnalyticsRun.objects.create(trigger=RunTrigger.MANUAL, status=RunStatus.SUCCEEDED)
    assert AnalyticsRun.objects.count() == 2
