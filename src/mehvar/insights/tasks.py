"""Background work of the analytics (Huey). Tasks take ids and call one service."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from mehvar.core.models import User
from mehvar.insights.models import RunTrigger
from mehvar.insights.services import RunInProgress, analytics_recompute

logger = logging.getLogger(__name__)


@db_task()
def recompute(trigger: str, actor_id: int | None = None) -> None:
    """Recompute the snapshot; a second delivery while a run is going does nothing."""
    actor = User.objects.filter(pk=actor_id, is_active=True).first() if actor_id else None
    if actor_id and actor is None:
        logger.info("analytics recompute skipped: employee %s is gone", actor_id)
        return
    try:
        analytics_recompute(trigger=trigger, actor=actor)
    except RunInProgress:
        logger.info("analytics recompute skipped: another run is in progress")


# Huey evaluates crontabs in UTC (its default ``utc=True``): 23:00 UTC is 02:30 in Tehran
# (UTC+03:30 all year since Iran dropped daylight saving time in 2022), after the day's orders
# and before anyone opens the dashboard.
@db_periodic_task(crontab(minute="0", hour="23"))
def nightly_recompute() -> None:
    try:
        analytics_recompute(trigger=RunTrigger.SCHEDULE)
    except RunInProgress:
        logger.info("nightly analytics skipped: another run is in progress")
