"""``mehvar analytics_refresh``: recompute the analytics snapshot from the database now.

``make run`` calls it with ``--if-stale`` after ``mehvar demo --if-empty``, so the demo opens with
a filled dashboard and a restart does not recompute what the night already did. (The customers
app, which owns ``mehvar demo``, never imports insights; the Makefile chains the two instead.)
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mehvar.insights.models import RunStatus, RunTrigger
from mehvar.insights.selectors import snapshot_is_fresh
from mehvar.insights.services import RunInProgress, analytics_recompute


class Command(BaseCommand):
    help = "Recompute customer segments, CLV, churn and the dashboard's figures from the orders."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-stale",
            action="store_true",
            help="do nothing when a run succeeded in the last 20 hours",
        )
        parser.add_argument(
            "--trigger",
            choices=[RunTrigger.MANUAL.value, RunTrigger.DEMO.value],
            default=RunTrigger.MANUAL.value,
            help="recorded on the run (manual)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_stale"] and snapshot_is_fresh():
            self.stdout.write("mehvar analytics: the snapshot is fresh; nothing to do.")
            return
        try:
            run = analytics_recompute(trigger=options["trigger"])
        except RunInProgress as exc:
            raise CommandError(str(exc.message)) from exc
        if run.status != RunStatus.SUCCEEDED:
            raise CommandError(f"mehvar analytics: the run failed: {run.error}")
        seconds = run.seconds or 0.0
        self.stdout.write(
            f"mehvar analytics: {run.n_customers} customers scored from {run.n_purchases} "
            f"orders in {seconds:.1f} s."
        )
        if run.fit_error:
            self.stdout.write(
                self.style.WARNING(f"  no CLV: the model could not be fitted ({run.fit_error})")
            )
