"""Customers' own words: every comment with its sentiment and keywords, corrections, retraining.

Text comes from survey answers, from the notes and calls staff log (read by a periodic sweep,
so the customers app never has to know about us) and from imported comment files. The reading
itself is the pure :mod:`mehvar.text`; this module stores it. The company's own model (trained
on staff corrections) lives under ``DATA_DIR/models`` and replaces the shipped one when present.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Final

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import BigIntegerField, CharField, Exists, Max, OuterRef
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from mehvar.core.errors import ErrorCode, ServiceError, ValidationFailed
from mehvar.core.models import Channel, Department, Direction, EventKind, User
from mehvar.core.roles import Perm
from mehvar.core.timeline import record_touchpoint
from mehvar.customers.models import Customer, Interaction, Note
from mehvar.customers.services import require
from mehvar.feedback.answers import text_of
from mehvar.feedback.loop import follow_up_for_comment
from mehvar.feedback.models import (
    Answer,
    Comment,
    CommentSource,
    QuestionKind,
    Response,
    Sentiment,
    SentimentTraining,
)
from mehvar.text.errors import TextInputError
from mehvar.text.topics import keywords_of

if TYPE_CHECKING:
    from mehvar.text.sentiment import SentimentModel

# mehvar.text.sentiment (scikit-learn, ~1.5 s to import) is loaded on the first text to read,
# not when a web process starts: most requests never read a comment.

log = logging.getLogger(__name__)

SWEEP_BATCH: Final = 500
SWEEP_LOOKBACK: Final = 2000  # ids below the newest read that are checked again
RUN_TIMEOUT: Final = timedelta(minutes=30)  # a retraining still unfinished after this died


def company_model_path() -> Path:
    return Path(settings.DATA_DIR) / "models" / "sentiment-company.joblib"


def current_model() -> SentimentModel:
    """The company's own model when one was trained, else the shipped one.

    ``load_model`` caches by file and modification time, so a retrained model is read once.
    """
    from mehvar.text.sentiment import load_model

    path = company_model_path()
    if path.exists():
        try:
            return load_model(path)
        except Exception:  # a broken file must not stop feedback from being read
            log.exception("The company sentiment model at %s cannot be loaded", path)
    return load_model()


@dataclass(frozen=True, slots=True)
class Words:
    source: CommentSource
    ref_type: str
    ref_id: str
    text: str
    customer_id: int | None
    occurred_at: datetime
    survey_id: int | None = None


def comments_record(items: Sequence[Words]) -> list[Comment]:
    """Read and store a batch of texts; a text already stored (same source row) is skipped.

    Returns only the comments this call stored (with their customer), so the caller records
    each on a timeline once. On PostgreSQL the batch first takes a transaction-scoped advisory
    lock per ``ref_type``: a concurrent batch of the same source rows waits for this one to
    commit and then finds them stored. Without the lock (SQLite, which has one writer at a time,
    or a caller outside a transaction) a row stored by a concurrent call between the check and
    the insert is skipped by ``ignore_conflicts`` but could be returned by both calls.
    """
    items = [w for w in items if w.text.strip()]
    if not items:
        return []
    ref_types = sorted({w.ref_type for w in items})
    if connection.vendor == "postgresql" and transaction.get_connection().in_atomic_block:
        with connection.cursor() as cursor:
            for ref_type in ref_types:  # in one order, so two batches cannot deadlock
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(hashtext(%s))", [f"mehvar.comment:{ref_type}"]
                )
    known = set(
        Comment.objects.filter(
            ref_type__in=ref_types, ref_id__in=[w.ref_id for w in items]
        ).values_list("ref_type", "ref_id")
    )
    items = [w for w in items if (w.ref_type, w.ref_id) not in known]
    if not items:
        return []
    model = current_model()
    readings = model.predict([w.text for w in items])
    comments = [
        Comment(
            customer_id=w.customer_id,
            source=w.source,
            ref_type=w.ref_type,
            ref_id=w.ref_id,
            survey_id=w.survey_id,
            text=w.text,
            language=reading.language,
            sentiment=reading.label,
            score=reading.score,
            model_version=model.version,
            keywords=keywords_of(w.text),
            occurred_at=w.occurred_at,
        )
        for w, reading in zip(items, readings, strict=True)
    ]
    # ignore_conflicts: a concurrent call outside the lock may have stored the same row.
    Comment.objects.bulk_create(comments, ignore_conflicts=True)
    # The rows not stored before this call (bulk_create leaves their pks unset on PostgreSQL).
    new = {(c.ref_type, c.ref_id) for c in comments}
    stored = Comment.objects.filter(
        ref_type__in={c.ref_type for c in comments}, ref_id__in=[c.ref_id for c in comments]
    ).select_related("customer")
    return [c for c in stored.order_by("pk") if (c.ref_type, c.ref_id) in new]


@transaction.atomic
def response_words_read(response_id: int) -> list[Comment]:
    """Store the free-text answers of a submitted response; a negative one closes the loop."""
    response = Response.objects.filter(pk=response_id, submitted_at__isnull=False).first()
    if response is None:
        return []
    answers = Answer.objects.filter(response=response, question__kind=QuestionKind.TEXT)
    comments = comments_record(
        [
            Words(
                source=CommentSource.SURVEY,
                ref_type="feedback.answer",
                ref_id=str(answer.pk),
                text=text_of([answer.value]),
                customer_id=response.customer_id,
                occurred_at=response.submitted_at or timezone.now(),
                survey_id=response.survey_id,
            )
            for answer in answers
        ]
    )
    for comment in comments:
        follow_up_for_comment(comment)
    return comments


def staff_words_sweep(*, batch: int = SWEEP_BATCH) -> int:
    """Read the notes and logged calls not read yet (resumes after the last one stored)."""
    done = 0
    for source, model, text_field, ref_type in (
        (CommentSource.NOTE, Note, "body", "customers.note"),
        (CommentSource.CALL, Interaction, "summary", "customers.interaction"),
    ):
        last = Comment.objects.filter(source=source).aggregate(
            last=Max(Cast("ref_id", BigIntegerField()))
        )["last"]
        # Look back a little below the newest row read: on PostgreSQL a note can commit after
        # one with a higher id, and it must not be skipped for good. Rows already read are
        # left out in SQL, so the look-back never fills the batch with old rows.
        after = max((last or 0) - SWEEP_LOOKBACK, 0)
        read = Comment.objects.filter(ref_type=ref_type, ref_id=Cast(OuterRef("pk"), CharField()))
        rows = (
            model.objects.filter(pk__gt=after, customer__merged_into__isnull=True)
            .exclude(Exists(read))
            .order_by("pk")
            .values_list("pk", text_field, "customer_id", _time_field(model))[:batch]
        )
        with transaction.atomic():
            done += len(
                comments_record(
                    [
                        Words(
                            source=source,
                            ref_type=ref_type,
                            ref_id=str(pk),
                            text=text,
                            customer_id=customer_id,
                            occurred_at=at,
                        )
                        for pk, text, customer_id, at in rows
                    ]
                )
            )
    return done


def _time_field(model: type[Note] | type[Interaction]) -> str:
    return "created_at" if model is Note else "occurred_at"


@dataclass(frozen=True, slots=True)
class ImportedComment:
    customer: Customer | None
    text: str
    occurred_at: datetime
    reference: str


@transaction.atomic
def comments_import(*, actor: User, rows: Iterable[ImportedComment]) -> list[Comment]:
    """Store comments customers left elsewhere (a review site, a call-centre export)."""
    require(actor, Perm.CUSTOMER_IMPORT)
    rows = list(rows)
    comments = comments_record(
        [
            Words(
                source=CommentSource.IMPORT,
                ref_type="import",
                ref_id=row.reference[:64],
                text=row.text,
                customer_id=row.customer.pk if row.customer else None,
                occurred_at=row.occurred_at,
            )
            for row in rows
        ]
    )
    for comment in comments:
        if comment.customer_id is not None:
            record_touchpoint(
                customer=comment.customer,  # type: ignore[arg-type]
                kind=EventKind.COMMENT,
                channel=Channel.WEB,
                department=Department.MARKETING,
                direction=Direction.INBOUND,
                summary=comment.text[:500],
                actor=actor,
                ref=comment,
                occurred_at=comment.occurred_at,
                data={"sentiment": comment.sentiment, "score": comment.score},
            )
        follow_up_for_comment(comment)
    return comments


@transaction.atomic
def comment_correct(*, actor: User, comment: Comment, label: Sentiment | str) -> Comment:
    """A person's verdict on a comment's sentiment; it wins and trains the company model."""
    require(actor, Perm.SENTIMENT_CORRECT)
    if label not in Sentiment.values:
        raise ValidationFailed({"label": _("Pick positive, neutral or negative.")})
    comment = Comment.objects.select_for_update().get(pk=comment.pk)
    comment.corrected = None if label == comment.sentiment else Sentiment(label)
    comment.corrected_by = actor if comment.corrected else None
    comment.corrected_at = timezone.now() if comment.corrected else None
    comment.save(update_fields=["corrected", "corrected_by", "corrected_at"])
    if comment.corrected == Sentiment.NEGATIVE:
        follow_up_for_comment(comment)
    return comment


def training_labels() -> tuple[list[str], list[str]]:
    """Every text a person labelled: corrections, and confirmations of the model's reading."""
    rows = Comment.objects.exclude(corrected__isnull=True).values_list("text", "corrected")
    texts, labels = zip(*rows, strict=True) if rows else ((), ())
    return list(texts), list(labels)


