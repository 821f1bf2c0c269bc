"""``mehvar sentiment_retrain``: train the company's sentiment model on its staff's corrections.

The same work runs weekly as a Huey periodic task (``feedback.tasks.retrain_sentiment``). With
too few corrections the shipped model stays in use and the command says how many are needed.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from mehvar.core.errors import ServiceError
from mehvar.feedback.voice import sentiment_retrain


class Command(BaseCommand):
    help = "Re-train the company's sentiment model on the labels staff corrected."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            run = sentiment_retrain()
        except ServiceError as exc:  # another retraining is running
            raise CommandError(f"mehvar sentiment: {exc.message}") from exc
        if not run.succeeded:
            raise CommandError(f"mehvar sentiment: not trained: {run.message}")
        self.stdout.write(
            f"mehvar sentiment: model {run.model_version} trained on {run.labels} labels "
            f"and saved to {run.path}."
        )
