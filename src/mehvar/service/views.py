"""Staff pages of the service desk: the ticket list, opening a ticket, the ticket page with its
conversation, SLA, compensation and returns beside the customer's whole story, the
compensation ledger and the returns list.

Each view checks the role (and the ticket: ``tickets.can_work`` for anything but reading and
notes), parses its input with a form, calls one service and renders. Services check again: a
``PermissionDenied`` becomes the 403 notice, a ``ValidationFailed`` errors next to the fields
(422) with what was typed kept. Every form works as a plain POST and redirect; with htmx the
ticket's work column comes back in place, and the customer column beside it out of band.
"""

from __future__ import annotations

from typing import Any, Final, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mehvar.core.errors import PermissionDenied, ServiceError, ValidationFailed
from mehvar.core.htmx import (
    denied,
    render_page_or_partial,
    vary_on_htmx,
    wants_partial,
)
from mehvar.core.models import User
from mehvar.core.persian import whole_number
from mehvar.core.roles import Perm, has_perm
from mehvar.customers.forms import BootstrapForm, unknown_params
from mehvar.customers.models import Customer
from mehvar.customers.selectors import CustomerFilters, customer_list, customer_timeline
from mehvar.service import canned, compensation, lists, returns, tickets
from mehvar.service.forms import (
    DecideForm,
    GrantForm,
    InspectForm,
    LedgerFilterForm,
    MessageForm,
    ReturnFilterForm,
    ReturnForm,
    ReverseForm,
    StatusForm,
    TicketFilterForm,
    TicketForm,
    TicketUpdateForm,
)
from mehvar.service.models import (
    CannedReply,
    CompensationEntry,
    CompensationRequest,
    MessageKind,
    ReturnRequest,
    ReturnStatus,
    Ticket,
    TicketStatus,
)

PAGE_SIZE: Final = 25
TIMELINE_SIZE: Final = 30
CUSTOMER_PICKS: Final = 20

STEP_LABELS: Final[dict[str, Promise]] = {
    TicketStatus.OPEN: gettext_lazy("Mark open"),
    TicketStatus.WAITING: gettext_lazy("Wait on the customer"),
    TicketStatus.RESOLVED: gettext_lazy("Resolve"),
    TicketStatus.CLOSED: gettext_lazy("Close"),
}


def _actor(request: HttpRequest) -> User:
    """The signed-in employee (every view here is behind ``login_required``)."""
    return cast(User, request.user)


def _ticket(pk: int) -> Ticket:
    return get_object_or_404(
        Ticket.objects.select_related(
            "customer", "assignee", "team", "category", "order", "product", "repeat_of"
        ),
        pk=pk,
    )


def _ticket_url(ticket: Ticket, anchor: str = "") -> str:
    url = reverse("service:ticket", args=[ticket.pk])
    return f"{url}#{anchor}" if anchor else url


def _unknown(request: HttpRequest, form: BootstrapForm, extra: frozenset[str]) -> bool:
    """Refuse parameters the page does not know (SECURITY.md #7) with a message, not silence."""
    unknown = unknown_params(request.GET, form, extra)
    if unknown:
        form.add_error(None, _("Unknown filter: %(names)s") % {"names": ", ".join(unknown)})
    return bool(unknown)


# --- The list ------------------------------------------------------------------------------


@login_required
@require_GET
def ticket_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if not has_perm(actor, Perm.TICKET_VIEW):
        return denied(request)
    form = TicketFilterForm(request.GET, auto_id="f_%s")
    valid = form.is_valid()
    valid = not _unknown(request, form, TicketFilterForm.EXTRA_PARAMS) and valid
    page_obj = None
    rows: list[lists.TicketRow] = []
    if valid:
        now = timezone.now()
        found = lists.ticket_list(viewer=actor, filters=form.filters(), now=now)
        page_obj = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
        rows = lists.ticket_rows(list(page_obj), now)
    context = {"form": form, "page_obj": page_obj, "rows": rows}
    return render_page_or_partial(
        request,
        page="service/pages/ticket_list.html",
        partial="service/partials/ticket_results.html",
        context=context,
        status=200 if valid else 400,
    )


