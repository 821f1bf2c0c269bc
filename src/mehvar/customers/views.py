"""Customer pages: the list, the 360 page, create and edit, merge, duplicates.

Each view parses its input with a form, calls a service or selector, and renders. Services
decide permissions: a ``PermissionDenied`` becomes the 403 page, a ``ValidationFailed`` becomes
errors next to the fields. htmx requests get a partial (``mehvar.core.htmx`` decides); every
form also works as a plain POST followed by a redirect, without JavaScript.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mehvar.core.errors import Duplicate, PermissionDenied, ServiceError, ValidationFailed
from mehvar.core.htmx import (
    denied,
    render_page_or_partial,
    vary_on_htmx,
    wants_partial,
)
from mehvar.core.jalali import from_jalali, to_jalali
from mehvar.core.models import TimelineEvent, User
from mehvar.core.persian import normalize_text, to_latin_digits
from mehvar.core.roles import Perm, can_edit_customer, can_reassign_owner, has_perm
from mehvar.core.timeline import ref_of
from mehvar.customers import merge as merging
from mehvar.customers import selectors, services
from mehvar.customers.forms import (
    ConsentForm,
    CustomerFilterForm,
    CustomerForm,
    InteractionForm,
    MergeForm,
    NoteForm,
    SavedViewForm,
    TaskForm,
    TimelineFilterForm,
    unknown_params,
)
from mehvar.customers.models import (
    ConsentChange,
    ConsentChannel,
    ConsentSource,
    Customer,
    CustomerKind,
    Note,
    Order,
    OrderStatus,
    SavedView,
    Task,
    TaskStatus,
)

LIST_PAGE_SIZE = 25
TIMELINE_PAGE_SIZE = 20
# The columns the list shows: loading only these keeps a page of a large table light.
LIST_COLUMNS = (
    "id", "kind", "first_name", "last_name", "company_name", "mobile", "email", "province",
    "city", "lifecycle_stage", "created_at", "owner", "owner__username", "owner__first_name",
    "owner__last_name", "score__segment", "score__clv", "score__is_top",
)  # fmt: skip
_NOT_SOLD = (OrderStatus.CANCELLED, OrderStatus.RETURNED)


def _actor(request: HttpRequest) -> User:
    """The signed-in employee (every view here is behind ``login_required``)."""
    return cast(User, request.user)


def _live(pk: int) -> Customer:
    """A customer that was not merged away, or 404."""
    return get_object_or_404(
        Customer.objects.select_related("owner", "company"), pk=pk, merged_into__isnull=True
    )


def _detail_url(customer: Customer, anchor: str = "") -> str:
    url = reverse("customers:detail", kwargs={"pk": customer.pk})
    return f"{url}#{anchor}" if anchor else url


# --- The list ------------------------------------------------------------------------------


def _saved_views(viewer: User) -> QuerySet[SavedView]:
    return SavedView.objects.filter(Q(owner=viewer) | Q(shared=True)).select_related("owner")


@login_required
@require_GET
def customer_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    form = CustomerFilterForm(request.GET)
    valid = form.is_valid()
    unknown = unknown_params(request.GET, form, CustomerFilterForm.EXTRA_PARAMS)
    if unknown:
        form.add_error(None, _("Unknown filter: %(names)s") % {"names": ", ".join(unknown)})
        valid = False
    page_obj = None
    query = ""
    if valid:
        customers = selectors.customer_list(viewer=actor, filters=form.filters())
        # The analytics score (insights app) comes with each row through the reverse one-to-one.
        rows = customers.select_related("score").only(*LIST_COLUMNS)
        page_obj = Paginator(rows, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
        query = form.query_string()
    context = {
        "form": form,
        "page_obj": page_obj,
        "query": query,
        "saved_views": _saved_views(actor),
        "save_form": SavedViewForm(initial={"query": query}, auto_id="view_%s"),
    }
    return render_page_or_partial(
        request,
        page="customers/pages/list.html",
        partial="customers/partials/results.html",
        context=context,
        status=200 if valid else 400,
    )


@login_required
@require_POST
def saved_view_save(request: HttpRequest) -> HttpResponse:
    form = SavedViewForm(request.POST)
    list_url = reverse("customers:list")
    if not form.is_valid():
        errors = [str(e) for errs in form.errors.values() for e in errs]
        messages.error(request, " ".join(errors))
        return redirect(list_url)
    view = form.save_for(_actor(request))
    messages.success(request, _("The view “%(name)s” was saved.") % {"name": view.name})
    return redirect(f"{list_url}?{view.query}" if view.query else list_url)


@login_required
@require_POST
def saved_view_delete(request: HttpRequest, view_pk: int) -> HttpResponse:
    # Only the owner's own views match, so another user's id is simply not found.
    deleted, _rows = SavedView.objects.filter(pk=view_pk, owner=_actor(request)).delete()
    if not deleted:
        raise Http404
    messages.success(request, _("The view was deleted."))
    return redirect("customers:list")


# --- The 360 page --------------------------------------------------------------------------


def _timeline(customer: Customer, form: TimelineFilterForm, *, cumulative: bool) -> dict[str, Any]:
    """One page of the timeline, or (``cumulative``) every page up to the asked one."""
    data = form.cleaned_data if form.is_valid() else {}
    kinds = [data["kind"]] if data.get("kind") else None
    events = selectors.customer_timeline(customer, kinds=kinds)
    if data.get("department"):
        events = events.filter(department=data["department"])
    page = data.get("page") or 1
    start = 0 if cumulative else (page - 1) * TIMELINE_PAGE_SIZE
    end = page * TIMELINE_PAGE_SIZE
    rows = list(events[start : end + 1])
    filters = {name: data[name] for name in ("department", "kind") if data.get(name)}
    return {
        "customer": customer,
        "events": rows[: end - start],
        "timeline_more": len(rows) > end - start,
        "timeline_next": urlencode({**filters, "page": page + 1}),
        "timeline_first": start == 0,
        "timeline_form": form,
    }


def _tasks(customer: Customer, actor: User) -> dict[str, Any]:
    tasks = list(
        Task.objects.filter(customer=customer, status=TaskStatus.OPEN).select_related("assignee")[
            :50
        ]
    )
    manager = can_reassign_owner(actor)
    return {
        "customer": customer,
        "tasks": [
            (task, manager or actor.pk in (task.assignee_id, task.created_by_id)) for task in tasks
        ],
        "open_task_count": len(tasks),
    }


def _notes(customer: Customer) -> dict[str, Any]:
    notes = Note.objects.filter(customer=customer).select_related("author")[:5]
    return {"customer": customer, "notes": notes}


def _event_of(customer: Customer, obj: Any) -> TimelineEvent | None:
    """The timeline event a service just wrote for ``obj``."""
    ref_type, ref_id = ref_of(obj)
    events = selectors.customer_timeline(customer).filter(ref_type=ref_type, ref_id=ref_id)
    return events.first()


def _detail_context(
    request: HttpRequest,
    customer: Customer,
    *,
    timeline_form: TimelineFilterForm | None = None,
    log_form: InteractionForm | None = None,
    note_form: NoteForm | None = None,
    task_form: TaskForm | None = None,
) -> dict[str, Any]:
    actor = _actor(request)
    consents = selectors.customer_consents(customer)
    contacts: list[Customer] = []
    if customer.kind == CustomerKind.COMPANY:
        contacts = list(
            customer.contacts.filter(merged_into__isnull=True).only(
                "id", "kind", "first_name", "last_name", "job_title", "mobile"
            )[:50]
        )
    timeline_form = timeline_form or TimelineFilterForm({}, auto_id="tl_%s")
    return {
        "customer": customer,
        "tags": list(customer.tags.all()),
        "contacts": contacts,
        "stats": selectors.customer_stats(customer),
        "consents": [(channel, consents.get(channel.value)) for channel in ConsentChannel],
        "consent_history": ConsentChange.objects.filter(customer=customer).select_related("actor")[
            :30
        ],
        "orders": Order.objects.filter(customer=customer).prefetch_related("lines")[:10],
        "can_edit": can_edit_customer(actor, customer),
        "log_form": log_form or InteractionForm(auto_id="log_%s"),
        "note_form": note_form or NoteForm(auto_id="note_%s"),
        "task_form": task_form or TaskForm(auto_id="task_%s"),
        "consent_form": ConsentForm(auto_id="consent_%s"),
        "merge_form": MergeForm(auto_id="merge_%s"),
        **_notes(customer),
        **_tasks(customer, actor),
        **_timeline(customer, timeline_form, cumulative=True),
    }


@login_required
@require_GET
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # "score" is the analytics snapshot (insights app), read by name through the reverse
    # one-to-one; the 360 card shows it with the insights template tags.
    customer = get_object_or_404(
        Customer.objects.select_related("owner", "company", "score"), pk=pk
    )
    if customer.merged_into_id is not None:
        messages.info(request, _("This record was merged into another one."))
        return redirect("customers:detail", pk=customer.merged_into_id)
    form = TimelineFilterForm(request.GET, auto_id="tl_%s")
    status = 200 if form.is_valid() else 400
    if wants_partial(request):
        # The timeline's filters and "load more" ask for the next events only.
        context = _timeline(customer, form, cumulative=False)
        response = render(request, "customers/partials/timeline_items.html", context, status=status)
    else:
        context = _detail_context(request, customer, timeline_form=form)
        response = render(request, "customers/pages/detail.html", context, status=status)
    return vary_on_htmx(response)


def _refused(request: HttpRequest, customer: Customer, partial: str, **forms: Any) -> HttpResponse:
    """A form on the 360 page was refused: show it again with its errors, where it was."""
    if wants_partial(request):
        context = {"customer": customer, **forms}
        if "note_form" in forms:
            context.update(_notes(customer))
        if "task_form" in forms:
            context.update(_tasks(customer, _actor(request)))
        return render(request, partial, context, status=422)
    context = _detail_context(request, customer, **forms)
    return render(request, "customers/pages/detail.html", context, status=422)


@login_required
@require_POST
def interaction_log(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _live(pk)
    form = InteractionForm(request.POST, auto_id="log_%s")
    if form.is_valid():
        try:
            interaction = services.interaction_log(
                actor=_actor(request), customer=customer, **form.cleaned_data
            )
        except PermissionDenied as exc:
            return denied(request, exc.message)
        except ValidationFailed as exc:
            form.add_service_errors(exc.errors)
        else:
            if wants_partial(request):
                context = {
                    "customer": customer,
                    "log_form": InteractionForm(auto_id="log_%s"),
                    "new_event": _event_of(customer, interaction),
                    "saved": True,
                }
                return render(request, "customers/partials/log_call.html", context)
            messages.success(request, _("The contact was logged."))
            return redirect(_detail_url(customer, "timeline"))
    return _refused(request, customer, "customers/partials/log_call.html", log_form=form)


@login_required
@require_POST
def note_add(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _live(pk)
    form = NoteForm(request.POST, auto_id="note_%s")
    if form.is_valid():
        try:
            note = services.note_add(
                actor=_actor(request), customer=customer, body=form.cleaned_data["body"]
            )
        except PermissionDenied as exc:
            return denied(request, exc.message)
        except ValidationFailed as exc:
            form.add_service_errors(exc.errors)
        else:
            if wants_partial(request):
                context = {
                    **_notes(customer),
                    "note_form": NoteForm(auto_id="note_%s"),
                    "new_event": _event_of(customer, note),
                }
                return render(request, "customers/partials/notes.html", context)
            messages.success(request, _("The note was added."))
            return redirect(_detail_url(customer, "notes"))
    return _refused(request, customer, "customers/partials/notes.html", note_form=form)


@login_required
@require_POST
def task_add(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _live(pk)
    actor = _actor(request)
    form = TaskForm(request.POST, auto_id="task_%s")
    if form.is_valid():
        try:
            task = services.task_create(
                actor=actor,
                customer=customer,
                title=form.cleaned_data["title"],
                due_at=form.due_at(),
                assignee=form.cleaned_data.get("assignee"),
            )
        except PermissionDenied as exc:
            return denied(request, exc.message)
        except ValidationFailed as exc:
            form.add_service_errors(exc.errors)
        else:
            if wants_partial(request):
                context = {
                    **_tasks(customer, actor),
                    "task_form": TaskForm(auto_id="task_%s"),
                    "new_event": _event_of(customer, task),
                }
                return render(request, "customers/partials/tasks.html", context)
            messages.success(request, _("The task was added."))
            return redirect(_detail_url(customer, "tasks"))
    return _refused(request, customer, "customers/partials/tasks.html", task_form=form)


@login_required
@require_POST
def task_complete(request: HttpRequest, pk: int, task_pk: int) -> HttpResponse:
    customer = _live(pk)
    actor = _actor(request)
    task = get_object_or_404(Task, pk=task_pk, customer=customer)
    try:
        task = services.task_complete(actor=actor, task=task)
    except PermissionDenied as exc:
        return denied(request, exc.message)
    if wants_partial(request):
        context = {
            **_tasks(customer, actor),
            "task_form": TaskForm(auto_id="task_%s"),
            "new_event": _event_of(customer, task),
        }
        return render(request, "customers/partials/tasks.html", context)
    messages.success(request, _("The task was marked done."))
    return redirect(_detail_url(customer, "tasks"))


@login_required
@require_POST
def consent_update(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _live(pk)
    form = ConsentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a channel and a status."))
        return redirect(_detail_url(customer, "consents"))
    try:
        services.consent_set(
            actor=_actor(request),
            customer=customer,
            channel=form.cleaned_data["channel"],
            status=form.cleaned_data["status"],
            source=ConsentSource.STAFF,
            evidence=form.cleaned_data["evidence"],
        )
    except PermissionDenied as exc:
        return denied(request, exc.message)
    except ServiceError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The consent was recorded."))
    return redirect(_detail_url(customer, "consents"))


# --- Create and edit -----------------------------------------------------------------------


def _form_page(
    request: HttpRequest,
    form: CustomerForm,
    *,
    customer: Customer | None = None,
    existing_id: int | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {"form": form, "customer": customer, "existing_id": existing_id}
    return render(request, "customers/pages/form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def customer_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if not has_perm(actor, Perm.CUSTOMER_CREATE):
        return denied(request)
    can_assign = can_reassign_owner(actor)
    if request.method != "POST":
        return _form_page(request, CustomerForm(can_assign_owner=can_assign))
    form = CustomerForm(request.POST, can_assign_owner=can_assign)
    existing_id = None
    if form.is_valid():
        extra: dict[str, Any] = {}
        if can_assign:
            extra["owner"] = form.cleaned_data.get("owner")
        try:
            customer = services.customer_create(
                actor=actor,
                data=form.service_data(),
                company=form.cleaned_data.get("company"),
                **extra,
            )
        except PermissionDenied as exc:
            return denied(request, exc.message)
        except Duplicate as exc:
            form.add_service_errors(exc.errors)
            existing_id = exc.existing_id
        except ValidationFailed as exc:
            form.add_service_errors(exc.errors)
        else:
            messages.success(request, _("The customer was created."))
            return redirect(_detail_url(customer))
    return _form_page(request, form, existing_id=existing_id, status=422)


@login_required
@require_http_methods(["GET", "POST"])
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    customer = _live(pk)
    if not can_edit_customer(actor, customer):
        return denied(request, _("You may only edit customers you own."))
    can_assign = can_reassign_owner(actor)
    if request.method != "POST":
        form = CustomerForm(
            initial=CustomerForm.initial_for(customer),
            can_assign_owner=can_assign,
            with_company=False,
        )
        return _form_page(request, form, customer=customer)
    form = CustomerForm(request.POST, can_assign_owner=can_assign, with_company=False)
    existing_id = None
    if form.is_valid():
        extra: dict[str, Any] = {}
        if can_assign:
            extra["owner"] = form.cleaned_data.get("owner")
        try:
            result = services.customer_update(
                actor=actor, customer=customer, data=form.service_data(), **extra
            )
        except PermissionDenied as exc:
            return denied(request, exc.message)
        except Duplicate as exc:
            form.add_service_errors(exc.errors)
            existing_id = exc.existing_id
        except ValidationFailed as exc:
            form.add_service_errors(exc.errors)
        else:
            if result.changed:
                messages.success(request, _("The changes were saved."))
            else:
                messages.info(request, _("Nothing was changed."))
            return redirect(_detail_url(customer))
    return _form_page(request, form, customer=customer, existing_id=existing_id, status=422)


@login_required
@require_GET
def company_options(request: HttpRequest) -> HttpResponse:
    """Suggestions for the "works at company" field: companies whose name starts so."""
    query = normalize_text(request.GET.get("company", ""))[:100]
    companies: list[Customer] = []
    if query and not query.startswith("#"):
        filters = selectors.CustomerFilters(q=query, kind=CustomerKind.COMPANY)
        found = selectors.customer_list(viewer=_actor(request), filters=filters)
        companies = list(found.select_related(None).only("id", "kind", "company_name")[:10])
    return render(request, "customers/partials/company_options.html", {"companies": companies})


# --- Merge and duplicates ------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def customer_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Pick a record (by number or search), confirm, and fold it into this one."""
    actor = _actor(request)
    target = _live(pk)
    if not has_perm(actor, Perm.CUSTOMER_MERGE):
        return denied(request)
    query = normalize_text(request.GET.get("q", ""))[:100]
    source: Customer | None = None
    candidates: list[Customer] = []
    status = 200
    if request.method == "POST":
        form = MergeForm(request.POST, auto_id="merge_%s")
        if form.is_valid():
            source = Customer.objects.filter(pk=form.cleaned_data["source"]).first()
            if source is None:
                form.add_error("source", _("There is no customer with this number."))
            else:
                try:
                    merging.customer_merge(actor=actor, source=source, target=target)
                except PermissionDenied as exc:
                    return denied(request, exc.message)
                except ServiceError as exc:
                    form.add_error("source", str(exc.message))
                else:
                    messages.success(
                        request,
                        _("Record #%(source)s was merged into this one.") % {"source": source.pk},
                    )
                    return redirect(_detail_url(target))
        status = 422
    else:
        number = to_latin_digits(query).lstrip("#").strip()
        form = MergeForm(auto_id="merge_%s")
        if number.isdigit():
            source = Customer.objects.filter(pk=int(number), merged_into__isnull=True).first()
            if source is None or source.pk == target.pk:
                form = MergeForm({"source": number}, auto_id="merge_%s")
                form.is_valid()
                form.add_error("source", _("Choose another live customer record."))
                source = None
            else:
                form = MergeForm(initial={"source": source.pk}, auto_id="merge_%s")
        elif query:
            found = selectors.customer_list(
                viewer=actor, filters=selectors.CustomerFilters(q=query)
            )
            candidates = list(found.exclude(pk=target.pk)[:20])
    source_counts = None
    if source is not None:
        source_counts = {
            "orders": source.orders.count(),
            "events": source.timeline_events.count(),
        }
    context = {
        "customer": target,
        "source": source,
        "source_counts": source_counts,
        "candidates": candidates,
        "query": query,
        "form": form,
    }
    return render(request, "customers/pages/merge.html", context, status=status)