@dataclass(frozen=True, slots=True)
class TrainingState:
    """What the retraining panel shows: the labels there are, the last run, the model in use."""

    corrections: int
    needed: int
    last: SentimentTraining | None
    model_version: str

    @property
    def running(self) -> bool:
        """A run started lately and not finished (a second one would race it for the file)."""
        last = self.last
        return (
            last is not None
            and last.finished_at is None
            and last.started_at > timezone.now() - RUN_TIMEOUT
        )


def training_state() -> TrainingState:
    from mehvar.text.sentiment import MIN_CORRECTIONS

    return TrainingState(
        corrections=Comment.objects.exclude(corrected__isnull=True).count(),
        needed=MIN_CORRECTIONS,
        last=SentimentTraining.objects.first(),
        model_version=current_model().version,
    )


def sentiment_retrain(*, actor: User | None = None) -> SentimentTraining:
    """Train the company's model on its corrections; keep the old model when it cannot."""
    if actor is not None:
        require(actor, Perm.SENTIMENT_TRAIN)
    from mehvar.text.sentiment import load_model, train_company_model

    texts, labels = training_labels()
    run = _training_start(len(texts))  # refused while another run works
    try:
        model = train_company_model(texts, labels, base=load_model())
        path = _model_save(model)
        run.succeeded, run.model_version, run.path = True, model.version, str(path)
    except TextInputError as exc:
        # The msgid and its values are kept so a page can say it in the reader's language.
        run.message = str(exc)
        run.data = {"template": exc.template, "params": exc.params}
    except Exception as exc:
        # Anything else (a full disk, a library bug): the old model stays, the run ends now
        # instead of reading "running" for RUN_TIMEOUT, and the details go to the log.
        log.exception("Retraining the sentiment model failed")
        run.message = f"{_(_RETRAIN_FAILED)} ({type(exc).__name__}: {exc})"[:2000]
        run.data = {"template": _RETRAIN_FAILED, "params": {}}
    finally:
        run.finished_at = timezone.now()
        run.save(
            update_fields=["succeeded", "model_version", "path", "message", "data", "finished_at"]
        )
    return run


