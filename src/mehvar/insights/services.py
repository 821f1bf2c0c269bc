"""Recompute the analytics snapshot: read the orders, call the library, store the scores.

One run at a time: the ``analytics_one_running_run`` constraint lets the database refuse a
second ``running`` row, so two workers (or the nightly task and a manager's button) cannot
interleave their writes. A run left ``running`` by a killed worker is declared abandoned after
``STALE_AFTER`` so it does not block the next one forever.

The library's own refusals are data problems, not bugs: a model that cannot be fitted (too few
repeat buyers) leaves CLV and P(alive) empty in a run that still succeeds, and an unusable
input fails the run with the library's message. Anything else fails the run and is raised
again, for Huey's log and retry.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any, Final

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mehvar.analytics.errors import AnalyticsError
from mehvar.core.errors import ErrorCode, PermissionDenied, ServiceError
from mehvar.core.models import User
from mehvar.core.roles import Perm, has_perm
from mehvar.customers.models import Customer
from mehvar.insights import extract, selectors
from mehvar.insights.compute import Outcome, compute
from mehvar.insights.models import (
    STALE_AFTER,
    AnalyticsRun,
    CustomerScore,
    RunStatus,
    RunTrigger,
)

__all__ = [
    "STALE_AFTER",
    "RunInProgress",
    "analytics_recompute",
    "analytics_request",
]

logger = logging.getLogger(__name__)

BATCH_SIZE: Final = 2000


class RunInProgress(ServiceError):
    code = ErrorCode.CONFLICT
    status = 409


class _Abandoned(Exception):
    """The run was declared abandoned (``STALE_AFTER``) while it computed; it must not store."""


def _require(actor: User | None) -> None:
    if actor is not None and not has_perm(actor, Perm.ANALYTICS_RUN):
        raise PermissionDenied(_("Your role may not do this."))


def _abandon_stale(now: Any) -> None:
    AnalyticsRun.objects.filter(status=RunStatus.RUNNING, started_at__lt=now - STALE_AFTER).update(
        status=RunStatus.FAILED,
        finished_at=now,
        error=f"Abandoned: still running after {STALE_AFTER} (the worker probably stopped).",
    )


def _start(*, trigger: RunTrigger, actor: User | None) -> AnalyticsRun:
    now = timezone.now()
    with transaction.atomic():
        _abandon_stale(now)
        try:
            with transaction.atomic():
                return AnalyticsRun.objects.create(
                    trigger=trigger, requested_by=actor, started_at=now
                )
        except IntegrityError as exc:
            raise RunInProgress(_("The analytics are already being recomputed.")) from exc


def _fail(run: AnalyticsRun, message: str) -> None:
    run.status = RunStatus.FAILED
    run.error = message[:10_000]
    run.finished_at = timezone.now()
    with transaction.atomic():
        run.save(update_fields=["status", "error", "finished_at"])


def _number(value: Any) -> float | None:
    """A finite float, or None for a missing value or NaN (CLV when the model has no fit)."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _rials(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else round(number)


def _score_rows(
    run: AnalyticsRun, outcome: Outcome, live: set[int], computed_at: Any
) -> Iterator[CustomerScore]:
    table = outcome.customers
    columns = {name: table[name].to_pylist() for name in table.column_names}
    for i, customer_id in enumerate(columns["customer_id"]):
        if int(customer_id) not in live:
            continue  # merged or deleted while the run was computing

        def col(name: str, i: int = i) -> Any:
            return columns[name][i]

        yield CustomerScore(
            customer_id=int(customer_id),
            run=run,
            segment=col("segment"),
            r_score=int(col("r_score")),
            f_score=int(col("f_score")),
            m_score=int(col("m_score")),
            frequency=int(col("frequency")),
            recency=float(col("recency")),
            T=float(col("T")),
            monetary_value=float(col("monetary_value")),
            total_revenue=_rials(col("total_amount")) or 0,
            clv=_rials(col("clv")),
            p_alive=_number(col("p_alive")),
            expected_purchases=_number(col("expected_purchases")),
            churn_risk=col("churn_risk") or "",
            revenue_rank=int(col("revenue_rank")),
            revenue_percentile=float(col("revenue_percentile")),
            is_top=bool(col("is_top")),
            first_purchase=col("first_date"),
            last_purchase=col("last_date"),
            days_since_last=int(col("days_since_last")),
            computed_at=computed_at,
        )