@login_required
@require_GET
def duplicates(request: HttpRequest) -> HttpResponse:
    groups = merging.duplicate_groups(limit=50)
    ids = {pk for group in groups for pk in group.customer_ids}
    by_id = Customer.objects.select_related("owner").in_bulk(ids)
    rows = [(group, [by_id[pk] for pk in group.customer_ids if pk in by_id]) for group in groups]
    return render(request, "customers/pages/duplicates.html", {"groups": rows})


# --- The dashboard's customer numbers --------------------------------------------------------


def _month_start() -> datetime:
    """Midnight (Tehran) on the first day of the current Jalali month."""
    year, month, _day = to_jalali(timezone.localdate())
    return timezone.make_aware(datetime.combine(from_jalali(year, month, 1), time.min))


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """The numbers and "my tasks" panel of the home page; every query uses an index."""
    actor = _actor(request)
    start = _month_start()
    live = Customer.objects.filter(merged_into__isnull=True)
    orders = (
        Order.objects.filter(placed_at__gte=start)
        .exclude(status__in=_NOT_SOLD)
        .aggregate(n=Count("id"), revenue=Sum("total"))
    )
    my_tasks = (
        Task.objects.filter(
            assignee=actor, status=TaskStatus.OPEN, due_at__lte=timezone.now() + timedelta(days=7)
        )
        .select_related("customer")
        .order_by("due_at", "id")[:10]
    )
    context = {
        "customer_count": live.count(),
        "new_customer_count": live.filter(created_at__gte=start).count(),
        "order_count": orders["n"] or 0,
        "revenue": orders["revenue"] or 0,
        "month_start": start,
        "my_tasks": my_tasks,
        "now": timezone.now(),
    }
    return render_page_or_partial(
        request,
        page="customers/pages/dashboard.html",
        partial="customers/partials/dashboard.html",
        context=context,
    )
