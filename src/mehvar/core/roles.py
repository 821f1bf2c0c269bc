"""Who may do what. One table, read by pages, the API and the docs alike.

Seed 003 asks that every employee can read customers, their timeline and their feedback, so
reading is open to every role; writing is where roles differ. Per-object rules (a sales person
edits only the customers they own) live in :func:`can_edit_customer`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from mehvar.core.models import User


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    MANAGER = "manager", _("Manager")
    SALES = "sales", _("Sales")
    MARKETING = "marketing", _("Marketing")
    SERVICE = "service", _("Service")


class Perm(StrEnum):
    CUSTOMER_VIEW = "customer.view"
    CUSTOMER_CREATE = "customer.create"
    CUSTOMER_EDIT = "customer.edit"
    CUSTOMER_DELETE = "customer.delete"
    CUSTOMER_MERGE = "customer.merge"
    CUSTOMER_IMPORT = "customer.import"
    CUSTOMER_EXPORT = "customer.export"
    CONSENT_EDIT = "consent.edit"
    ORDER_VIEW = "order.view"
    ORDER_EDIT = "order.edit"
    INTERACTION_LOG = "interaction.log"
    NOTE_ADD = "note.add"
    TASK_ADD = "task.add"
    AUDIT_VIEW = "audit.view"
    ANALYTICS_VIEW = "analytics.view"
    ANALYTICS_RUN = "analytics.run"
    SURVEY_MANAGE = "survey.manage"
    SURVEY_SEND = "survey.send"
    FEEDBACK_VIEW = "feedback.view"
    FEEDBACK_DASHBOARD = "feedback.dashboard"
    FOLLOW_UP_WORK = "follow_up.work"
    FOLLOW_UP_ASSIGN = "follow_up.assign"
    SENTIMENT_CORRECT = "sentiment.correct"
    SENTIMENT_TRAIN = "sentiment.train"
    TICKET_VIEW = "ticket.view"
    TICKET_CREATE = "ticket.create"
    TICKET_NOTE = "ticket.note"
    TICKET_WORK = "ticket.work"
    TICKET_ASSIGN = "ticket.assign"
    COMPENSATION_GRANT = "compensation.grant"
    COMPENSATION_APPROVE = "compensation.approve"
    RETURN_MANAGE = "return.manage"
    SERVICE_DASHBOARD = "service.dashboard"
    USER_MANAGE = "user.manage"


_ALL = frozenset(Role)
_LEADS = frozenset({Role.ADMIN, Role.MANAGER})

PERMISSIONS: dict[Perm, frozenset[Role]] = {
    Perm.CUSTOMER_VIEW: _ALL,
    Perm.CUSTOMER_CREATE: _ALL,
    Perm.CUSTOMER_EDIT: _LEADS | {Role.SALES, Role.SERVICE, Role.MARKETING},
    Perm.CUSTOMER_DELETE: frozenset({Role.ADMIN}),
    Perm.CUSTOMER_MERGE: _LEADS,
    Perm.CUSTOMER_IMPORT: _LEADS | {Role.MARKETING, Role.SALES},
    Perm.CUSTOMER_EXPORT: _LEADS | {Role.MARKETING},
    Perm.CONSENT_EDIT: _ALL,
    Perm.ORDER_VIEW: _ALL,
    Perm.ORDER_EDIT: _LEADS | {Role.SALES},
    Perm.INTERACTION_LOG: _ALL,
    Perm.NOTE_ADD: _ALL,
    Perm.TASK_ADD: _ALL,
    Perm.AUDIT_VIEW: _LEADS,
    # The company-wide figures (revenue shares, churn trends, model fits) are for management
    # and marketing; each customer's own segment, CLV and churn risk are on the shared customer
    # record for every role, so sales and service know whom they are talking to (seed 002).
    Perm.ANALYTICS_VIEW: _LEADS | {Role.MARKETING},
    Perm.ANALYTICS_RUN: _LEADS,
    # Seed 003: every employee reads what customers say (the feedback wall, every answer) and
    # may correct a sentiment label; building surveys and reading the company-wide scores is
    # for those who act on them.
    Perm.SURVEY_MANAGE: _LEADS | {Role.MARKETING},
    Perm.SURVEY_SEND: _ALL,
    Perm.FEEDBACK_VIEW: _ALL,
    Perm.FEEDBACK_DASHBOARD: _LEADS | {Role.MARKETING, Role.SERVICE},
    Perm.FOLLOW_UP_WORK: _ALL,
    Perm.FOLLOW_UP_ASSIGN: _LEADS | {Role.SERVICE},
    Perm.SENTIMENT_CORRECT: _ALL,
    Perm.SENTIMENT_TRAIN: _LEADS,
    # Seed 002: every department sees every ticket and may add what it knows (a note) or open
    # one for a customer; answering the customer, granting compensation and handling returns
    # is the service desk's work, and a manager's.
    Perm.TICKET_VIEW: _ALL,
    Perm.TICKET_CREATE: _ALL,
    Perm.TICKET_NOTE: _ALL,
    Perm.TICKET_WORK: _LEADS | {Role.SERVICE},
    Perm.TICKET_ASSIGN: _LEADS | {Role.SERVICE},
    Perm.COMPENSATION_GRANT: _LEADS | {Role.SERVICE},
    Perm.COMPENSATION_APPROVE: _LEADS,
    Perm.RETURN_MANAGE: _LEADS | {Role.SERVICE},
    Perm.SERVICE_DASHBOARD: _LEADS | {Role.SERVICE},
    Perm.USER_MANAGE: frozenset({Role.ADMIN}),
}

# Which department an employee speaks for on the timeline when they log a contact.
DEPARTMENT_OF_ROLE: dict[str, str] = {
    Role.SALES: "sales",
    Role.MARKETING: "marketing",
    Role.SERVICE: "service",
    Role.MANAGER: "management",
    Role.ADMIN: "management",
}


class _Owned(Protocol):
    owner_id: int | None


def has_perm(user: User, perm: Perm) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return Role(user.role) in PERMISSIONS[perm]


def can_edit_customer(user: User, customer: _Owned) -> bool:
    """Sales edits its own book of customers (and unowned leads); others edit any profile.

    Service and marketing keep contact details current during their own work, so they are not
    limited by owner; reassigning an owner is a lead's decision (see ``can_reassign_owner``).
    """
    if not has_perm(user, Perm.CUSTOMER_EDIT):
        return False
    if user.role == Role.SALES:
        return customer.owner_id in (None, user.pk)
    return True


def can_reassign_owner(user: User) -> bool:
    return has_perm(user, Perm.CUSTOMER_MERGE)
