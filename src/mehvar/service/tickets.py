"""Tickets: opened from any channel, answered, paused while the customer answers, resolved.

Every step is one transaction that also writes the customer's timeline (seed 002: every
department reads the same story), and anything sent out (the reply, an alert to the agent, the
satisfaction survey after resolution) leaves after commit through an idempotent task.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Final

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

from mehvar.core.errors import ErrorCode, PermissionDenied, ServiceError, ValidationFailed
from mehvar.core.models import Channel, Department, Direction, EventKind, User
from mehvar.core.persian import normalize_text
from mehvar.core.roles import Perm, Role, has_perm
from mehvar.core.timeline import record_touchpoint
from mehvar.customers.models import Customer, Order, Product
from mehvar.customers.services import require
from mehvar.service import sla
from mehvar.service.models import (
    OPEN_STATUSES,
    Category,
    DeskSettings,
    MessageKind,
    Priority,
    Team,
    Ticket,
    TicketChannel,
    TicketKind,
    TicketMessage,
    TicketStatus,
)

SUBJECT_MAX: Final = 200
BODY_MAX: Final = 20_000
RESOLUTION_MAX: Final = 4_000

# Which timeline channel a ticket's channel is.
TIMELINE_CHANNEL: Final = {
    TicketChannel.STAFF: Channel.SYSTEM,
    TicketChannel.PHONE: Channel.CALL,
    TicketChannel.IN_STORE: Channel.IN_STORE,
    TicketChannel.WEB: Channel.WEB,
    TicketChannel.EMAIL: Channel.EMAIL,
    TicketChannel.API: Channel.SYSTEM,
    TicketChannel.SURVEY: Channel.WEB,
}
# The steps a person may take; reaching "waiting" or leaving it is done by replies too.
NEXT_STATUS: Final = {
    TicketStatus.NEW: {TicketStatus.OPEN, TicketStatus.WAITING, TicketStatus.RESOLVED},
    TicketStatus.OPEN: {TicketStatus.WAITING, TicketStatus.RESOLVED},
    TicketStatus.WAITING: {TicketStatus.OPEN, TicketStatus.RESOLVED},
    TicketStatus.RESOLVED: {TicketStatus.OPEN, TicketStatus.CLOSED},
    TicketStatus.CLOSED: {TicketStatus.OPEN},
}


def is_lead(user: User) -> bool:
    return user.role in (Role.ADMIN, Role.MANAGER)


def in_team(user: User, team: Team) -> bool:
    return team.lead_id == user.pk or team.members.filter(pk=user.pk).exists()


def can_work(user: User, ticket: Ticket) -> bool:
    """Answer, move and compensate: the assignee, the ticket's team, an unassigned ticket's
    taker, and managers. Everyone else reads it and may add an internal note."""
    if not has_perm(user, Perm.TICKET_WORK):
        return False
    if is_lead(user) or ticket.assignee_id in (None, user.pk):
        return True
    if ticket.team_id is not None:
        team = Team.objects.filter(pk=ticket.team_id).first()
        if team is not None and in_team(user, team):
            return True
    return False


def require_work(user: User, ticket: Ticket) -> None:
    if not can_work(user, ticket):
        raise PermissionDenied(_("Only the assignee, their team or a manager may do this."))


# Control characters (NUL above all: PostgreSQL refuses it in text) except the line break.
_CONTROL: Final = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")
_BLANK_LINES: Final = re.compile(r"\n{3,}")


def clean_message(value: str) -> str:
    """Normalise a message line by line: letters, digits and spaces as everywhere, but the
    customer's paragraphs (and an agent's numbered steps) keep their line breaks."""
    text = _CONTROL.sub(" ", (value or "").replace("\r\n", "\n").replace("\r", "\n"))
    lines = [normalize_text(line) for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _clean_text(
    value: str, *, field: str, max_length: int, required: bool = True, multiline: bool = False
) -> str:
    text = clean_message(value) if multiline else normalize_text(_CONTROL.sub(" ", value or ""))
    if required and not text:
        raise ValidationFailed({field: gettext_lazy("This field is required.")})
    if len(text) > max_length:
        raise ValidationFailed(
            {field: gettext_lazy("At most %(n)d characters.") % {"n": max_length}}
        )
    return text


def _label(choice: type[TicketStatus] | type[Priority], value: str) -> str:
    with override("fa"):
        return str(choice(value).label)


def _pick_agent(team: Team | None) -> User | None:
    """The service person with the fewest open tickets: the team's first, then anyone's."""
    open_tickets = Count("tickets", filter=Q(tickets__status__in=OPEN_STATUSES))
    people = User.objects.filter(is_active=True, role=Role.SERVICE)
    if team is not None:
        in_team = people.filter(service_teams=team)
        if in_team.exists():
            people = in_team
    return people.annotate(load=open_tickets).order_by("load", "pk").first()


def repeat_of(
    *,
    customer: Customer,
    category: Category | None,
    order: Order | None,
    product: Product | None,
    now: datetime,
    exclude: int | None = None,
) -> Ticket | None:
    """Seed 001: the same customer about the same thing within the window is a repeat contact.

    "The same thing" is the same order, product or category; a customer who writes twice about
    unrelated matters is not repeating themselves.
    """
    days = DeskSettings.current().repeat_days
    same = Q()
    if order is not None:
        same |= Q(order=order)
    if product is not None:
        same |= Q(product=product)
    if category is not None:
        same |= Q(category=category)
    if not same:
        return None
    # Bounded on both sides: a ticket entered late (an old email, an import) repeats only what
    # came before it, not what was opened after.
    earlier = Ticket.objects.filter(
        same, customer=customer, created_at__gte=now - timedelta(days), created_at__lte=now
    )
    if exclude is not None:
        earlier = earlier.exclude(pk=exclude)
    return earlier.order_by("-created_at", "-pk").first()


@transaction.atomic
def ticket_create(
    *,
    actor: User | None,
    customer: Customer,
    subject: str,
    body: str,
    channel: TicketChannel | str,
    kind: TicketKind | str = TicketKind.COMPLAINT,
    priority: Priority | str = Priority.NORMAL,
    category: Category | None = None,
    order: Order | None = None,
    product: Product | None = None,
    assignee: User | None = None,
    created_at: datetime | None = None,
    email_message_id: str | None = None,
    identity_confirmed: bool = True,
) -> Ticket:
    """Open a ticket. ``actor`` is None when the customer opened it (web form, email)."""
    if actor is not None:
        require(actor, Perm.TICKET_CREATE)
        if assignee is not None and assignee.pk != actor.pk:
            require(actor, Perm.TICKET_ASSIGN)
    if email_message_id:
        existing = Ticket.objects.filter(email_message_id=email_message_id).first()
        if existing is not None:
            return existing
    errors: dict[str, object] = {}
    try:
        subject = _clean_text(subject, field="subject", max_length=SUBJECT_MAX)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    try:
        body = _clean_text(body, field="body", max_length=BODY_MAX, multiline=True)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    for field, value, choices in (
        ("kind", kind, TicketKind),
        ("priority", priority, Priority),
        ("channel", channel, TicketChannel),
    ):
        if value not in choices.values:
            errors[field] = gettext_lazy("Choose one of the listed options.")
    if order is not None and order.customer_id != customer.pk:
        errors["order"] = gettext_lazy("This order belongs to another customer.")
    if category is not None and not category.is_active:
        errors["category"] = gettext_lazy("This category is no longer used.")
    if assignee is not None and not (assignee.is_active and has_perm(assignee, Perm.TICKET_WORK)):
        errors["assignee"] = gettext_lazy("This person cannot work on tickets.")
    if errors:
        raise ValidationFailed(errors)  # type: ignore[arg-type]
    if customer.merged_into_id is not None:
        raise ServiceError(_("This record was merged into another customer."))
    now = created_at or timezone.now()
    team = (category.team if category is not None else None) or DeskSettings.current().default_team
    ticket = Ticket(
        customer=customer,
        kind=kind,
        category=category,
        subject=subject,
        priority=priority,
        channel=channel,
        order=order,
        product=product,
        team=team,
        assignee=assignee or _pick_agent(team),
        created_by=actor,
        created_at=now,
        email_message_id=email_message_id or None,
        identity_confirmed=identity_confirmed,
        repeat_of=repeat_of(
            customer=customer, category=category, order=order, product=product, now=now
        ),
    )
    sla.start(ticket)
    try:
        # Two readers of one email at once: the second waits on the unique Message-ID until
        # the first commits, then answers with the first one's ticket instead of failing.
        with transaction.atomic():
            ticket.save()
    except IntegrityError:
        if not email_message_id:
            raise
        existing = Ticket.objects.filter(email_message_id=email_message_id).first()
        if existing is None:
            raise
        return existing
    TicketMessage.objects.create(
        ticket=ticket,
        kind=MessageKind.CUSTOMER,
        body=body,
        author=actor,
        channel=channel,
        created_at=now,
        email_message_id=email_message_id or None,
    )
    record_touchpoint(
        customer=customer,
        kind=EventKind.TICKET_OPENED,
        channel=TIMELINE_CHANNEL[TicketChannel(channel)],
        department=Department.SERVICE,
        direction=Direction.INBOUND,
        summary=f"{ticket.number}: {subject}",
        actor=actor,
        ref=ticket,
        occurred_at=now,
        data={
            "kind": str(kind),
            "priority": str(priority),
            "assignee": ticket.assignee_id,
            "repeat_of": ticket.repeat_of_id,
        },
    )
    ticket_id = ticket.pk
    transaction.on_commit(lambda: _alert_later(ticket_id), robust=True)
    return ticket


def _alert_later(ticket_id: int) -> None:
    from mehvar.service.tasks import alert_assignee

    alert_assignee(ticket_id)


def _send_later(message_id: int) -> None:
    from mehvar.service.tasks import deliver_reply

    deliver_reply(message_id)


def _lock(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)


@transaction.atomic
def message_add(
    *,
    actor: User | None,
    ticket: Ticket,
    kind: MessageKind | str,
    body: str,
    wait_for_customer: bool = False,
    channel: TicketChannel | str | None = None,
    email_message_id: str | None = None,
) -> TicketMessage:
    """A reply to the customer, an internal note, or the customer's own words.

    A reply is the first response if none came before; with ``wait_for_customer`` it also stops
    the clock until the customer answers. The customer's words on a waiting ticket restart it,
    and on a resolved one reopen it.
    """
    if email_message_id:
        existing = TicketMessage.objects.filter(email_message_id=email_message_id).first()
        if existing is not None:
            return existing
    if kind not in MessageKind.values:
        raise ValidationFailed({"kind": gettext_lazy("Choose one of the listed options.")})
    if channel is not None and channel not in TicketChannel.values:
        raise ValidationFailed({"channel": gettext_lazy("Choose one of the listed options.")})
    kind = MessageKind(kind)
    ticket = _lock(ticket)
    if email_message_id:
        # Asked again under the ticket's lock: a second reader of the same email waited for
        # the first one's commit and now sees its message.
        existing = TicketMessage.objects.filter(email_message_id=email_message_id).first()
        if existing is not None:
            return existing
    if actor is not None:
        if kind == MessageKind.REPLY:
            require_work(actor, ticket)
        else:
            require(actor, Perm.TICKET_NOTE)
    elif kind != MessageKind.CUSTOMER:
        raise PermissionDenied(_("Your role may not do this."))
    body = _clean_text(body, field="body", max_length=BODY_MAX, multiline=True)
    if kind == MessageKind.REPLY and ticket.status == TicketStatus.CLOSED:
        raise ServiceError(_("Reopen the ticket before replying."), code=ErrorCode.CONFLICT)
    if kind == MessageKind.CUSTOMER and ticket.status == TicketStatus.CLOSED:
        # A closed ticket is finished business: the customer's new words are a new ticket
        # (the email reader and the customer's page open one), never a silent addition.
        raise ServiceError(_("This ticket is closed."), code=ErrorCode.CONFLICT)
    now = timezone.now()
    message = TicketMessage.objects.create(
        ticket=ticket,
        kind=kind,
        body=body,
        author=actor,
        channel=channel or (TicketChannel.STAFF if actor else ticket.channel),
        created_at=now,
        email_message_id=email_message_id or None,
    )
    fields: set[str] = set()
    if kind == MessageKind.REPLY:
        fields |= _on_reply(ticket, now, wait_for_customer=wait_for_customer)
    elif kind == MessageKind.CUSTOMER:
        # The customer's answer restarts the clock however it arrives: their own message, or
        # an agent typing in what they said on the phone.
        fields |= _on_customer_words(ticket, now)
    if fields:
        ticket.save(update_fields=sorted(fields))
    summaries = {
        MessageKind.REPLY: _("Reply on %(ticket)s"),
        MessageKind.NOTE: _("Internal note on %(ticket)s"),
        MessageKind.CUSTOMER: _("Customer wrote on %(ticket)s"),
    }
    with override("fa"):
        summary = str(summaries[kind]) % {"ticket": ticket.number}
    record_touchpoint(
        customer=ticket.customer,
        kind=EventKind.TICKET_MESSAGE,
        channel=Channel.SYSTEM
        if kind == MessageKind.NOTE
        else TIMELINE_CHANNEL[TicketChannel(message.channel)],
        department=Department.SERVICE,
        direction={
            MessageKind.REPLY: Direction.OUTBOUND,
            MessageKind.NOTE: Direction.INTERNAL,
            MessageKind.CUSTOMER: Direction.INBOUND,
        }[kind],
        summary=f"{summary}: {body[:300]}",
        actor=actor,
        ref=ticket,
        occurred_at=now,
        data={"message": message.pk, "kind": str(kind)},
    )
    if kind == MessageKind.REPLY:
        message_id = message.pk
        transaction.on_commit(lambda: _send_later(message_id), robust=True)
    return message


def _on_reply(ticket: Ticket, now: datetime, *, wait_for_customer: bool) -> set[str]:
    fields: set[str] = set()
    week = sla.work_week(around=now)
    if ticket.first_responded_at is None:
        ticket.first_responded_at = now
        ticket.response_seconds = sla.elapsed_seconds(ticket, now, week)
        fields |= {"first_responded_at", "response_seconds"}
    if ticket.status == TicketStatus.NEW:
        ticket.status = TicketStatus.OPEN
        fields.add("status")
    if wait_for_customer and ticket.status == TicketStatus.OPEN:
        ticket.status = TicketStatus.WAITING
        sla.pause(ticket, now)
        fields |= {"status", "paused_since", "first_response_due", "resolution_due"}
    return fields


def _on_customer_words(ticket: Ticket, now: datetime) -> set[str]:
    if ticket.status == TicketStatus.WAITING:
        _leave_pause(ticket, now, TicketStatus.OPEN)
        return set(_CLOCK_FIELDS)
    if ticket.status == TicketStatus.RESOLVED:
        _reopen(ticket, now)
        return set(_CLOCK_FIELDS) | set(_REOPEN_FIELDS)
    return set()


# What ``sla.pause``/``sla.resume`` may change: every step that moves the clock saves them all.
_CLOCK_FIELDS: Final = (
    "status",
    "paused_since",
    "paused_seconds",
    "first_response_due",
    "resolution_due",
    "response_warned_at",
    "resolution_warned_at",
)
# What ``_reopen`` changes besides the clock.
_REOPEN_FIELDS: Final = ("reopen_count", "resolved_at", "closed_at", "resolution_escalated_at")


def _leave_pause(ticket: Ticket, now: datetime, status: TicketStatus) -> None:
    sla.resume(ticket, now)
    ticket.status = status


def _reopen(ticket: Ticket, now: datetime) -> None:
    # The clock stopped at resolution (``paused_since``); the resolved span is not the desk's.
    sla.resume(ticket, now)
    ticket.status = TicketStatus.OPEN
    ticket.resolved_at = None
    ticket.closed_at = None
    ticket.reopen_count += 1
    ticket.resolution_escalated_at = None


@transaction.atomic
def ticket_transition(
    *, actor: User, ticket: Ticket, status: TicketStatus | str, resolution: str | None = None
) -> Ticket:
    """Move a ticket: open, wait on the customer, resolve (saying what was done), close, reopen."""
    ticket = _lock(ticket)
    require_work(actor, ticket)
    if status not in TicketStatus.values:
        raise ValidationFailed({"status": gettext_lazy("Choose one of the listed options.")})
    target = TicketStatus(status)
    current = TicketStatus(ticket.status)
    if target == current:
        return ticket
    if target not in NEXT_STATUS[current]:
        raise ServiceError(_("This step is not possible now."), code=ErrorCode.CONFLICT)
    now = timezone.now()
    fields = set(_CLOCK_FIELDS)
    if resolution is not None:
        ticket.resolution = _clean_text(
            resolution,
            field="resolution",
            max_length=RESOLUTION_MAX,
            required=False,
            multiline=True,
        )
        fields.add("resolution")
    if target == TicketStatus.RESOLVED:
        if not ticket.resolution:
            raise ValidationFailed(
                {"resolution": gettext_lazy("Say what was done before resolving.")}
            )
        week = sla.work_week(around=now)
        if current == TicketStatus.WAITING:
            sla.resume(ticket, now, week)
        ticket.resolution_seconds = sla.elapsed_seconds(ticket, now, week)
        ticket.resolved_at = now
        ticket.status = target
        sla.pause(ticket, now)  # the clock stops while it stays resolved
        fields |= {"resolution_seconds", "resolved_at"}
        ticket_id = ticket.pk
        transaction.on_commit(lambda: _ask_satisfaction_later(ticket_id), robust=True)
    elif target == TicketStatus.WAITING:
        ticket.status = target
        sla.pause(ticket, now)
    elif target == TicketStatus.CLOSED:
        ticket.status = target
        ticket.closed_at = now
        fields.add("closed_at")
    elif current in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        _reopen(ticket, now)
        fields |= set(_REOPEN_FIELDS)
    elif current == TicketStatus.WAITING:
        _leave_pause(ticket, now, target)
    else:
        ticket.status = target
    ticket.save(update_fields=sorted(fields))
    with override("fa"):
        summary = _("%(ticket)s: %(old)s → %(new)s") % {
            "ticket": ticket.number,
            "old": _label(TicketStatus, current),
            "new": _label(TicketStatus, target),
        }
    if target == TicketStatus.RESOLVED:
        summary = f"{summary} — {ticket.resolution[:300]}"
    record_touchpoint(
        customer=ticket.customer,
        kind=EventKind.TICKET_UPDATED,
        channel=Channel.SYSTEM,
        department=Department.SERVICE,
        summary=summary,
        actor=actor,
        ref=ticket,
        occurred_at=now,
        data={"from": str(current), "to": str(target)},
    )
    return ticket


def _ask_satisfaction_later(ticket_id: int) -> None:
    from mehvar.service.tasks import ask_satisfaction

    ask_satisfaction(ticket_id)


@transaction.atomic
def ticket_update(
    *,
    actor: User,
    ticket: Ticket,
    assignee: User | None = None,
    unassign: bool = False,
    priority: Priority | str | None = None,
    category: Category | None = None,
    team: Team | None = None,
    confirm_identity: bool = False,
) -> Ticket:
    """Reassign, re-prioritise or re-file a ticket. A new priority or category moves the SLA.

    ``confirm_identity`` records that staff checked who wrote (e.g. called the number on file).
    """
    ticket = _lock(ticket)
    require_work(actor, ticket)
    changes: list[str] = []
    fields: set[str] = set()
    if (assignee is not None and assignee.pk != ticket.assignee_id) or (
        unassign and ticket.assignee_id is not None
    ):
        require(actor, Perm.TICKET_ASSIGN)
        if assignee is not None and not (
            assignee.is_active and has_perm(assignee, Perm.TICKET_WORK)
        ):
            raise ValidationFailed(
                {"assignee": gettext_lazy("This person cannot work on tickets.")}
            )
        ticket.assignee = assignee
        fields.add("assignee")
        changes.append(
            _("assigned to %(name)s") % {"name": assignee.get_full_name() or assignee.username}
            if assignee is not None
            else _("unassigned")
        )
    if confirm_identity and not ticket.identity_confirmed:
        ticket.identity_confirmed = True
        fields.add("identity_confirmed")
        changes.append(_("identity confirmed"))
    if team is not None and team.pk != ticket.team_id:
        # Moving a ticket moves whose budget pays for it: only into a team one belongs to.
        if not (is_lead(actor) or in_team(actor, team)):
            raise PermissionDenied(
                _("Only the team's members or a manager may move tickets to it.")
            )
        ticket.team = team
        fields.add("team")
        changes.append(_("team %(team)s") % {"team": team.name})
    retarget = False
    if priority is not None and priority != ticket.priority:
        if priority not in Priority.values:
            raise ValidationFailed({"priority": gettext_lazy("Choose one of the listed options.")})
        ticket.priority = priority
        fields.add("priority")
        changes.append(_("priority %(p)s") % {"p": _label(Priority, priority)})
        retarget = True
    if category is not None and category.pk != ticket.category_id:
        if not category.is_active:
            raise ValidationFailed({"category": gettext_lazy("This category is no longer used.")})
        ticket.category = category
        fields.add("category")
        changes.append(_("category %(c)s") % {"c": category.name_fa})
        retarget = True
    if retarget:
        sla.start(ticket)
        fields |= {
            "sla_response_minutes",
            "sla_resolution_minutes",
            "first_response_due",
            "resolution_due",
            "response_warned_at",
            "resolution_warned_at",
        }
    if not fields:
        return ticket
    ticket.save(update_fields=sorted(fields))
    record_touchpoint(
        customer=ticket.customer,
        kind=EventKind.TICKET_UPDATED,
        channel=Channel.SYSTEM,
        department=Department.SERVICE,
        summary=f"{ticket.number}: " + "، ".join(str(c) for c in changes),
        actor=actor,
        ref=ticket,
    )
    if "assignee" in fields and ticket.assignee_id not in (None, actor.pk):
        ticket_id = ticket.pk
        transaction.on_commit(lambda: _alert_later(ticket_id), robust=True)
    return ticket


def _follow_up_agent(actor: User, assignee: User | None) -> User | None:
    # Whoever was calling the customer back keeps them, when they can work tickets and the
    # person opening the ticket may hand it to them; otherwise the desk picks someone.
    if assignee is None or not has_perm(assignee, Perm.TICKET_WORK) or not assignee.is_active:
        return None
    if assignee.pk != actor.pk and not has_perm(actor, Perm.TICKET_ASSIGN):
        return None
    return assignee


@transaction.atomic
def ticket_from_follow_up(*, actor: User, follow_up_id: int) -> Ticket:
    """A survey's unhappy answer becomes a ticket, once: the follow-up links to it for good."""
    from mehvar.feedback.models import FollowUp, FollowUpReason

    require(actor, Perm.TICKET_CREATE)
    follow_up = (
        FollowUp.objects.select_for_update(of=("self",))
        .select_related("customer", "response", "comment")
        .filter(pk=follow_up_id)
        .first()
    )
    if follow_up is None:
        raise ValidationFailed({"follow_up": gettext_lazy("No such follow-up.")})
    existing = Ticket.objects.filter(follow_up=follow_up).first()
    if existing is not None:
        return existing
    if follow_up.customer is None:
        raise ServiceError(
            _("This answer was anonymous: there is nobody to open a ticket for."),
            code=ErrorCode.CONFLICT,
        )
    with override("fa"):
        reasons = "، ".join(str(FollowUpReason(r).label) for r in follow_up.reasons)
    words = [a.value for a in follow_up.response.answers.all()] if follow_up.response else []
    texts = [w for w in words if isinstance(w, str) and w.strip()]
    if follow_up.comment is not None:
        texts.append(follow_up.comment.text)
    body = "\n".join(texts) or reasons
    ticket = ticket_create(
        actor=actor,
        customer=follow_up.customer,
        subject=_("Survey: %(reasons)s") % {"reasons": reasons},
        body=body,
        channel=TicketChannel.SURVEY,
        kind=TicketKind.COMPLAINT,
        priority=Priority.HIGH,
        assignee=_follow_up_agent(actor, follow_up.assignee),
    )
    ticket.follow_up = follow_up
    ticket.save(update_fields=["follow_up"])
    return ticket


