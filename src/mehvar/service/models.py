"""The service desk's data: tickets and their messages, SLAs on business hours, compensation as an
append-only ledger, and returns under the money-back guarantee.

Deadlines are stored on the ticket (recomputed when its timer pauses or resumes), so "overdue" is
a plain indexed filter, and the periodic sweep that warns and escalates is one query.
"""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mehvar.core.roles import Role


def new_public_key() -> str:
    return secrets.token_urlsafe(18)


class Team(models.Model):
    """A group of agents with a lead, who is told of breaches, and a monthly compensation budget."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_teams",
        verbose_name=_("team lead"),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="service_teams",
        verbose_name=_("members"),
    )
    monthly_budget = models.BigIntegerField(
        _("monthly compensation budget (Rial)"),
        default=0,
        help_text=_("Zero means no compensation may be granted from this team's budget."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class TicketKind(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint")
    QUESTION = "question", _("Question")
    REQUEST = "request", _("Request")
    RETURN = "return", _("Return")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Category(models.Model):
    """What a ticket is about (delivery, quality, billing …); it picks the team and the SLA."""

    name_fa = models.CharField(_("name (Persian)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("team")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name_fa"]
        verbose_name = _("ticket category")
        verbose_name_plural = _("ticket categories")

    def __str__(self) -> str:
        return self.name_fa

    def label(self, language: str) -> str:
        return self.name_en if language == "en" and self.name_en else self.name_fa


class SlaPolicy(models.Model):
    """Targets in business minutes for a (category, priority); an empty category is the default."""

    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.CASCADE, verbose_name=_("category")
    )
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices)
    first_response_minutes = models.PositiveIntegerField(_("first response (business minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution (business minutes)"))

    class Meta:
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [
            models.UniqueConstraint(
                fields=["category", "priority"], name="sla_one_per_category_priority"
            ),
            models.UniqueConstraint(
                fields=["priority"],
                condition=Q(category__isnull=True),
                name="sla_one_default_per_priority",
            ),
            models.CheckConstraint(
                condition=Q(resolution_minutes__gte=models.F("first_response_minutes")),
                name="sla_resolution_after_response",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category or '*'} / {self.priority}"


class WorkingDay(models.Model):
    """Opening hours of one weekday; a weekday without a row is a day off (Friday by default)."""

    class Weekday(models.IntegerChoices):
        # Python's numbering (Monday = 0), listed in the Iranian week's order.
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")

    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices, unique=True)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("working day")
        verbose_name_plural = _("working days")
        constraints = [
            models.CheckConstraint(
                condition=Q(closes__gt=models.F("opens")), name="working_day_closes_after_opening"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class Holiday(models.Model):
    """A public holiday (or company day off): SLA clocks do not run on it."""

    day = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["day"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")

    def __str__(self) -> str:
        return self.name


class TicketStatus(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    WAITING = "waiting", _("Waiting on customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


class TicketChannel(models.TextChoices):
    STAFF = "staff", _("Entered by staff")
    PHONE = "phone", _("Phone")
    IN_STORE = "in_store", _("In store")
    WEB = "web", _("Web form")
    EMAIL = "email", _("Email")
    API = "api", _("API")
    SURVEY = "survey", _("Survey follow-up")


OPEN_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.WAITING)


class Ticket(models.Model):
    # A merge of two customer records moves their tickets to the surviving one
    # (``customers.merge``). The compensation ledger stays put (it is append-only) and is read
    # through its ticket.
    follows_customer_merge = True

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="tickets"
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=TicketKind.choices, default=TicketKind.COMPLAINT
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("category")
    )
    subject = models.CharField(_("subject"), max_length=200)
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=10, choices=TicketStatus.choices, default=TicketStatus.NEW
    )
    channel = models.CharField(_("channel"), max_length=10, choices=TicketChannel.choices)
    order = models.ForeignKey(
        "customers.Order",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        verbose_name=_("order"),
    )
    product = models.ForeignKey(
        "customers.Product",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        verbose_name=_("product"),
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("team")
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        verbose_name=_("assignee"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("opened"), default=timezone.now)
    # The SLA: deadlines are recomputed when the timer pauses and resumes; while it is paused
    # (waiting on the customer) ``paused_since`` is set and the deadlines do not run.
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    first_responded_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    paused_since = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(default=0)  # business seconds spent paused
    sla_response_minutes = models.PositiveIntegerField(default=0)
    sla_resolution_minutes = models.PositiveIntegerField(default=0)
    # Each warning and escalation is sent once: the sweep claims it by setting the time.
    response_warned_at = models.DateTimeField(null=True, blank=True)
    response_escalated_at = models.DateTimeField(null=True, blank=True)
    resolution_warned_at = models.DateTimeField(null=True, blank=True)
    resolution_escalated_at = models.DateTimeField(null=True, blank=True)
    # Business seconds from opening to the first reply / to resolution (pauses excluded),
    # stored when they happen so the dashboard reads figures instead of replaying clocks.
    response_seconds = models.PositiveIntegerField(null=True, blank=True)
    resolution_seconds = models.PositiveIntegerField(null=True, blank=True)
    resolution = models.TextField(_("what was done"), blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("reopened"), default=0)
    repeat_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="repeats",
        verbose_name=_("repeat of"),
    )
    follow_up = models.OneToOneField(
        "feedback.FollowUp",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ticket",
    )
    # False when a web form or an email was matched to an existing customer on details anyone
    # could type (a mobile number): until staff confirm who wrote, the ticket does not count
    # in the customer's figures and replies must not reveal the record's details.
    identity_confirmed = models.BooleanField(_("identity confirmed"), default=True)
    # The Message-ID of the email that opened it: a mailbox polled twice opens one ticket.
    email_message_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    # The customer's own link to the ticket (/support/t/<key>/): 144 random bits.
    public_key = models.CharField(max_length=32, unique=True, default=new_public_key)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["status", "resolution_due"], name="ticket_by_status_due"),
            models.Index(fields=["customer", "-created_at"], name="ticket_by_customer"),
            models.Index(fields=["assignee", "status"], name="ticket_by_assignee"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"T-{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class MessageKind(models.TextChoices):
    CUSTOMER = "customer", _("From the customer")
    REPLY = "reply", _("Reply to the customer")
    NOTE = "note", _("Internal note")


class TicketMessage(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=10, choices=MessageKind.choices)
    body = models.TextField(_("message"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=TicketChannel.choices)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    email_message_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    # A reply is sent to the customer after commit; empty while it has not left.
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket message")
        verbose_name_plural = _("ticket messages")

    def __str__(self) -> str:
        return f"{self.ticket_id}:{self.kind}"


class CannedReply(models.Model):
    """A shared answer with placeholders ({first_name}, {ticket}, {agent} …): one company voice."""

    title = models.CharField(_("title"), max_length=100)
    body_fa = models.TextField(_("text (Persian)"))
    body_en = models.TextField(_("text (English)"), blank=True)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("category")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")

    def __str__(self) -> str:
        return self.title


class CompensationKind(models.TextChoices):
    # The column has no database constraint on these: loyalty points arrive with a later issue.
    REFUND = "refund", _("Refund")
    VOUCHER = "voucher", _("Voucher / discount code")
    FREE_SERVICE = "free_service", _("Free service")
    POINTS = "points", _("Loyalty points")
    OTHER = "other", _("Other")


class LedgerQuerySet(models.QuerySet["CompensationEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("The compensation ledger is append-only: add a reversal instead.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("The compensation ledger is append-only: add a reversal instead.")


class CompensationEntry(models.Model):
    """One immutable line of the compensation ledger; a reversal is a new, negative line.

    The database refuses UPDATE and DELETE on this table (triggers in the migration), so not
    even a bug or a shell session can rewrite what was given.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="compensations")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="compensations"
    )
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT)
    kind = models.CharField(_("kind"), max_length=32, choices=CompensationKind.choices)
    amount = models.BigIntegerField(_("amount (Rial)"))
    reason = models.CharField(_("reason"), max_length=500)
    code = models.CharField(_("code"), max_length=32, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversal"
    )
    # Refunds of a return under the money-back guarantee are not the team's discretionary
    # spending: they are in the ledger but outside the monthly budget.
    counts_to_budget = models.BooleanField(default=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    objects: ClassVar[models.Manager[CompensationEntry]] = LedgerQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("compensation")
        verbose_name_plural = _("compensation ledger")
        indexes = [models.Index(fields=["team", "created_at"], name="ledger_by_team_month")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(reverses__isnull=True, amount__gt=0))
                | Q(reverses__isnull=False, amount__lt=0),
                name="ledger_grant_positive_reversal_negative",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise TypeError("The compensation ledger is append-only: add a reversal instead.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError("The compensation ledger is append-only: add a reversal instead.")


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class CompensationRequest(models.Model):
    """A grant above the agent's own limit, waiting for someone whose limit covers it."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="compensation_requests"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=CompensationKind.choices)
    amount = models.BigIntegerField(_("amount (Rial)"))
    reason = models.CharField(_("reason"), max_length=500)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        _("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=500, blank=True)
    entry = models.OneToOneField(
        CompensationEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="request"
    )

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("compensation request")
        verbose_name_plural = _("compensation requests")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="request_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} ({self.status})"


class ApprovalLimit(models.Model):
    """The most one person of a role may grant in one compensation without a higher approval."""

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, unique=True)
    max_amount = models.BigIntegerField(_("limit per grant (Rial)"))

    class Meta:
        verbose_name = _("approval limit")
        verbose_name_plural = _("approval limits")
        constraints = [
            models.CheckConstraint(condition=Q(max_amount__gte=0), name="limit_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.max_amount}"


class ReturnStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    RECEIVED = "received", _("Goods received")
    ACCEPTED = "accepted", _("Inspected: accepted")
    REJECTED = "rejected", _("Inspected: rejected")
    REFUNDED = "refunded", _("Refunded")


class InspectionResult(models.TextChoices):
    AS_NEW = "as_new", _("As new")
    DEFECTIVE = "defective", _("Defective (our fault)")
    DAMAGED_BY_USE = "damaged_by_use", _("Damaged in use")
    NOT_AS_DESCRIBED = "not_as_described", _("Not as described")
    MISSING_PARTS = "missing_parts", _("Parts missing")


class ReturnRequest(models.Model):
    """Part of an order line coming back under the money-back guarantee (seed 004)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="returns")
    order = models.ForeignKey("customers.Order", on_delete=models.PROTECT, related_name="returns")
    line = models.ForeignKey(
        "customers.OrderLine", on_delete=models.PROTECT, related_name="returns"
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    reason = models.CharField(_("reason"), max_length=500)
    status = models.CharField(
        _("status"), max_length=10, choices=ReturnStatus.choices, default=ReturnStatus.REQUESTED
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField(_("received"), null=True, blank=True)
    inspection = models.CharField(
        _("inspection"), max_length=20, choices=InspectionResult.choices, blank=True
    )
    inspection_note = models.CharField(_("inspection note"), max_length=500, blank=True)
    inspected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    inspected_at = models.DateTimeField(null=True, blank=True)
    refund_amount = models.BigIntegerField(_("refund (Rial)"), null=True, blank=True)
    refund = models.OneToOneField(
        CompensationEntry,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="return_request",
    )

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("return")
        verbose_name_plural = _("returns")
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="return_quantity")]

    def __str__(self) -> str:
        return f"R-{self.pk}"


class DeskSettings(models.Model):
    """The desk's tunable rules, one row (``DeskSettings.current()``), edited in the admin."""

    repeat_days = models.PositiveSmallIntegerField(
        _("repeat contact window (days)"),
        default=14,
        help_text=_("A new ticket about the same thing within this many days is a repeat."),
    )
    guarantee_days = models.PositiveSmallIntegerField(
        _("money-back guarantee (days after delivery)"), default=7
    )
    close_after_days = models.PositiveSmallIntegerField(
        _("close resolved tickets after (days)"),
        default=7,
        help_text=_("A resolved ticket the customer did not answer is closed; 0 never closes."),
    )
    warn_before_minutes = models.PositiveIntegerField(
        _("warn before a deadline (business minutes)"), default=60
    )
    default_team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("default team"),
        help_text=_("Takes the tickets whose category names no team."),
    )
    csat_survey = models.ForeignKey(
        "feedback.Survey",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("CSAT survey after resolution"),
        help_text=_("Sent to the customer when a ticket is resolved; empty sends nothing."),
    )

    class Meta:
        verbose_name = _("desk settings")
        verbose_name_plural = _("desk settings")

    def __str__(self) -> str:
        return str(_("Desk settings"))

    @classmethod
    def current(cls) -> DeskSettings:
        found, _created = cls.objects.get_or_create(pk=1)
        return found
