"""Closing the loop: an unhappy answer becomes a follow-up for a person, with a due time.

A detractor (NPS 0–6), a low CSAT (1–2) or a negative comment opens one follow-up per response
(the database holds it to one: ``FollowUp.response`` is unique), assigned to the customer's owner
or, failing that, to the service person with the fewest open follow-ups. The assignee is alerted
after commit; the follow-up is tracked to "contacted" and "resolved" and each step lands on the
customer's timeline.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

from mehvar.core.errors import ErrorCode, PermissionDenied, ServiceError, ValidationFailed
from mehvar.core.models import Channel, Department, EventKind, User
from mehvar.core.persian import normalize_text
from mehvar.core.roles import Perm, Role, has_perm
from mehvar.core.timeline import record_touchpoint
from mehvar.customers.models import Customer
from mehvar.customers.services import department_of, require
from mehvar.feedback.models import (
    Comment,
    CommentSource,
    FollowUp,
    FollowUpReason,
    FollowUpStatus,
    Response,
    Sentiment,
)

DETRACTOR_MAX: Final = 6
RECENT_DAYS: Final = 14  # a negative comment older than this opens no follow-up
LOW_CSAT_MAX: Final = 2
# Staff write notes and call logs; only what customers wrote themselves opens a follow-up.
_CUSTOMER_WORDS: Final = frozenset({CommentSource.SURVEY, CommentSource.IMPORT})


def reasons_of(response: Response) -> list[str]:
    reasons = []
    if response.nps is not None and response.nps <= DETRACTOR_MAX:
        reasons.append(FollowUpReason.DETRACTOR.value)
    if response.csat is not None and response.csat <= LOW_CSAT_MAX:
        reasons.append(FollowUpReason.LOW_CSAT.value)
    return reasons


def _assignee(customer: Customer | None) -> User | None:
    if customer is not None and customer.owner_id is not None and customer.owner.is_active:  # type: ignore[union-attr]
        return customer.owner
    for roles in ((Role.SERVICE,), (Role.MANAGER, Role.ADMIN)):
        candidate = (
            User.objects.filter(is_active=True, role__in=roles)
            .annotate(
                open_count=Count(
                    "follow_ups", filter=~Q(follow_ups__status=FollowUpStatus.RESOLVED)
                )
            )
            .order_by("open_count", "pk")
            .first()
        )
        if candidate is not None:
            return candidate
    return None


def _open(
    *,
    customer: Customer | None,
    reasons: list[str],
    response: Response | None,
    comment: Comment | None,
) -> FollowUp:
    now = timezone.now()
    follow_up = FollowUp.objects.create(
        response=response,
        comment=comment,
        customer=customer,
        reasons=reasons,
        assignee=_assignee(customer),
        due_at=now + timedelta(hours=settings.FOLLOW_UP_HOURS),
        created_at=now,
    )
    if customer is not None:
        with override("fa"):
            labels = "، ".join(str(FollowUpReason(r).label) for r in reasons)
        record_touchpoint(
            customer=customer,
            kind=EventKind.FOLLOW_UP_OPENED,
            channel=Channel.SYSTEM,
            department=Department.SERVICE,
            summary=labels,
            ref=follow_up,
            data={"reasons": reasons, "assignee": follow_up.assignee_id},
        )
    follow_up_id = follow_up.pk
    transaction.on_commit(lambda: _alert_later(follow_up_id))
    return follow_up


def _alert_later(follow_up_id: int) -> None:
    from mehvar.feedback.tasks import alert_follow_up

    alert_follow_up(follow_up_id)


def _add_reasons(follow_up: FollowUp, reasons: list[str]) -> FollowUp:
    new = [r for r in reasons if r not in follow_up.reasons]
    if new:
        follow_up.reasons = [*follow_up.reasons, *new]
        follow_up.save(update_fields=["reasons"])
    return follow_up


def follow_up_for_response(response: Response, extra: list[str] | None = None) -> FollowUp | None:
    """Open (or extend) the response's follow-up when it is unhappy. Call inside a transaction."""
    reasons = reasons_of(response) + (extra or [])
    if not reasons:
        return None
    existing = FollowUp.objects.select_for_update().filter(response=response).first()
    if existing is not None:
        return _add_reasons(existing, reasons)
    customer = response.customer if response.customer_id else None
    return _open(customer=customer, reasons=reasons, response=response, comment=None)


def follow_up_for_comment(comment: Comment) -> FollowUp | None:
    """A negative comment a customer wrote: extend its response's follow-up or open one."""
    if comment.label != Sentiment.NEGATIVE or comment.source not in _CUSTOMER_WORDS:
        return None
    if comment.occurred_at < timezone.now() - timedelta(days=RECENT_DAYS):
        return None  # an old review imported today is history: nobody can call back about it
    reason = [FollowUpReason.NEGATIVE_COMMENT.value]
    if comment.ref_type == "feedback.answer":
        response = Response.objects.filter(answers__pk=comment.ref_id).first()
        if response is not None:
            return follow_up_for_response(response, reason)
    if FollowUp.objects.filter(comment=comment).exists():
        return None
    return _open(customer=comment.customer, reasons=reason, response=None, comment=comment)