def close_resolved(*, now: datetime | None = None) -> list[int]:
    """Close the tickets resolved more than ``close_after_days`` ago that nobody reopened.

    Until then the customer's answer reopens the ticket; after it, their words open a new one.
    Each ticket is re-checked under its lock, so a customer writing at that moment wins.
    """
    now = now or timezone.now()
    days = DeskSettings.current().close_after_days
    if not days:
        return []
    stale = Ticket.objects.filter(
        status=TicketStatus.RESOLVED, resolved_at__lt=now - timedelta(days=days)
    ).values_list("pk", flat=True)
    closed = []
    for ticket_id in list(stale[:1000]):
        with transaction.atomic():
            ticket = (
                Ticket.objects.select_for_update(of=("self",))
                .select_related("customer")
                .get(pk=ticket_id)
            )
            if ticket.status != TicketStatus.RESOLVED:
                continue
            ticket.status = TicketStatus.CLOSED
            ticket.closed_at = now
            ticket.save(update_fields=["status", "closed_at"])
            with override("fa"):
                summary = _("%(ticket)s closed %(days)d days after it was resolved") % {
                    "ticket": ticket.number,
                    "days": days,
                }
            record_touchpoint(
                customer=ticket.customer,
                kind=EventKind.TICKET_UPDATED,
                channel=Channel.SYSTEM,
                department=Department.SERVICE,
                summary=summary,
                ref=ticket,
                occurred_at=now,
                data={"from": TicketStatus.RESOLVED.value, "to": TicketStatus.CLOSED.value},
            )
        closed.append(ticket_id)
    return closed
