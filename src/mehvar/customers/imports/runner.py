"""The import job: read the stored file in chunks, one transaction per chunk, resumable.

Each chunk's writes, its error rows and the job's counters commit together, so after a crash
the job's ``processed_rows`` says exactly which rows are in the database, and a worker that
picks the job up again (see :func:`import_sweep`) continues after them: nothing is lost and
nothing is written twice. ``created + updated + unchanged + rejected == processed_rows`` after
every chunk, and ``processed_rows == total_rows`` at the end.

A worker holds a job through a lease (a token and an expiry in the job's options) that it
renews with every chunk; a chunk whose lease was taken over meanwhile is rolled back.
"""

from __future__ import annotations

import logging
import time as clock
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import IO, Any, cast

from django.db import OperationalError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from simple_history.models import HistoricalRecords

from mehvar.core.models import User
from mehvar.customers.imports.base import Context, Outcome, Processor
from mehvar.customers.imports.customers import CustomerProcessor
from mehvar.customers.imports.orders import OrderProcessor
from mehvar.customers.imports.readers import ImportFileError, open_sheet
from mehvar.customers.imports.state import PREVIEW_ROWS, dump, mapping_of, options_of
from mehvar.customers.models import ImportJob, ImportKind, ImportRowError, ImportStatus

logger = logging.getLogger(__name__)

CHUNK_ROWS = 500
LEASE = timedelta(minutes=5)
# A job queued this long ago and still waiting lost its task (a worker restart, a lost queue).
QUEUE_GRACE = timedelta(minutes=10)
_RETRIES = 3


class SimulatedCrash(Exception):
    """Raised by ``crash_after``: the worker "dies" in the middle of a chunk (tests, drills)."""


class LeaseLost(Exception):
    """Another worker holds the job now; this one stops without writing."""


@contextmanager
def acting_as(user: User | None) -> Iterator[None]:
    """Attribute audit-log rows written outside a request (the worker) to ``user``."""
    context = HistoricalRecords.context
    had_request = hasattr(context, "request")
    if not had_request and user is not None:
        context.request = SimpleNamespace(user=user)
    try:
        yield
    finally:
        if not had_request and user is not None:
            del context.request


def _processor(context: Context) -> Processor:
    if context.kind == ImportKind.ORDERS:
        return OrderProcessor(context)
    return CustomerProcessor(context)


def _claim(job_id: int, now: datetime) -> tuple[ImportJob, str] | None:
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            return None
        options = options_of(job)
        if options.phase == "mapping" or job.status in (ImportStatus.DONE, ImportStatus.FAILED):
            return None
        if job.status == ImportStatus.RUNNING and options.lease_until and options.lease_until > now:
            return None  # another worker has it
        token = uuid.uuid4().hex
        options.lease_token, options.lease_until = token, now + LEASE
        job.status = ImportStatus.RUNNING
        job.started_at = job.started_at or now
        job.options = dump(options)
        job.save(update_fields=["status", "started_at", "options"])
    return job, token


def _locked_job(job_id: int, token: str) -> ImportJob:
    job = ImportJob.objects.select_for_update().get(pk=job_id)
    if options_of(job).lease_token != token:
        raise LeaseLost
    return job


def _save_chunk(job: ImportJob, outcomes: list[Outcome]) -> None:
    """Counters, error rows and preview of one chunk, in the chunk's transaction."""
    counts = Counter(outcome.action for outcome in outcomes)
    ImportRowError.objects.bulk_create(
        ImportRowError(
            job=job, row=error.row, column=error.column, value=error.value, message=error.message
        )
        for outcome in outcomes
        for error in outcome.errors
    )
    job.processed_rows += len(outcomes)
    job.created_count += counts["created"]
    job.updated_count += counts["updated"]
    job.unchanged_count += counts["unchanged"]
    job.rejected_count += counts["rejected"]
    job.total_rows = max(job.total_rows, job.processed_rows)
    options = options_of(job)
    options.lease_until = timezone.now() + LEASE
    if options.dry_run and len(options.preview) < PREVIEW_ROWS:
        rows = [outcome.preview for outcome in outcomes if outcome.preview is not None]
        options.preview = sorted([*options.preview, *rows], key=lambda p: p.row)[:PREVIEW_ROWS]
    job.options = dump(options)
    job.save(
        update_fields=[
            "processed_rows",
            "created_count",
            "updated_count",
            "unchanged_count",
            "rejected_count",
            "total_rows",
            "options",
        ]
    )


def _commit(
    context: Context,
    token: str,
    processor: Processor,
    work: list[Any],
    size: int,
    crash_after: int | None,
) -> None:
    """Process one chunk and record it, retrying when the database is busy or deadlocked."""
    outcomes: list[Outcome] | None = None
    if context.dry_run:
        # A dry run writes nothing but the job: work it out once, outside the transaction.
        outcomes = processor.flush(work)
    for attempt in range(_RETRIES):
        try:
            with transaction.atomic():
                job = _locked_job(context.job_id, token)
                chunk = outcomes if outcomes is not None else processor.flush(work)
                if len(chunk) != size:
                    raise RuntimeError(f"{len(chunk)} outcomes for {size} rows")
                if crash_after is not None and job.processed_rows + size > crash_after:
                    raise SimulatedCrash
                _save_chunk(job, chunk)
            return
        except OperationalError:
            if attempt == _RETRIES - 1:
                raise
            logger.warning("import %s: database busy, chunk retried", context.job_id)
            clock.sleep(0.5 * (attempt + 1))


