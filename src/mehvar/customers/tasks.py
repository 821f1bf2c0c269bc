"""Background work of the customers app (Huey). Tasks take ids and call one service."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from mehvar.customers.imports.runner import import_run, import_sweep


@db_task()
def run_import(job_id: int) -> None:
    """Run or continue an import job; a second delivery finds the job taken or done."""
    import_run(job_id=job_id)


@db_periodic_task(crontab(minute="*"))
def sweep_imports() -> None:
    """Every minute: hand jobs whose worker died (lease expired) or whose task was lost to a
    new worker, which continues after the rows already saved."""
    for job_id in import_sweep():
        run_import(job_id)
