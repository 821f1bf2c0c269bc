"""Pages of import and export. Thin: parse the request, call a service or selector, render.

Every denied request is a 403 before anything is read or written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mehvar.core.errors import PermissionDenied, ValidationFailed
from mehvar.core.jalali import parse_date
from mehvar.core.models import User
from mehvar.core.roles import Perm, has_perm
from mehvar.customers.exports import (
    Export,
    build_export,
    csv_stream,
    customer_columns,
    customer_rows,
    error_report_rows,
    order_columns,
    order_rows,
)
from mehvar.customers.forms import CustomerFilterForm, unknown_params
from mehvar.customers.imports.columns import target_label
from mehvar.customers.imports.forms import MappingForm, UploadForm
from mehvar.customers.imports.jobs import (
    import_job_create,
    import_job_get,
    import_job_map,
    import_job_start,
    import_jobs_for,
    may_import,
)
from mehvar.customers.imports.state import JobOptions, mapping_of, options_of
from mehvar.customers.models import (
    ImportJob,
    ImportKind,
    ImportStatus,
    OrderChannel,
    OrderLine,
    OrderStatus,
)
from mehvar.customers.selectors import customer_list

ERRORS_PER_PAGE = 50
JOBS_SHOWN = 50


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - login_required ran first
    return user


def _job(request: HttpRequest, pk: int) -> ImportJob:
    try:
        return import_job_get(user=_user(request), job_id=pk)
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc.message)) from exc


# --- import -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def imports(request: HttpRequest) -> HttpResponse:
    """The recent jobs and the upload form; a good upload goes on to the column mapping."""
    user = _user(request)
    if not may_import(user):
        raise DjangoPermissionDenied
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        kind = form.cleaned_data["kind"]
        if not may_import(user, kind):
            raise DjangoPermissionDenied
        try:
            job = import_job_create(
                actor=user,
                kind=kind,
                upload=upload,
                filename=upload.name or "",
                size=upload.size or 0,
                unit=form.cleaned_data["unit"] or "toman",
                calendar=form.cleaned_data["calendar"] or "auto",
                language=get_language() or "fa",
            )
        except ValidationFailed as exc:
            form.add_service_errors(exc.errors)
        else:
            return redirect("data:import_mapping", pk=job.pk)
    rows = []
    for job in import_jobs_for(user)[:JOBS_SHOWN]:
        options = options_of(job)
        rows.append((job, options, job_state(job, options)))
    return render(
        request,
        "customers/data/imports.html",
        {"form": form, "jobs": rows},
        status=422 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    """Which column goes to which field; then a dry run, or the import straight away."""
    job = _job(request, pk)
    user = _user(request)
    mapping = mapping_of(job)
    form = MappingForm(request.POST or None, kind=job.kind, mapping=mapping)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        dry_run = request.POST.get("action") != "import"
        try:
            job = import_job_map(actor=user, job=job, targets=form.targets())
            import_job_start(actor=user, job=job, dry_run=dry_run)
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(str(exc.message)) from exc
        except ValidationFailed as exc:
            for key, message in exc.errors.items():
                if key in form.fields:
                    form.add_error(key, str(message))
                else:
                    problems.append(str(message))
        else:
            return redirect("data:import_job", pk=job.pk)
    return render(
        request,
        "customers/data/mapping.html",
        {"job": job, "form": form, "problems": problems, "options": options_of(job)},
        status=422 if (form.errors or problems) else 200,
    )


@login_required
@require_POST
def import_start(request: HttpRequest, pk: int) -> HttpResponse:
    """Start the import after a dry run, or continue one that failed."""
    job = _job(request, pk)
    try:
        import_job_start(actor=_user(request), job=job, dry_run=request.POST.get("dry_run") == "1")
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc.message)) from exc
    except ValidationFailed as exc:
        for message in exc.errors.values():
            messages.error(request, str(message))
    return redirect("data:import_job", pk=job.pk)


@dataclass(frozen=True)
class JobState:
    """Where a job stands, in the words and colours of the pages."""

    label: str
    css: str
    running: bool = False
    mapping: bool = False
    preview_done: bool = False
    failed_import: bool = False


def job_state(job: ImportJob, options: JobOptions) -> JobState:
    dry = options.phase == "preview"
    if options.phase == "mapping":
        return JobState(_("Waiting for the columns"), "text-bg-light", mapping=True)
    if job.status == ImportStatus.PENDING:
        label = _("Dry run queued") if dry else _("Import queued")
        return JobState(label, "text-bg-secondary", running=True)
    if job.status == ImportStatus.RUNNING:
        label = _("Dry run running") if dry else _("Importing")
        return JobState(label, "text-bg-info", running=True)
    if job.status == ImportStatus.FAILED:
        return JobState(_("Failed"), "text-bg-danger", failed_import=not dry)
    if dry:
        return JobState(_("Dry run done: waiting for you"), "text-bg-warning", preview_done=True)
    return JobState(_("Imported"), "text-bg-success")


@login_required
@require_GET
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    """A job's progress, counts, preview and errors. htmx asks for the progress every second
    while the job runs (and gets a full reload when it ends) and for error pages."""
    job = _job(request, pk)
    options = options_of(job)
    state = job_state(job, options)
    running = state.running
    target = request.htmx.target if request.htmx else None  # type: ignore[attr-defined]
    if target == "job-progress":
        response = render(
            request,
            "customers/data/partials/progress.html",
            {"job": job, "options": options, "running": running, "state": state},
        )
        if not running and request.GET.get("was") == "running":
            response["HX-Refresh"] = "true"
        return response
    errors = Paginator(job.row_errors.order_by("row", "id"), ERRORS_PER_PAGE)
    page = errors.get_page(request.GET.get("page"))
    columns = _preview_columns(job)
    context: dict[str, Any] = {
        "job": job,
        "options": options,
        "state": state,
        "running": running,
        "errors": page,
        "preview_columns": columns,
        "preview_rows": [
            (row, [(row.values.get(name, ""), name in row.changed) for name, _label in columns])
            for row in options.preview
        ],
    }
    if target == "job-errors":
        return render(request, "customers/data/partials/errors.html", context)
    return render(request, "customers/data/job.html", context)


def _preview_columns(job: ImportJob) -> list[tuple[str, str]]:
    """(field, label) of the preview table: the fields the mapping chose, in column order.
    A customer's full name is shown as the first and last name it is split into."""
    names: list[str] = []
    for target in mapping_of(job).targets:
        expanded = [target]
        if target == "full_name" and job.kind == ImportKind.CUSTOMERS:
            expanded = ["first_name", "last_name"]
        names += [name for name in expanded if name and name not in names]
    return [(name, target_label(job.kind, name)) for name in names]