def _finish(job_id: int, token: str, status: str, failure: str = "") -> None:
    with transaction.atomic():
        job = _locked_job(job_id, token)
        options = options_of(job)
        options.lease_token, options.lease_until = "", None
        job.status = status
        job.failure = failure
        job.finished_at = timezone.now()
        if status == ImportStatus.DONE:
            job.total_rows = job.processed_rows
        job.options = dump(options)
        job.save(update_fields=["status", "failure", "finished_at", "total_rows", "options"])


def _context(job: ImportJob) -> Context:
    options, mapping = options_of(job), mapping_of(job)
    actor = job.created_by
    if options.started_by is not None:
        actor = User.objects.filter(pk=options.started_by, is_active=True).first()
    if actor is None:
        raise ImportFileError(
            "no_user", _("The employee who started this import is no longer active.")
        )
    return Context(
        job_id=job.pk,
        actor=actor,
        kind=job.kind,
        headers=mapping.headers,
        targets=mapping.targets,
        dry_run=options.dry_run,
        unit=options.unit,
        calendar=options.calendar,
        source_label=_("import #%(id)d, %(file)s") % {"id": job.pk, "file": job.original_name},
    )


def _run(
    job: ImportJob, context: Context, token: str, chunk_rows: int, crash_after: int | None
) -> None:
    processor = _processor(context)
    with (
        job.file.open("rb") as stored,
        open_sheet(cast(IO[bytes], stored), job.original_name) as sheet,
    ):
        if sheet.headers != context.headers:
            raise ImportFileError("changed", _("The stored file no longer matches its columns."))
        total = processor.count(sheet)
        if total is not None and not job.processed_rows:
            ImportJob.objects.filter(pk=job.pk).update(total_rows=total)
        skip = job.processed_rows
        size = 0
        for index, row in enumerate(sheet.rows()):
            if index < skip:
                continue
            processor.feed(row)
            size += 1
            if size >= chunk_rows and not processor.pending():
                _commit(context, token, processor, processor.take(), size, crash_after)
                size = 0
        if processor.pending():  # cannot happen: the first pass counted every order's lines
            raise RuntimeError("an order was left incomplete")
        if size:
            _commit(context, token, processor, processor.take(), size, crash_after)


def import_run(
    *, job_id: int, chunk_rows: int = CHUNK_ROWS, crash_after: int | None = None
) -> ImportJob | None:
    """Run (or continue) an import or dry run; safe to call twice, and from several workers.

    ``crash_after`` stands for a killed worker: the chunk that would take the job past that
    many rows raises :class:`SimulatedCrash` after its writes and is rolled back, and the job
    is left running, as a dead worker leaves it.
    """
    claimed = _claim(job_id, timezone.now())
    if claimed is None:
        return None
    job, token = claimed
    options = options_of(job)
    try:
        with translation.override(options.language):
            context = _context(job)
            with acting_as(context.actor):
                _run(job, context, token, chunk_rows, crash_after)
            _finish(job_id, token, ImportStatus.DONE)
    except LeaseLost:
        return None
    except SimulatedCrash:
        raise  # a "dead" worker records nothing: the job stays running with its lease
    except ImportFileError as exc:
        with translation.override(options.language):
            _finish(job_id, token, ImportStatus.FAILED, str(exc.message))
    except Exception:
        logger.exception("import %s failed", job_id)
        with translation.override(options.language):
            _finish(
                job_id,
                token,
                ImportStatus.FAILED,
                _(
                    "The import stopped on an unexpected error. The rows counted as processed "
                    "are saved; start it again to continue."
                ),
            )
    return ImportJob.objects.get(pk=job_id)


def import_sweep(*, now: datetime | None = None) -> list[int]:
    """Jobs a worker should pick up: running ones whose lease ran out (their worker died) and
    queued ones whose task was lost. Their leases are released; the caller enqueues them."""
    now = now or timezone.now()
    revived: list[int] = []
    candidates = ImportJob.objects.filter(
        status__in=[ImportStatus.PENDING, ImportStatus.RUNNING]
    ).values_list("pk", flat=True)
    for job_id in list(candidates):
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
            if job is None:
                continue
            options = options_of(job)
            if options.phase == "mapping":
                continue
            if job.status == ImportStatus.RUNNING:
                stale = options.lease_until is None or options.lease_until < now
            else:
                stale = options.queued_at is None or options.queued_at < now - QUEUE_GRACE
            if not stale:
                continue
            options.lease_token, options.lease_until = "", None
            options.queued_at = now
            job.options = dump(options)
            job.save(update_fields=["options"])
            revived.append(job_id)
    return revived
