"""``mehvar service_demo``: the service desk's settings and a year of tickets for the demo.

``make run`` calls it with ``--if-empty`` after ``mehvar demo`` and ``mehvar feedback_demo`` (it
needs their staff, customers and orders; the CSAT survey is made here).
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from mehvar.service.demo import has_tickets, service_demo


class Command(BaseCommand):
    help = "Demo service desk: teams, SLAs, a year of tickets, compensation, returns and CSAT."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tickets", type=int, default=200, help="tickets to make (200)")
        parser.add_argument("--seed", type=int, default=5, help="random seed (5)")
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when tickets exist already"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and has_tickets():
            self.stdout.write("mehvar service demo: tickets exist already; nothing to do.")
            return
        started = time.monotonic()
        report = service_demo(tickets_count=options["tickets"], seed=options["seed"])
        if not report.tickets:
            self.stdout.write(
                "mehvar service demo: no demo staff or recent orders yet (run `mehvar demo`)."
            )
            return
        self.stdout.write(
            f"mehvar service demo: {report.teams} teams, {report.categories} categories, "
            f"{report.tickets} tickets ({report.open_tickets} open), "
            f"{report.compensations} compensations, {report.requests} approval requests, "
            f"{report.returns} returns, {report.csat_answers} satisfaction answers "
            f"in {time.monotonic() - started:.1f} s."
        )
