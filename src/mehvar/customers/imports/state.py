"""The typed shape of an import job's JSON fields (``ImportJob.mapping`` and ``.options``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from mehvar.customers.models import ImportJob

Phase = Literal["mapping", "preview", "import"]
Action = Literal["created", "updated", "unchanged", "rejected"]

PREVIEW_ROWS = 20


class ColumnMapping(BaseModel):
    """The file's headers as found, and the field each column goes to ("" = ignored)."""

    headers: list[str] = Field(default_factory=list)
    targets: list[str] = Field(default_factory=list)
    samples: list[list[str]] = Field(default_factory=list)

    def columns(self) -> dict[str, int]:
        return {target: index for index, target in enumerate(self.targets) if target}


class PreviewRow(BaseModel):
    row: int
    action: Action
    values: dict[str, str] = Field(default_factory=dict)
    changed: list[str] = Field(default_factory=list)


class JobOptions(BaseModel):
    """What the user chose at upload and where the job stands.

    ``phase``: "mapping" waits for the user to confirm the columns, "preview" is a dry run
    (nothing is written but the job's own counters, errors and preview), "import" writes.
    The lease says which worker holds a running job and until when; a sweeper hands a job
    whose lease ran out to a new worker, which continues after ``processed_rows``.
    """

    phase: Phase = "mapping"
    unit: Literal["rial", "toman"] = "toman"
    calendar: Literal["auto", "jalali", "gregorian"] = "auto"
    language: str = "fa"
    # Who started the current run: the import acts (and is audited) as them.
    started_by: int | None = None
    queued_at: datetime | None = None
    lease_token: str = ""
    lease_until: datetime | None = None
    preview: list[PreviewRow] = Field(default_factory=list)

    @property
    def dry_run(self) -> bool:
        return self.phase == "preview"


def options_of(job: ImportJob) -> JobOptions:
    return JobOptions.model_validate(job.options or {})


def mapping_of(job: ImportJob) -> ColumnMapping:
    return ColumnMapping.model_validate(job.mapping or {})


def dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")