@login_required
@require_GET
def import_errors_csv(request: HttpRequest, pk: int) -> HttpResponseBase:
    job = _job(request, pk)
    headers, rows = error_report_rows(job)
    response = StreamingHttpResponse(
        csv_stream(headers, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response


# --- export -----------------------------------------------------------------------------------

# Besides the filters: the file's shape, and the list's page number (a link copied from a
# paginated list still exports the whole filtered list).
_EXPORT_PARAMS = frozenset({"format", "calendar", "unit", "page"})


def _export_options(request: HttpRequest) -> tuple[str, str, str] | None:
    fmt = request.GET.get("format", "csv")
    persian = (get_language() or "fa").startswith("fa")
    calendar = request.GET.get("calendar") or ("jalali" if persian else "gregorian")
    unit = request.GET.get("unit") or settings.MEHVAR_CURRENCY_UNIT
    if (
        fmt not in ("csv", "xlsx")
        or calendar not in ("jalali", "gregorian")
        or unit not in ("toman", "rial")
    ):
        return None
    return fmt, calendar, unit


def _respond(export: Export) -> HttpResponseBase:
    response: HttpResponseBase
    if export.xlsx is not None:
        response = FileResponse(export.xlsx, content_type=export.content_type)
    else:
        assert export.csv is not None  # noqa: S101 - one of the two is always set
        response = StreamingHttpResponse(export.csv, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def export_customers(request: HttpRequest) -> HttpResponseBase:
    """The customer list, with the list's own filters, as CSV or Excel."""
    user = _user(request)
    if not has_perm(user, Perm.CUSTOMER_EXPORT):
        raise DjangoPermissionDenied
    options = _export_options(request)
    params = request.GET.copy()
    for name in _EXPORT_PARAMS:
        params.pop(name, None)
    form = CustomerFilterForm(params)
    if options is None or unknown_params(params, form, frozenset()) or not form.is_valid():
        return HttpResponseBadRequest(_("Unknown export or filter parameters."))
    fmt, calendar, _unit = options
    customers = customer_list(viewer=user, filters=form.filters())
    columns = customer_columns(calendar)  # type: ignore[arg-type]
    return _respond(
        build_export(
            name="customers",
            columns=columns,
            rows=customer_rows(customers, columns),
            fmt=fmt,  # type: ignore[arg-type]
            calendar=calendar,  # type: ignore[arg-type]
        )
    )


_ORDER_PARAMS = frozenset({"customer", "status", "channel", "from", "to"})


@login_required
@require_GET
def export_orders(request: HttpRequest) -> HttpResponseBase:
    """Order lines (one row per line, so the file can be imported again) as CSV or Excel.
    Filters: customer (id), status, channel, from and to (Jalali or Gregorian dates)."""
    user = _user(request)
    if not has_perm(user, Perm.CUSTOMER_EXPORT):
        raise DjangoPermissionDenied
    options = _export_options(request)
    unknown = set(request.GET) - _ORDER_PARAMS - _EXPORT_PARAMS
    if options is None or unknown:
        return HttpResponseBadRequest(_("Unknown export or filter parameters."))
    lines = OrderLine.objects.filter(order__customer__merged_into__isnull=True)
    get = request.GET
    try:
        if get.get("customer"):
            lines = lines.filter(order__customer_id=int(get["customer"]))
        if get.get("status"):
            lines = lines.filter(order__status=OrderStatus(get["status"]))
        if get.get("channel"):
            lines = lines.filter(order__channel=OrderChannel(get["channel"]))
        if get.get("from"):
            lines = lines.filter(order__placed_at__date__gte=parse_date(get["from"]))
        if get.get("to"):
            lines = lines.filter(order__placed_at__date__lte=parse_date(get["to"]))
    except ValueError:
        return HttpResponseBadRequest(_("Unknown export or filter parameters."))
    fmt, calendar, unit = options
    columns = order_columns(calendar, unit)  # type: ignore[arg-type]
    lines = lines.order_by("order__placed_at", "order_id", "id")
    return _respond(
        build_export(
            name="orders",
            columns=columns,
            rows=order_rows(lines, columns),
            fmt=fmt,  # type: ignore[arg-type]
            calendar=calendar,  # type: ignore[arg-type]
        )
    )
