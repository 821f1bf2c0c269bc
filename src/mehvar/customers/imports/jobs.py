"""Import jobs as the pages and the command see them: upload, map the columns, start, read.

Permissions are checked before anything is stored (SECURITY.md: no write-then-check). Only roles
with ``Perm.CUSTOMER_IMPORT`` import; orders also need ``Perm.ORDER_EDIT``. An employee sees
their own jobs; admins and managers see everyone's.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mehvar.core.errors import PermissionDenied, ValidationFailed
from mehvar.core.models import User
from mehvar.core.roles import Perm, Role, has_perm
from mehvar.customers.imports.columns import detect_mapping, validate_mapping
from mehvar.customers.imports.readers import (
    ImportFileError,
    cell_text,
    check_extension,
    open_sheet,
)
from mehvar.customers.imports.state import ColumnMapping, JobOptions, dump, mapping_of, options_of
from mehvar.customers.models import ImportJob, ImportKind, ImportRowError, ImportStatus

SAMPLE_ROWS = 3
_LEADS = (Role.ADMIN, Role.MANAGER)


def may_import(user: User, kind: str | None = None) -> bool:
    if not has_perm(user, Perm.CUSTOMER_IMPORT):
        return False
    return kind != ImportKind.ORDERS or has_perm(user, Perm.ORDER_EDIT)


def can_see_job(user: User, job: ImportJob) -> bool:
    if not has_perm(user, Perm.CUSTOMER_IMPORT):
        return False
    return user.role in _LEADS or job.created_by_id == user.pk


def import_jobs_for(user: User) -> QuerySet[ImportJob]:
    """The jobs ``user`` may see, newest first."""
    if not has_perm(user, Perm.CUSTOMER_IMPORT):
        return ImportJob.objects.none()
    jobs = ImportJob.objects.select_related("created_by").order_by("-created_at", "-id")
    return jobs if user.role in _LEADS else jobs.filter(created_by=user)


def import_job_get(*, user: User, job_id: int) -> ImportJob:
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None or not can_see_job(user, job):
        # The same answer whether the job is someone else's or missing: ids are not a secret,
        # but what others import is.
        raise PermissionDenied(_("You may not see this import."))
    return job


def _require(user: User, kind: str | None = None) -> None:
    if not may_import(user, kind):
        raise PermissionDenied(_("Your role may not import this."))


def import_job_create(
    *,
    actor: User,
    kind: str,
    upload: IO[bytes],
    filename: str,
    size: int,
    unit: str = "toman",
    calendar: str = "auto",
    language: str = "fa",
) -> ImportJob:
    """Check and store an uploaded file, and detect its columns; nothing is imported yet.

    Raises ``PermissionDenied`` or ``ValidationFailed`` (``{"file": reason}``).
    """
    _require(actor, kind)
    if kind not in ImportKind.values:
        raise ValidationFailed({"kind": gettext_lazy("Choose customers or orders.")})
    limit = settings.MEHVAR_IMPORT_MAX_BYTES
    if size > limit:
        raise ValidationFailed(
            {
                "file": gettext_lazy("The file is larger than %(mb)d MB.")
                % {"mb": limit // (1024 * 1024)}
            }
        )
    try:
        extension = check_extension(filename)
        with open_sheet(upload, filename) as sheet:
            headers = sheet.headers
            samples: list[list[str]] = []
            for _number, cells in sheet.rows():
                samples.append([cell_text(c)[:60] for c in cells])
                if len(samples) >= SAMPLE_ROWS:
                    break
    except ImportFileError as exc:
        raise ValidationFailed({"file": exc.message}) from exc
    mapping = ColumnMapping(headers=headers, targets=detect_mapping(headers, kind), samples=samples)
    options = JobOptions(
        unit=unit,  # type: ignore[arg-type]
        calendar=calendar,  # type: ignore[arg-type]
        language=language,
    )
    job = ImportJob(
        kind=kind,
        original_name=filename[-255:],
        mapping=dump(mapping),
        options=dump(options),
        created_by=actor,
    )
    upload.seek(0)
    # A random stored name: the user's file name never becomes a path on the server.
    job.file.save(f"{uuid.uuid4().hex}{extension}", File(upload), save=False)
    job.save()
    return job


def _editable(job: ImportJob) -> None:
    if job.status == ImportStatus.RUNNING or (
        job.status == ImportStatus.PENDING and options_of(job).phase != "mapping"
    ):
        raise ValidationFailed({"job": gettext_lazy("This import is running; wait for it.")})
    if job.status == ImportStatus.DONE and options_of(job).phase == "import":
        raise ValidationFailed(
            {"job": gettext_lazy("This import is finished; upload the file again to re-import.")}
        )


@transaction.atomic
def import_job_map(*, actor: User, job: ImportJob, targets: Sequence[str]) -> ImportJob:
    """Set each column's field ("" ignores it). Raises ValidationFailed with ``column_<i>``
    keys for the columns at fault and ``mapping`` for the mapping as a whole."""
    if not can_see_job(actor, job):
        raise PermissionDenied(_("You may not see this import."))
    _require(actor, job.kind)
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    _editable(job)
    mapping = mapping_of(job)
    if len(targets) != len(mapping.headers):
        raise ValidationFailed({"mapping": gettext_lazy("The columns do not match the file.")})
    problems = validate_mapping(targets, job.kind)
    if problems:
        errors: dict[str, Any] = {}
        for problem in problems:
            key = "mapping" if problem.column is None else f"column_{problem.column}"
            errors.setdefault(key, problem.message)
        raise ValidationFailed(errors)
    mapping.targets = list(targets)
    job.mapping = dump(mapping)
    options = options_of(job)
    options.phase = "mapping"
    options.preview = []
    job.options = dump(options)
    job.status = ImportStatus.PENDING
    job.save(update_fields=["mapping", "options", "status"])
    return job


@transaction.atomic
def import_job_start(
    *,
    actor: User,
    job: ImportJob,
    dry_run: bool,
    enqueue: Callable[[int], Any] | None = None,
) -> ImportJob:
    """Queue a dry run or the import itself; the task runs after this transaction commits.

    A failed import started again continues where it stopped; anything else starts afresh.
    """
    if not can_see_job(actor, job):
        raise PermissionDenied(_("You may not see this import."))
    _require(actor, job.kind)
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    options = options_of(job)
    resume = not dry_run and options.phase == "import" and job.status == ImportStatus.FAILED
    if not resume:
        _editable(job)
    problems = validate_mapping(mapping_of(job).targets, job.kind)
    if problems:
        raise ValidationFailed({"mapping": problems[0].message})
    if not resume:
        ImportRowError.objects.filter(job=job).delete()
        job.total_rows = job.processed_rows = 0
        job.created_count = job.updated_count = job.unchanged_count = job.rejected_count = 0
        job.started_at = None
        options.preview = []
    options.phase = "preview" if dry_run else "import"
    options.started_by = actor.pk
    options.queued_at = timezone.now()
    options.lease_token, options.lease_until = "", None
    job.status = ImportStatus.PENDING
    job.failure = ""
    job.finished_at = None
    job.options = dump(options)
    job.save()
    if enqueue is None:
        from mehvar.customers.tasks import run_import

        enqueue = run_import
    job_id = job.pk
    transaction.on_commit(lambda: enqueue(job_id))
    return job