def can_work(user: User, follow_up: FollowUp) -> bool:
    """The assignee works a follow-up; leads and the service team may take any."""
    if not has_perm(user, Perm.FOLLOW_UP_WORK):
        return False
    return follow_up.assignee_id in (None, user.pk) or has_perm(user, Perm.FOLLOW_UP_ASSIGN)


_NEXT: Final = {
    FollowUpStatus.OPEN: {FollowUpStatus.CONTACTED, FollowUpStatus.RESOLVED},
    FollowUpStatus.CONTACTED: {FollowUpStatus.RESOLVED, FollowUpStatus.OPEN},
    FollowUpStatus.RESOLVED: {FollowUpStatus.OPEN},
}


@transaction.atomic
def follow_up_update(
    *,
    actor: User,
    follow_up: FollowUp,
    status: FollowUpStatus | str | None = None,
    resolution: str | None = None,
    assignee: User | None = None,
) -> FollowUp:
    """Move a follow-up on (contacted, resolved, re-opened), note what was done, or reassign it."""
    follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if not can_work(actor, follow_up):
        raise PermissionDenied(_("Only the assignee or the service team may work on this."))
    fields: list[str] = []
    summary: list[str] = []
    if assignee is not None and assignee.pk != follow_up.assignee_id:
        require(actor, Perm.FOLLOW_UP_ASSIGN)
        if not assignee.is_active:
            raise ValidationFailed({"assignee": gettext_lazy("This user is not active.")})
        follow_up.assignee = assignee
        fields.append("assignee")
        summary.append(_("assigned to %(name)s") % {"name": assignee.get_full_name() or assignee})
    if resolution is not None:
        follow_up.resolution = normalize_text(resolution)[:4000]
        fields.append("resolution")
    if status is not None and status != follow_up.status:
        status = FollowUpStatus(status)
        if status not in _NEXT[FollowUpStatus(follow_up.status)]:
            raise ServiceError(_("This step is not possible now."), code=ErrorCode.CONFLICT)
        if status == FollowUpStatus.RESOLVED and not follow_up.resolution:
            raise ValidationFailed(
                {"resolution": gettext_lazy("Say what was done before resolving.")}
            )
        now = timezone.now()
        if status == FollowUpStatus.CONTACTED or (
            status == FollowUpStatus.RESOLVED and follow_up.contacted_at is None
        ):
            follow_up.contacted_at = now
            fields.append("contacted_at")
        follow_up.resolved_at = now if status == FollowUpStatus.RESOLVED else None
        follow_up.status = status
        fields += ["status", "resolved_at"]
        summary.append(str(status.label))
    if not fields:
        return follow_up
    follow_up.save(update_fields=fields)
    if follow_up.customer_id is not None and summary:
        record_touchpoint(
            customer=follow_up.customer,  # type: ignore[arg-type]
            kind=EventKind.FOLLOW_UP_UPDATED,
            channel=Channel.SYSTEM,
            department=department_of(actor),
            summary="، ".join(summary)
            + (
                f" — {follow_up.resolution}"
                if follow_up.resolution and status == FollowUpStatus.RESOLVED
                else ""
            ),
            actor=actor,
            ref=follow_up,
            data={"status": follow_up.status},
        )
    return follow_up


def follow_up_alert(follow_up_id: int) -> bool:
    """Tell the assignee (email; SMS arrives with the messaging issue). Safe to run twice."""
    with transaction.atomic():
        follow_up = (
            # of=("self",): PostgreSQL cannot lock the nullable side of the outer joins.
            FollowUp.objects.select_for_update(of=("self",))
            .select_related("assignee", "customer")
            .filter(pk=follow_up_id, alerted_at__isnull=True)
            .first()
        )
        if follow_up is None:
            return False
        follow_up.alerted_at = timezone.now()
        follow_up.save(update_fields=["alerted_at"])
        assignee = follow_up.assignee
    if assignee is None or not assignee.email:
        return True
    with override("fa"):
        customer = str(follow_up.customer) if follow_up.customer else _("a customer")
        subject = _("Follow-up: %(customer)s is unhappy") % {"customer": customer}
        body = _("Please contact them before %(due)s: %(url)s") % {
            "due": timezone.localtime(follow_up.due_at).strftime("%Y-%m-%d %H:%M"),
            "url": settings.PUBLIC_URL + reverse("feedback:follow_up", args=[follow_up.pk]),
        }
    send_mail(subject, body, None, [assignee.email], fail_silently=True)
    return True
