"""``mehvar feedback_demo``: surveys, a year of answers, comments and follow-ups for the demo.

``make run`` calls it with ``--if-empty`` after ``mehvar demo`` (the customers app owns that
command and never imports feedback, so the Makefile chains the two).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from mehvar.feedback.demo import feedback_demo, has_feedback


class Command(BaseCommand):
    help = "Demo surveys with answers, comments and follow-ups from the demo customers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--responses", type=int, default=240, help="answers to make (240)")
        parser.add_argument("--seed", type=int, default=11, help="random seed (11)")
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when surveys exist already"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and has_feedback():
            self.stdout.write("mehvar feedback demo: surveys exist already; nothing to do.")
            return
        started = time.monotonic()
        # The demo "sends" hundreds of invitations; the console SMS backend need not print them.
        sms_log = logging.getLogger("mehvar.sms")
        level, sms_log.level = sms_log.level, logging.WARNING
        try:
            report = feedback_demo(responses=options["responses"], seed=options["seed"])
        finally:
            sms_log.setLevel(level)
        if not report.surveys:
            self.stdout.write("mehvar feedback demo: no demo customers yet (run `mehvar demo`).")
            return
        self.stdout.write(
            f"mehvar feedback demo: {report.surveys} surveys, {report.responses} answers, "
            f"{report.comments} comments, {report.follow_ups} follow-ups "
            f"in {time.monotonic() - started:.1f} s."
        )