# --- Opening a ticket ----------------------------------------------------------------------


def _new_page(
    request: HttpRequest, customer: Customer | None, form: TicketForm, *, status: int = 200
) -> HttpResponse:
    # Control characters out (PostgreSQL refuses NUL in a query parameter).
    query = " ".join(tickets.clean_message(request.GET.get("q") or "").split())[:100]
    candidates: list[Customer] = []
    if customer is None and query:
        found = customer_list(viewer=_actor(request), filters=CustomerFilters(q=query))
        candidates = list(found[:CUSTOMER_PICKS])
    context = {"customer": customer, "form": form, "query": query, "candidates": candidates}
    return render(request, "service/pages/ticket_new.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def ticket_new(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if not has_perm(actor, Perm.TICKET_CREATE):
        return denied(request)
    source = request.POST if request.method == "POST" else request.GET
    customer_id = whole_number(source.get("customer", ""))
    customer = (
        Customer.objects.filter(pk=customer_id, merged_into__isnull=True).first()
        if customer_id
        else None
    )
    can_assign = has_perm(actor, Perm.TICKET_ASSIGN)
    customer_pk = customer.pk if customer else None
    if request.method == "GET":
        initial = {"customer": customer.pk} if customer else {}
        return _new_page(
            request,
            customer,
            TicketForm(initial=initial, customer_id=customer_pk, can_assign=can_assign),
        )
    form = TicketForm(request.POST, customer_id=customer_pk, can_assign=can_assign)
    if not form.is_valid() or customer is None:
        if customer is None:
            form.add_error(None, _("Pick the customer first."))
        return _new_page(request, customer, form, status=422)
    data = form.cleaned_data
    try:
        ticket = tickets.ticket_create(
            actor=actor,
            customer=customer,
            subject=data["subject"],
            body=data["body"],
            channel=data["channel"],
            kind=data["kind"],
            priority=data["priority"],
            category=data["category"],
            order=data["order"],
            product=data["product"],
            assignee=data.get("assignee"),
        )
    except PermissionDenied as exc:
        return denied(request, exc.message)
    except ValidationFailed as exc:
        form.add_service_errors(exc.errors)
        return _new_page(request, customer, form, status=422)
    except ServiceError as exc:
        form.add_error(None, str(exc.message))
        return _new_page(request, customer, form, status=exc.status)
    messages.success(request, _("Ticket %(number)s was opened.") % {"number": ticket.number})
    return redirect(_ticket_url(ticket))


# --- The ticket page -----------------------------------------------------------------------


def _steps(ticket: Ticket) -> list[tuple[str, str]]:
    current = TicketStatus(ticket.status)
    allowed = tickets.NEXT_STATUS[current]
    reopening = current in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
    return [
        (
            step.value,
            _("Reopen") if step == TicketStatus.OPEN and reopening else str(STEP_LABELS[step]),
        )
        for step in TicketStatus
        if step in allowed
    ]


def _update_initial(ticket: Ticket) -> dict[str, Any]:
    return {
        "assignee": ticket.assignee_id,
        "priority": ticket.priority,
        "category": ticket.category_id,
        "team": ticket.team_id,
    }


def _context(
    request: HttpRequest,
    ticket: Ticket,
    *,
    message_form: MessageForm | None = None,
    status_form: StatusForm | None = None,
    update_form: TicketUpdateForm | None = None,
    grant_form: GrantForm | None = None,
    return_form: ReturnForm | None = None,
    inspect_form: tuple[int, InspectForm] | None = None,
    done: tuple[str, str] | None = None,
) -> dict[str, Any]:
    actor = _actor(request)
    now = timezone.now()
    can_work = tickets.can_work(actor, ticket)
    can_assign = has_perm(actor, Perm.TICKET_ASSIGN)
    panel = lists.returns_panel(ticket, now)
    inspecting = {inspect_form[0]: inspect_form[1]} if inspect_form else {}
    events = list(customer_timeline(ticket.customer)[: TIMELINE_SIZE + 1])
    return {
        "ticket": ticket,
        "category": lists.category_label(ticket),
        "sla": lists.sla_panel(ticket, now),
        "conversation": lists.ticket_messages(ticket),
        "can_work": can_work,
        "can_note": has_perm(actor, Perm.TICKET_NOTE),
        "message_form": message_form or MessageForm(can_reply=can_work, auto_id="msg_%s"),
        "canned": canned.replies_for(ticket.category) if can_work else [],
        "steps": _steps(ticket) if can_work else [],
        "status_form": status_form
        or StatusForm(initial={"resolution": ticket.resolution}, auto_id="st_%s"),
        "update_form": update_form
        or TicketUpdateForm(
            initial=_update_initial(ticket), can_assign=can_assign, auto_id="up_%s"
        ),
        "can_grant": can_work and has_perm(actor, Perm.COMPENSATION_GRANT),
        "can_approve": has_perm(actor, Perm.COMPENSATION_APPROVE),
        "ledger": lists.ticket_ledger(ticket),
        "requests": lists.ticket_requests(ticket),
        "budget": lists.team_budget(ticket),
        "limit": compensation.limit_of(actor),
        "grant_form": grant_form or GrantForm(auto_id="grant_%s"),
        "can_return": can_work and has_perm(actor, Perm.RETURN_MANAGE),
        "returns": panel,
        "return_form": return_form or ReturnForm(order=ticket.order, auto_id="ret_%s"),
        "return_rows": [
            (
                ret,
                inspecting.get(ret.pk) or InspectForm(prefix=f"r{ret.pk}", auto_id="id_%s"),
                returns.paid_for(ret.line, ret.quantity),
            )
            for ret in panel.returns
        ],
        "done_panel": done[0] if done else "",
        "done_message": done[1] if done else "",
        "events": events[:TIMELINE_SIZE],
        "events_more": len(events) > TIMELINE_SIZE,
    }


def _show(request: HttpRequest, ticket: Ticket, *, status: int = 200, **forms: Any) -> HttpResponse:
    """The ticket page, or (htmx) its work column with the customer column out of band."""
    context = _context(request, ticket, **forms)
    return render_page_or_partial(
        request,
        page="service/pages/ticket_detail.html",
        partial="service/partials/ticket_swap.html",
        context=context,
        status=status,
    )


def _done(request: HttpRequest, ticket: Ticket, message: str, panel: str) -> HttpResponse:
    if wants_partial(request):
        return _show(request, _ticket(ticket.pk), done=(panel, message))
    messages.success(request, message)
    return redirect(_ticket_url(ticket, panel))


@login_required
@require_GET
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    if not has_perm(actor, Perm.TICKET_VIEW):
        return denied(request)
    ticket = _ticket(pk)
    message_form = None
    canned_id = whole_number(request.GET.get("canned", ""))
    if canned_id and tickets.can_work(actor, ticket):
        # Without JavaScript the canned-reply picker reloads the page with the text filled in.
        reply = CannedReply.objects.filter(pk=canned_id, is_active=True).first()
        if reply is not None:
            rendered = _render_canned(request, reply, ticket)
            message_form = MessageForm(
                initial={"body": rendered.text}, can_reply=True, auto_id="msg_%s"
            )
    response = render(
        request,
        "service/pages/ticket_detail.html",
        _context(request, ticket, message_form=message_form),
    )
    return vary_on_htmx(response)


def _workdenied(
    request: HttpRequest, actor: User, ticket: Ticket, perm: Perm
) -> HttpResponse | None:
    """The role may do this, and on this ticket (assignee, their team, a manager)."""
    if not has_perm(actor, perm):
        return denied(request)
    if not tickets.can_work(actor, ticket):
        return denied(request, _("Only the assignee, their team or a manager may do this."))
    return None


@login_required
@require_POST
def ticket_message(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    ticket = _ticket(pk)
    if not has_perm(actor, Perm.TICKET_NOTE):
        return denied(request)
    can_work = tickets.can_work(actor, ticket)
    if request.POST.get("kind") == MessageKind.REPLY and not can_work:
        return denied(request, _("Only the assignee, their team or a manager may reply."))
    form = MessageForm(request.POST, can_reply=can_work, auto_id="msg_%s")
    if not form.is_valid():
        return _show(request, ticket, status=422, message_form=form)
    data = form.cleaned_data
    try:
        message = tickets.message_add(
            actor=actor,
            ticket=ticket,
            kind=data["kind"],
            body=data["body"],
            wait_for_customer=bool(data.get("wait_for_customer")),
        )
    except PermissionDenied as exc:
        return denied(request, exc.message)
    except ValidationFailed as exc:
        form.add_service_errors(exc.errors)
        return _show(request, ticket, status=422, message_form=form)
    except ServiceError as exc:
        form.add_error(None, str(exc.message))
        return _show(request, ticket, status=exc.status, message_form=form)
    text = (
        _("The reply was saved and is on its way to the customer.")
        if message.kind == MessageKind.REPLY
        else _("The note was added.")
    )
    return _done(request, ticket, text, "conversation")


@login_required
@require_POST
def ticket_status(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    ticket = _ticket(pk)
    refused = _workdenied(request, actor, ticket, Perm.TICKET_WORK)
    if refused is not None:
        return refused
    form = StatusForm(request.POST, auto_id="st_%s")
    if not form.is_valid():
        return _show(request, ticket, status=422, status_form=form)
    data = form.cleaned_data
    try:
        ticket = tickets.ticket_transition(
            actor=actor,
            ticket=ticket,
            status=data["status"],
            resolution=data["resolution"] or None,
        )
    except PermissionDenied as exc:
        return denied(request, exc.message)
    except ValidationFailed as exc:
        form.add_service_errors(exc.errors)
        return _show(request, ticket, status=422, status_form=form)
    except ServiceError as exc:
        form.add_error(None, str(exc.message))
        return _show(request, ticket, status=exc.status, status_form=form)
    text = _("The ticket is now: %(status)s.") % {"status": ticket.get_status_display()}
    return _done(request, ticket, text, "actions")


def _confirm_identity(request: HttpRequest, actor: User, ticket: Ticket) -> HttpResponse:
    """Staff checked who wrote (called the number on file): the ticket counts as the record's."""
    try:
        tickets.ticket_update(actor=actor, ticket=ticket, confirm_identity=True)
    except PermissionDenied as exc:
        return denied(request, exc.message)
    return _done(
        request,
        ticket,
        _("Identity confirmed: the ticket counts as the customer's own."),
        "identity",
    )


@login_required
@require_POST
def ticket_update_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Reassign, re-prioritise, re-file; or, with ``confirm_identity=1`` (a button of its own,
    no other field), mark that staff confirmed who wrote."""
    actor = _actor(request)
    ticket = _ticket(pk)
    refused = _workdenied(request, actor, ticket, Perm.TICKET_WORK)
    if refused is not None:
        return refused
    if request.POST.get("confirm_identity") == "1":
        return _confirm_identity(request, actor, ticket)
    can_assign = has_perm(actor, Perm.TICKET_ASSIGN)
    form = TicketUpdateForm(request.POST, can_assign=can_assign, auto_id="up_%s")
    if not form.is_valid():
        return _show(request, ticket, status=422, update_form=form)
    data = form.cleaned_data
    changes: dict[str, Any] = {
        "priority": data["priority"],
        "category": data["category"],
        "team": data["team"],
    }
    if "assignee" in form.fields:
        changes["assignee"] = data["assignee"]
        changes["unassign"] = data["assignee"] is None
    try:
        tickets.ticket_update(actor=actor, ticket=ticket, **changes)
    except PermissionDenied as exc:
        return denied(request, exc.message)
    except ValidationFailed as exc:
        form.add_service_errors(exc.errors)
        return _show(request, ticket, status=422, update_form=form)
    except ServiceError as exc:
        form.add_error(None, str(exc.message))
        return _show(request, ticket, status=exc.status, update_form=form)
    return _done(request, ticket, _("The ticket was updated."), "actions")


@login_required
@require_POST
def compensation_grant_view(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    ticket = _ticket(pk)
    refused = _workdenied(request, actor, ticket, Perm.COMPENSATION_GRANT)
    if refused is not None:
        return refused
    form = GrantForm(request.POST, auto_id="grant_%s")
    if not form.is_valid():
        return _show(request, ticket, status=422, grant_form=form)
    data = form.cleaned_data
    try:
        made = compensation.compensation_grant(
            actor=actor,
            ticket=ticket,
            kind=data["kind"],
            amount=data["amount"],
            reason=data["reason"],
        )
    except PermissionDenied as exc:
        return denied(request, exc.message)
    except ValidationFailed as exc:
        form.add_service_errors(exc.errors)
        return _show(request, ticket, status=422, grant_form=form)
    except ServiceError as exc:
        form.add_error(None, str(exc.message))
        return _show(request, ticket, status=exc.status, grant_form=form)
    amount = compensation.rial_text(made.amount)
    if isinstance(made, CompensationRequest):
        text = _("%(amount)s is above your limit of %(limit)s: it was sent for approval.") % {
            "amount": amount,
            "limit": compensation.rial_text(compensation.limit_of(actor)),
        }
    elif made.code:
        text = _("%(amount)s was granted; the voucher code is %(code)s.") % {
            "amount": amount,
            "code": made.code,
        }
    else:
        text = _("%(amount)s was granted.") % {"amount": amount}
    return _done(request, ticket, text, "compensation")


@login_required
@require_POST
def return_new(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    ticket = _ticket(pk)
    refused = _workdenied(request, actor, ticket, Perm.RETURN_MANAGE)
    if refused is not None:
        return refused
    form = ReturnForm(request.POST, order=ticket.order, auto_id="ret_%s")
    if ticket.order is None:
        form.add_error(None, _("This ticket names no order: set its order first."))
    if not form.is_valid():
        return _show(request, ticket, status=422, return_form=form)
    data = form.cleaned_data
    try:
        returns.return_request(
            actor=actor,
            line=data["line"],
            quantity=data["quantity"],
            reason=data["reason"],
            ticket=ticket,
        )
    except PermissionDenied as exc:
        return denied(request, exc.message)
    except ValidationFailed as exc:
        form.add_service_errors(exc.errors)
        return _show(request, ticket, status=422, return_form=form)
    except ServiceError as exc:
        form.add_error(None, str(exc.message))
        return _show(request, ticket, status=exc.status, return_form=form)
    return _done(request, ticket, _("The return was recorded."), "returns")


@login_required
@require_POST
def return_action(request: HttpRequest, pk: int) -> HttpResponse:
    """The next step of a return: receive the goods, inspect them, pay the refund."""
    actor = _actor(request)
    ret = get_object_or_404(ReturnRequest.objects.select_related("line"), pk=pk)
    ticket = _ticket(ret.ticket_id)
    refused = _workdenied(request, actor, ticket, Perm.RETURN_MANAGE)
    if refused is not None:
        return refused
    action = request.POST.get("action", "")
    # Only an inspection posts fields; the other steps' refusals go on an unbound form.
    form = InspectForm(
        request.POST if action == "inspect" else None, prefix=f"r{ret.pk}", auto_id="id_%s"
    )
    try:
        if action == "receive":
            returns.return_receive(actor=actor, ret=ret)
            text = _("The goods were received.")
        elif action == "inspect":
            if not form.is_valid():
                return _show(request, ticket, status=422, inspect_form=(ret.pk, form))
            data = form.cleaned_data
            ret = returns.return_inspect(
                actor=actor,
                ret=ret,
                result=data["inspection"],
                accept=data["decision"] == "accept",
                note=data["note"],
                refund_amount=data["refund_amount"],
            )
            text = (
                _("The return was accepted.")
                if ret.status == ReturnStatus.ACCEPTED
                else _("The return was refused.")
            )
        elif action == "refund":
            returns.return_refund(actor=actor, ret=ret)
            text = _("The refund was recorded in the ledger.")
        else:
            return HttpResponse(_("Unknown action."), status=400, content_type="text/plain")
    except PermissionDenied as exc:
        return denied(request, exc.message)
    except ValidationFailed as exc:
        form.add_service_errors(exc.errors)
        return _show(request, ticket, status=422, inspect_form=(ret.pk, form))
    except ServiceError as exc:
        form.add_error(None, str(exc.message))
        return _show(request, ticket, status=exc.status, inspect_form=(ret.pk, form))
    return _done(request, ticket, text, "returns")


@login_required
@require_POST
def ticket_from_follow_up_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A survey follow-up becomes a ticket (once): open it, or go to the one it already has."""
    actor = _actor(request)
    if not has_perm(actor, Perm.TICKET_CREATE):
        return denied(request)
    try:
        ticket = tickets.ticket_from_follow_up(actor=actor, follow_up_id=pk)
    except PermissionDenied as exc:
        return denied(request, exc.message)
    except ValidationFailed as exc:
        raise Http404 from exc
    except ServiceError as exc:
        messages.error(request, str(exc.message))
        return redirect("feedback:follow_up", pk=pk)
    return redirect(_ticket_url(ticket))


# --- Canned replies ------------------------------------------------------------------------


def _render_canned(request: HttpRequest, reply: CannedReply, ticket: Ticket) -> canned.Rendered:
    return canned.render_for(
        reply,
        ticket=ticket,
        agent=_actor(request),
        language=translation.get_language() or "fa",
    )


@login_required
@require_GET
def canned_render(request: HttpRequest, pk: int) -> HttpResponse:
    """A canned reply filled in for a ticket: the reply box with its text (htmx)."""
    actor = _actor(request)
    if not has_perm(actor, Perm.TICKET_VIEW):
        return denied(request)
    reply = get_object_or_404(CannedReply, pk=pk, is_active=True)
    ticket_id = whole_number(request.GET.get("ticket", ""))
    if not ticket_id:
        raise Http404
    ticket = _ticket(ticket_id)
    if not wants_partial(request):
        return redirect(reverse("service:ticket", args=[ticket.pk]) + f"?canned={reply.pk}#reply")
    rendered = _render_canned(request, reply, ticket)
    form = MessageForm(initial={"body": rendered.text}, can_reply=True, auto_id="msg_%s")
    context = {"message_form": form, "unknown": rendered.unknown}
    return vary_on_htmx(render(request, "service/partials/reply_body.html", context))


# --- The compensation ledger ---------------------------------------------------------------


def _ledger_page(
    request: HttpRequest,
    *,
    decide: tuple[int, DecideForm] | None = None,
    reverse_form: tuple[int, ReverseForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    actor = _actor(request)
    form = LedgerFilterForm(request.GET, auto_id="f_%s")
    valid = form.is_valid()
    valid = not _unknown(request, form, LedgerFilterForm.EXTRA_PARAMS) and valid
    page_obj = None
    reversed_ids: set[int] = set()
    if valid:
        data = form.cleaned_data
        team = data.get("team")
        entries = lists.ledger(
            team=team.pk if team is not None else None,
            kind=data.get("kind") or "",
            month=data.get("month") or "",
        )
        page_obj = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
        reversed_ids = lists.reversed_ids(list(page_obj))
    deciding = {decide[0]: decide[1]} if decide else {}
    reversing = {reverse_form[0]: reverse_form[1]} if reverse_form else {}
    can_approve = has_perm(actor, Perm.COMPENSATION_APPROVE)
    limit = compensation.limit_of(actor)
    pending = list(lists.pending_requests()[:100])
    context = {
        "form": form,
        "page_obj": page_obj,
        "rows": [
            (
                entry,
                entry.pk in reversed_ids,
                reversing.get(entry.pk) or ReverseForm(prefix=f"e{entry.pk}", auto_id="id_%s"),
            )
            for entry in (page_obj or [])
        ],
        "pending": [
            (
                req,
                # Approvable by this person: within their limit and not their own request.
                req.amount <= limit and req.requested_by_id != actor.pk,
                deciding.get(req.pk) or DecideForm(prefix=f"q{req.pk}", auto_id="id_%s"),
            )
            for req in pending
        ],
        "budgets": lists.budgets(),
        "can_approve": can_approve,
        "limit": limit,
    }
    if not valid:
        status = 400
    return render(request, "service/pages/compensation_list.html", context, status=status)


@login_required
@require_GET
def compensation_list(request: HttpRequest) -> HttpResponse:
    if not has_perm(_actor(request), Perm.COMPENSATION_GRANT):
        return denied(request)
    return _ledger_page(request)


def _back_to_ledger(request: HttpRequest) -> HttpResponse:
    return redirect(reverse("service:compensation_list") + "#pending")


@login_required
@require_POST
def compensation_decide_view(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    if not has_perm(actor, Perm.COMPENSATION_APPROVE):
        return denied(request, _("Approving compensation is for managers."))
    pending = get_object_or_404(CompensationRequest, pk=pk)
    form = DecideForm(request.POST, prefix=f"q{pending.pk}", auto_id="id_%s")
    if not form.is_valid():
        return _ledger_page(request, decide=(pending.pk, form), status=422)
    data = form.cleaned_data
    try:
        decided = compensation.compensation_decide(
            actor=actor, request=pending, approve=data["decision"] == "approve", note=data["note"]
        )
    except PermissionDenied as exc:
        return denied(request, exc.message)
    except ValidationFailed as exc:
        form.add_service_errors(exc.errors)
        return _ledger_page(request, decide=(pending.pk, form), status=422)
    except ServiceError as exc:
        form.add_error(None, str(exc.message))
        return _ledger_page(request, decide=(pending.pk, form), status=exc.status)
    messages.success(
        request,
        _("The request for %(ticket)s was decided: %(status)s.")
        % {"ticket": decided.ticket.number, "status": decided.get_status_display()},
    )
    return _back_to_ledger(request)


@login_required
@require_POST
def compensation_reverse_view(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    if not has_perm(actor, Perm.COMPENSATION_APPROVE):
        return denied(request, _("Reversing compensation is for managers."))
    entry = get_object_or_404(CompensationEntry, pk=pk)
    form = ReverseForm(request.POST, prefix=f"e{entry.pk}", auto_id="id_%s")
    if not form.is_valid():
        return _ledger_page(request, reverse_form=(entry.pk, form), status=422)
    try:
        compensation.compensation_reverse(
            actor=actor, entry=entry, reason=form.cleaned_data["reason"]
        )
    except PermissionDenied as exc:
        return denied(request, exc.message)
    except ValidationFailed as exc:
        form.add_service_errors(exc.errors)
        return _ledger_page(request, reverse_form=(entry.pk, form), status=422)
    except ServiceError as exc:
        form.add_error(None, str(exc.message))
        return _ledger_page(request, reverse_form=(entry.pk, form), status=exc.status)
    messages.success(request, _("The grant was reversed with a new ledger line."))
    return redirect("service:compensation_list")


# --- Returns -------------------------------------------------------------------------------


@login_required
@require_GET
def return_list(request: HttpRequest) -> HttpResponse:
    if not has_perm(_actor(request), Perm.RETURN_MANAGE):
        return denied(request)
    form = ReturnFilterForm(request.GET, auto_id="f_%s")
    valid = form.is_valid()
    valid = not _unknown(request, form, ReturnFilterForm.EXTRA_PARAMS) and valid
    page_obj = None
    if valid:
        found: QuerySet[ReturnRequest] = lists.return_list(
            status=form.cleaned_data.get("status") or ""
        )
        page_obj = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page_obj": page_obj, "statuses": ReturnStatus.choices}
    return render(request, "service/pages/return_list.html", context, status=200 if valid else 400)
