"""The models every app shares: employees, the one customer timeline, API tokens, idempotency."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mehvar.core.roles import Role


class User(AbstractUser):
    """An employee. Customers are never users: they have their own table (Odoo CVE-2019-11782)."""

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.SALES)
    team = models.CharField(_("team"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("employee")
        verbose_name_plural = _("employees")

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Channel(models.TextChoices):
    CALL = "call", _("Call")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    WEB = "web", _("Web")
    IN_STORE = "in_store", _("In store")
    SOCIAL = "social", _("Social")
    SYSTEM = "system", _("System")


class Department(models.TextChoices):
    SALES = "sales", _("Sales")
    MARKETING = "marketing", _("Marketing")
    SERVICE = "service", _("Service")
    MANAGEMENT = "management", _("Management")
    SYSTEM = "system", _("System")


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")
    INTERNAL = "internal", _("Internal")


class EventKind(models.TextChoices):
    CUSTOMER_CREATED = "customer_created", _("Customer created")
    CUSTOMER_UPDATED = "customer_updated", _("Profile updated")
    CUSTOMER_MERGED = "customer_merged", _("Records merged")
    CONSENT_CHANGED = "consent_changed", _("Consent changed")
    INTERACTION = "interaction", _("Contact")
    ORDER_PLACED = "order_placed", _("Order")
    ORDER_UPDATED = "order_updated", _("Order updated")
    NOTE_ADDED = "note_added", _("Note")
    TASK_CREATED = "task_created", _("Follow-up task")
    TASK_COMPLETED = "task_completed", _("Task done")
    SURVEY_INVITED = "survey_invited", _("Survey sent")
    SURVEY_ANSWERED = "survey_answered", _("Survey answer")
    COMMENT = "comment", _("Customer comment")
    FOLLOW_UP_OPENED = "follow_up_opened", _("Follow-up opened")
    FOLLOW_UP_UPDATED = "follow_up_updated", _("Follow-up updated")
    TICKET_OPENED = "ticket_opened", _("Ticket opened")
    TICKET_MESSAGE = "ticket_message", _("Ticket message")
    TICKET_UPDATED = "ticket_updated", _("Ticket updated")
    TICKET_ESCALATED = "ticket_escalated", _("Ticket escalated")
    COMPENSATION = "compensation", _("Compensation")
    RETURN = "return", _("Return")


class TimelineEvent(models.Model):
    """One line of a customer's single story, written only by :mod:`mehvar.core.timeline`."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="timeline_events"
    )
    occurred_at = models.DateTimeField(_("time"), default=timezone.now)
    kind = models.CharField(_("kind"), max_length=32, choices=EventKind.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    department = models.CharField(_("department"), max_length=16, choices=Department.choices)
    direction = models.CharField(
        _("direction"), max_length=16, choices=Direction.choices, default=Direction.INTERNAL
    )
    summary = models.CharField(_("summary"), max_length=500)
    outcome = models.CharField(_("outcome"), max_length=255, blank=True)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A soft reference ("customers.order", 42) so core never imports the apps that write here.
    ref_type = models.CharField(max_length=64, blank=True)
    ref_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-occurred_at", "-id"], name="timeline_by_customer"),
            models.Index(fields=["ref_type", "ref_id"], name="timeline_by_ref"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.summary}"


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the raw value is shown once."""

    PREFIX = "mhv_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @classmethod
    def issue(cls, *, user: User, name: str) -> tuple[ApiToken, str]:
        raw = cls.PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name, token_hash=_hash_token(raw), hint=raw[: len(cls.PREFIX) + 4]
        )
        return token, raw

    @classmethod
    def authenticate(cls, raw: str) -> User | None:
        token = (
            cls.objects.select_related("user")
            .filter(token_hash=_hash_token(raw), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if token is None:
            return None
        now = timezone.now()
        # Touch at most once a minute: a busy integration must not turn reads into writes.
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            token.last_used_at = now
            token.save(update_fields=["last_used_at"])
        return token.user


class IdempotencyRecord(models.Model):
    """The stored answer to a POST that carried an ``Idempotency-Key`` header (SECURITY.md #16)."""

    owner = models.CharField(max_length=80)
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.BinaryField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="idempotency_owner_key")
        ]

    def __str__(self) -> str:
        return f"{self.owner}:{self.key}"

    @property
    def completed(self) -> bool:
        return self.status_code is not None

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "status": self.status_code}