_RETRAIN_FAILED: Final = gettext_noop("The retraining failed; the current model stays in use.")
_RETRAIN_ABANDONED: Final = gettext_noop(
    "The retraining stopped before it finished; the current model stays in use."
)


def _training_start(labels: int) -> SentimentTraining:
    """The row of a new run; ServiceError while another run is unfinished.

    The database holds at most one unfinished run (``sentiment_one_unfinished_run``), so a
    double click, or a click while the weekly run works, cannot start a second one. A run still
    unfinished after ``RUN_TIMEOUT`` died with its worker: it is closed here, so it stops blocking.
    """
    now = timezone.now()
    with transaction.atomic():
        SentimentTraining.objects.filter(
            finished_at__isnull=True, started_at__lt=now - RUN_TIMEOUT
        ).update(
            finished_at=now,
            message=_(_RETRAIN_ABANDONED),
            data={"template": _RETRAIN_ABANDONED, "params": {}},
        )
        try:
            with transaction.atomic():
                return SentimentTraining.objects.create(labels=labels, started_at=now)
        except IntegrityError:
            raise ServiceError(
                _("A retraining is already running; its result shows here soon."),
                code=ErrorCode.CONFLICT,
            ) from None


def _model_save(model: SentimentModel) -> Path:
    """Write the model under a name of its own beside the live file, then swap it in."""
    path = company_model_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        dir=path.parent, prefix=f"{path.stem}-", suffix=".partial", delete=False
    ) as handle:
        partial = Path(handle.name)
    try:
        model.save(partial)
        os.replace(partial, path)  # atomic: a reader sees the old file or the new one
    finally:
        partial.unlink(missing_ok=True)  # gone after the swap; left over only on failure
    return path