def _batches(rows: Iterator[CustomerScore], size: int) -> Iterator[list[CustomerScore]]:
    batch: list[CustomerScore] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _store(run: AnalyticsRun, outcome: Outcome) -> None:
    """Replace every score and finish the run, in one transaction: pages see old or new."""
    computed_at = timezone.now()
    with transaction.atomic():
        # Claim the run before touching the scores. The row lock makes a concurrent
        # ``_abandon_stale`` wait for this transaction (and then skip the finished run); a run
        # that was already declared abandoned must not write, since a newer run may be storing.
        claimed = AnalyticsRun.objects.select_for_update().filter(
            pk=run.pk, status=RunStatus.RUNNING
        )
        if not list(claimed.values_list("pk", flat=True)):
            raise _Abandoned
        live = set(Customer.objects.filter(merged_into__isnull=True).values_list("pk", flat=True))
        CustomerScore.objects.all().delete()
        stored = 0
        for batch in _batches(_score_rows(run, outcome, live, computed_at), BATCH_SIZE):
            CustomerScore.objects.bulk_create(batch)
            stored += len(batch)
        run.status = RunStatus.SUCCEEDED
        run.observation_end = outcome.observation_end
        run.n_customers = stored
        run.fit_error = outcome.fit_error or ""
        run.set_results(outcome.results)
        run.finished_at = timezone.now()
        run.save(
            update_fields=[
                "status", "observation_end", "n_purchases", "n_customers", "fit_error",
                "results", "finished_at",
            ]
        )  # fmt: skip


def analytics_recompute(
    *,
    trigger: RunTrigger | str,
    actor: User | None = None,
    observation_end: date | None = None,
) -> AnalyticsRun:
    """Recompute every customer's score and the run-level figures; return the finished run.

    ``actor`` is the employee who asked (None for the schedule and commands); ``observation_end``
    defaults to today in Tehran. Raises ``RunInProgress`` when another run is going.
    """
    _require(actor)
    run = _start(trigger=RunTrigger(trigger), actor=actor)
    try:
        purchases = extract.purchases_table()
        run.n_purchases = purchases.num_rows
        today = timezone.localdate()
        outcome = compute(purchases, observation_end=observation_end or today, today=today)
        _store(run, outcome)
    except _Abandoned:
        # Another worker took over after STALE_AFTER; its record of this run stands.
        logger.warning("analytics run %s finished after it was declared abandoned", run.pk)
        run.refresh_from_db()
    except AnalyticsError as exc:
        # The data cannot be analysed (e.g. nothing left after cleaning): record why; it is
        # not a bug, so Huey need not retry.
        _fail(run, str(exc))
        logger.warning("analytics run %s: %s", run.pk, exc)
    except BaseException as exc:
        # BaseException too: a recompute stopped with Ctrl-C must not stay "running".
        _fail(run, f"{type(exc).__name__}: {exc}")
        raise
    return run


def analytics_request(
    *, actor: User, enqueue: Callable[[str, int | None], Any] | None = None
) -> None:
    """Ask for a recompute now (the dashboard's button); the worker runs it after commit."""
    _require(actor)
    if selectors.running_run() is not None:
        raise RunInProgress(_("The analytics are already being recomputed."))
    if enqueue is None:
        from mehvar.insights.tasks import recompute

        enqueue = recompute
    actor_id = actor.pk
    transaction.on_commit(lambda: enqueue(RunTrigger.MANUAL.value, actor_id))
