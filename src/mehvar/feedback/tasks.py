"""Background work of feedback (Huey). Tasks take ids and call one service; each is safe twice."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from mehvar.core.errors import ServiceError
from mehvar.core.models import User
from mehvar.feedback import loop, responding, triggers, voice

logger = logging.getLogger(__name__)


@db_task(retries=3, retry_delay=30)
def read_response_words(response_id: int) -> None:
    """Sentiment and keywords of a submitted response's comments (and their follow-up)."""
    voice.response_words_read(response_id)


@db_task(retries=3, retry_delay=60)
def deliver_invitation(invitation_id: int) -> None:
    """Send a survey invitation (queued when it is committed); sends at most once.

    A gateway failure raises, so Huey logs it and retries (three times, a minute apart); the
    reason stays on the invitation (``last_error``) while ``sent_at`` is empty. The page or the
    trigger run that made the invitation never sees it. (In immediate mode, under tests, Huey
    logs the exception and keeps the retry in its in-memory schedule, which never runs.)
    """
    responding.invitation_deliver(invitation_id)


@db_periodic_task(crontab(minute="*/30"))
def redeliver_invitations() -> None:
    """Queue again the invitations whose message never left (each send is at most once)."""
    for invitation_id in responding.undelivered_invitations():
        deliver_invitation(invitation_id)


@db_task(retries=3, retry_delay=60)
def alert_follow_up(follow_up_id: int) -> None:
    loop.follow_up_alert(follow_up_id)


@db_periodic_task(crontab(minute="*/10"))
def sweep_staff_words() -> None:
    """Notes and logged calls become readable comments within ten minutes."""
    voice.staff_words_sweep()


@db_periodic_task(crontab(minute="15"))
def run_survey_triggers() -> None:
    report = triggers.triggers_run()
    logger.info("survey rules: %s invited, %s skipped", report.invited, report.skipped)


# Weekly, at 01:30 UTC on Friday (05:00 Tehran, the weekend): the company's model learns from
# the week's corrections while nobody reads the wall.
@db_periodic_task(crontab(minute="30", hour="1", day_of_week="5"))
def retrain_sentiment() -> None:
    try:
        run = voice.sentiment_retrain()
    except ServiceError as exc:  # one is running already (asked for from the wall)
        logger.info("sentiment retraining skipped: %s", exc)
        return
    logger.info("sentiment retraining: %s (%s labels)", run.succeeded, run.labels)


@db_task()
def retrain_sentiment_now(actor_id: int | None = None) -> None:
    """Retraining asked for from the wall ("Retrain now"); the result shows on the wall."""
    actor = User.objects.filter(pk=actor_id, is_active=True).first() if actor_id else None
    if actor_id and actor is None:
        return  # the person left (or was switched off) before the task ran
    try:
        run = voice.sentiment_retrain(actor=actor)
    except ServiceError as exc:  # one is running already (a double click), or no longer allowed
        logger.info("sentiment retraining asked by %s skipped: %s", actor_id, exc)
        return
    logger.info(
        "sentiment retraining asked by %s: %s (%s labels)", actor_id, run.succeeded, run.labels
    )
