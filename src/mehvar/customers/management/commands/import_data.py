"""``mehvar import_data customers FILE --user USERNAME [--dry-run] [--map col=field ...]``

Imports a CSV or XLSX file in the foreground, with the same job, checks and error report as
the web page, then prints the summary and every rejected row. The exit status is 0 when the
job finished (whatever it rejected) and 1 when it could not run.
"""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from mehvar.core.errors import ServiceError, ValidationFailed
from mehvar.core.models import User
from mehvar.customers.imports.columns import mapping_from_names, target_names
from mehvar.customers.imports.jobs import import_job_create, import_job_map, import_job_start
from mehvar.customers.imports.runner import import_run
from mehvar.customers.imports.state import mapping_of
from mehvar.customers.models import ImportJob, ImportKind, ImportStatus


class Command(BaseCommand):
    help = "Import customers or orders from a CSV or Excel (.xlsx) file."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("kind", choices=ImportKind.values)
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", required=True, help="the employee the import acts as")
        parser.add_argument("--dry-run", action="store_true", help="check and count, save nothing")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="COLUMN=FIELD",
            help="read the column headed COLUMN as FIELD ('' or 'ignore' to skip it)",
        )
        parser.add_argument("--unit", choices=["toman", "rial"], default="toman")
        parser.add_argument("--calendar", choices=["auto", "jalali", "gregorian"], default="auto")
        parser.add_argument("--lang", default="fa", help="language of the error report")
        parser.add_argument(
            "--max-errors", type=int, default=200, help="rejected rows to print (0: all)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(options["lang"]):
            self._handle(**options)

    def _handle(self, **options: Any) -> None:
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active employee named {options['user']!r}.")
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        kind = options["kind"]
        overrides = self._overrides(options["map"], kind)
        try:
            with path.open("rb") as upload:
                job = import_job_create(
                    actor=user,
                    kind=kind,
                    upload=upload,
                    filename=path.name,
                    size=path.stat().st_size,
                    unit=options["unit"],
                    calendar=options["calendar"],
                    language=options["lang"],
                )
            headers = mapping_of(job).headers
            try:
                targets = mapping_from_names(headers, kind, overrides)
            except KeyError as exc:
                raise CommandError(f"The file has no column {exc.args[0]!r}.") from exc
            job = import_job_map(actor=user, job=job, targets=targets)
            # The job runs here, in the foreground; no task is queued.
            import_job_start(
                actor=user, job=job, dry_run=options["dry_run"], enqueue=lambda _id: None
            )
        except ValidationFailed as exc:
            raise CommandError(
                "; ".join(f"{key}: {message}" for key, message in exc.errors.items())
            ) from exc
        except ServiceError as exc:
            raise CommandError(str(exc.message)) from exc
        self._print_mapping(job)
        finished = import_run(job_id=job.pk) or ImportJob.objects.get(pk=job.pk)
        self._print_report(finished, options["dry_run"], options["max_errors"])
        if finished.status != ImportStatus.DONE:
            raise CommandError(finished.failure or f"The import is {finished.status}.")

    def _overrides(self, pairs: list[str], kind: str) -> dict[str, str]:
        known = target_names(kind)
        overrides: dict[str, str] = {}
        for pair in pairs:
            column, sep, field = pair.partition("=")
            if not sep:
                raise CommandError(f"--map takes COLUMN=FIELD, not {pair!r}.")
            field = field.strip()
            if field not in known and field not in {"", "-", "ignore"}:
                raise CommandError(
                    f"Unknown field {field!r}; the fields are: {', '.join(sorted(known))}."
                )
            overrides[column.strip()] = field
        return overrides

    def _print_mapping(self, job: ImportJob) -> None:
        mapping = mapping_of(job)
        for header, target in zip(mapping.headers, mapping.targets, strict=True):
            self.stdout.write(f"  {header} → {target or '(ignored)'}")

    def _print_report(self, job: ImportJob, dry_run: bool, max_errors: int) -> None:
        verb = "would be " if dry_run else ""
        self.stdout.write(
            f"{job.original_name}: {job.total_rows} rows; "
            f"{verb}created {job.created_count}, {verb}updated {job.updated_count}, "
            f"unchanged {job.unchanged_count}, {verb}rejected {job.rejected_count}"
            + (" (dry run: nothing was saved)" if dry_run else "")
        )
        errors = job.row_errors.order_by("row", "id")
        shown = errors if max_errors <= 0 else errors[:max_errors]
        for error in shown:
            column = f" [{error.column}]" if error.column else ""
            value = f" «{error.value}»" if error.value else ""
            self.stdout.write(f"row {error.row}{column}{value}: {error.message}")
        hidden = errors.count() - (len(shown) if max_errors > 0 else errors.count())
        if hidden > 0:
            self.stdout.write(f"… and {hidden} more; see the import page for all of them.")
