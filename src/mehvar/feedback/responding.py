"""Inviting customers and taking their answers: the writes behind the public answer page.

Answers are saved one by one as the respondent goes (a half-finished form is kept); submitting
checks the required questions that branching actually asked, copies the scores onto the
response, writes the customer's timeline and opens a follow-up for an unhappy answer — all in
one transaction, under a row lock, so a double submit changes nothing the second time.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Final

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

from mehvar.core.errors import ErrorCode, ServiceError, ValidationFailed
from mehvar.core.models import Channel, Department, Direction, EventKind, User
from mehvar.core.persian import to_persian_digits
from mehvar.core.roles import Perm
from mehvar.core.timeline import record_touchpoint
from mehvar.customers.models import Consent, ConsentStatus, Customer
from mehvar.customers.services import department_of, require
from mehvar.feedback.answers import AnswerError, clean_answer
from mehvar.feedback.branching import is_asked
from mehvar.feedback.loop import follow_up_for_response
from mehvar.feedback.models import (
    Answer,
    Invitation,
    InvitationChannel,
    Question,
    QuestionKind,
    Response,
    Survey,
    SurveyStatus,
)
from mehvar.feedback.tokens import token_for

log = logging.getLogger("mehvar.sms")

_CHANNEL_OF_INVITATION = {
    InvitationChannel.SMS: Channel.SMS,
    InvitationChannel.EMAIL: Channel.EMAIL,
    InvitationChannel.LINK: Channel.WEB,
}


def invitation_url(invitation: Invitation) -> str:
    return settings.PUBLIC_URL + reverse("feedback:answer", args=[token_for(invitation)])


def public_url(survey: Survey) -> str:
    return settings.PUBLIC_URL + reverse("feedback:public", args=[survey.public_slug])


def _withdrawn(customer: Customer, channel: str) -> bool:
    return Consent.objects.filter(
        customer=customer, channel=channel, status=ConsentStatus.WITHDRAWN
    ).exists()


def _deliver(invitation: Invitation, url: str) -> None:
    """Hand the link to the channel. SMS and email gateways arrive with the messaging issue;
    until then SMS goes to the console log and email to Django's mail backend."""
    customer, survey = invitation.customer, invitation.survey
    with override("fa"):
        text = _("%(title)s — we would value your opinion: %(url)s") % {
            "title": survey.title_fa,
            "url": url,
        }
    if invitation.channel == InvitationChannel.SMS:
        log.info("SMS to %s: %s", customer.mobile, text)
    elif invitation.channel == InvitationChannel.EMAIL:
        send_mail(survey.title_fa, text, None, [customer.email], fail_silently=False)


class DeliveryFailed(Exception):
    """The channel refused an invitation; the background task is retried."""


def invitation_deliver(invitation_id: int) -> bool:
    """Send one invitation's message, at most once: True when it was sent now.

    The invitation's row is locked while sending and ``sent_at`` set in the same transaction, so
    a retried or doubled task finds it sent and does nothing. A failure is kept in
    ``last_error`` and raised as :class:`DeliveryFailed` for the task queue to retry.
    """
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .select_related("customer", "survey")
            .filter(pk=invitation_id)
            .first()
        )
        if invitation is None or invitation.sent_at is not None:
            return False
        try:
            _deliver(invitation, invitation_url(invitation))
        except Exception as exc:  # any gateway error: SMTP, timeouts, refused addresses
            error = f"{type(exc).__name__}: {exc}"[:500]
        else:
            invitation.sent_at, invitation.last_error = timezone.now(), ""
            invitation.save(update_fields=["sent_at", "last_error"])
            return True
    Invitation.objects.filter(pk=invitation_id, sent_at__isnull=True).update(last_error=error)
    log.warning("survey invitation %s not delivered: %s", invitation_id, error)
    raise DeliveryFailed(error)


REDELIVER_AFTER: Final = timedelta(minutes=15)
REDELIVER_WITHIN: Final = timedelta(days=2)


def undelivered_invitations(*, now: datetime | None = None) -> list[int]:
    """Invitations whose message never left: the queue was down when they were made, or every
    retry failed. After two days an invitation is not worth sending any more."""
    now = now or timezone.now()
    return list(
        Invitation.objects.filter(
            sent_at__isnull=True,
            completed_at__isnull=True,
            created_at__lte=now - REDELIVER_AFTER,
            created_at__gte=now - REDELIVER_WITHIN,
            expires_at__gt=now,
        )
        .exclude(channel=InvitationChannel.LINK)
        .values_list("pk", flat=True)[:1000]
    )


def _deliver_later(invitation_id: int) -> None:
    from mehvar.feedback.tasks import deliver_invitation

    deliver_invitation(invitation_id)


@transaction.atomic
def invitation_create(
    *,
    actor: User | None,
    survey: Survey,
    customer: Customer,
    channel: InvitationChannel | str,
    trigger_key: str | None = None,
) -> Invitation:
    """Invite one customer with a personal single-use link and record it on their timeline.

    ``actor`` is None for an automatic sending (a trigger rule), which passes its natural key so
    a retried job finds the first invitation instead of sending a second one.
    """
    if actor is not None:
        require(actor, Perm.SURVEY_SEND)
    channel = InvitationChannel(channel)
    if trigger_key:
        existing = Invitation.objects.filter(trigger_key=trigger_key).first()
        if existing is not None:
            return existing
    if survey.status != SurveyStatus.ACTIVE:
        raise ServiceError(_("Open the survey before sending it."), code=ErrorCode.CONFLICT)
    if customer.merged_into_id is not None:
        raise ServiceError(_("This record was merged into another customer."))
    if channel == InvitationChannel.SMS and not customer.mobile:
        raise ValidationFailed({"channel": gettext_lazy("This customer has no mobile number.")})
    if channel == InvitationChannel.EMAIL and not customer.email:
        raise ValidationFailed({"channel": gettext_lazy("This customer has no email address.")})
    if channel != InvitationChannel.LINK and _withdrawn(customer, channel):
        raise ServiceError(
            _("The customer withdrew consent for this channel."), code=ErrorCode.CONSENT_LOCKED
        )
    now = timezone.now()
    invitation = Invitation.objects.create(
        survey=survey,
        customer=customer,
        channel=channel,
        created_at=now,
        expires_at=now + timedelta(days=survey.link_days),
        trigger_key=trigger_key,
        created_by=actor,
        # A link is handed over by the person who made it: there is nothing to send.
        sent_at=now if channel == InvitationChannel.LINK else None,
    )
    url = invitation_url(invitation)
    record_touchpoint(
        customer=customer,
        kind=EventKind.SURVEY_INVITED,
        channel=_CHANNEL_OF_INVITATION[channel],
        department=department_of(actor) if actor else Department(survey.department or "system"),
        direction=Direction.OUTBOUND,
        summary=_("Survey “%(title)s” sent") % {"title": survey.title_fa},
        actor=actor,
        ref=invitation,
        data={"url": url, "expires_at": invitation.expires_at.isoformat(), "survey": survey.pk},
    )
    if channel != InvitationChannel.LINK:
        # Sent by a retried background task once this is committed: a failing gateway neither
        # fails the page (whose earlier invitations are committed) nor stops a trigger run.
        # robust: a queue that cannot be reached is logged, not raised after the commit.
        invitation_id = invitation.pk
        transaction.on_commit(lambda: _deliver_later(invitation_id), robust=True)
    return invitation


def response_for_invitation(invitation: Invitation, *, language: str = "fa") -> Response:
    """The response behind a personal link, created on first open."""
    with transaction.atomic():
        response, created = Response.objects.get_or_create(
            invitation=invitation,
            defaults={
                "survey": invitation.survey,
                "customer": invitation.customer,
                "language": language,
            },
        )
        if created and invitation.opened_at is None:
            invitation.opened_at = timezone.now()
            invitation.save(update_fields=["opened_at"])
    return response


def response_for_public(survey: Survey, *, public_key: str, language: str = "fa") -> Response:
    """An anonymous response through the survey's public link, tied to one browser's key."""
    response, _created = Response.objects.get_or_create(
        public_key=public_key, defaults={"survey": survey, "language": language}
    )
    return response


def _answers_by_key(response: Response) -> dict[str, Any]:
    return dict(response.answers.values_list("question__key", "value"))


def _refuse_if_submitted(response: Response) -> None:
    if response.submitted_at is not None:
        raise ServiceError(
            _("These answers were already sent. Thank you!"), code=ErrorCode.CONFLICT
        )


@transaction.atomic
def answers_save(
    *, response: Response, raw: Mapping[str, Any], submit: bool = False
) -> tuple[Response, dict[str, str]]:
    """Save the answers given by question key; keep the valid ones and report the others.

    With ``submit`` and no errors the response is submitted (see :func:`response_submit`); when
    the submit is refused, its reasons join the errors and the saved answers stay.
    Returns the response and the errors by question key (empty when all was well).
    """
    response = Response.objects.select_for_update().get(pk=response.pk)
    _refuse_if_submitted(response)
    questions = {q.key: q for q in response.survey.questions.all()}
    errors: dict[str, str] = {}
    now = timezone.now()
    for key, value in raw.items():
        question = questions.get(key)
        if question is None:
            continue  # a stale form after the survey changed: nothing to attach the value to
        try:
            cleaned = clean_answer(question, value)
        except AnswerError as exc:
            errors[key] = str(exc.message)
            continue
        if cleaned is None:
            Answer.objects.filter(response=response, question=question).delete()
        else:
            Answer.objects.update_or_create(
                response=response,
                question=question,
                defaults={"value": cleaned, "answered_at": now},
            )
    if submit and not errors:
        # A refused submit (a required answer missing) must not take the saved answers with it.
        try:
            with transaction.atomic():
                return response_submit(response=response), {}
        except ValidationFailed as exc:
            return response, {key: str(message) for key, message in exc.errors.items()}
    return response, errors


def asked_questions(questions: list[Question], answers: Mapping[str, Any]) -> list[Question]:
    """The questions branching asks, in order: a rule sees only answers to asked questions, so
    a chain of follow-ups collapses when its first link is no longer asked."""
    asked: list[Question] = []
    seen: dict[str, Any] = {}
    for question in questions:
        if is_asked(question.show_if, seen):
            asked.append(question)
            seen[question.key] = answers.get(question.key)
    return asked


_SCORE_FIELDS = {QuestionKind.NPS: "nps", QuestionKind.CSAT: "csat", QuestionKind.CES: "ces"}


def _summary(response: Response, scores: Mapping[str, int | None]) -> str:
    parts = [response.survey.title_fa]
    labels = {"nps": "NPS", "csat": "CSAT", "ces": "CES"}
    # The summary is Persian text (the survey's Persian title), so its digits are Persian too.
    parts += [
        f"{labels[name]} {to_persian_digits(value)}"
        for name, value in scores.items()
        if value is not None
    ]
    return " · ".join(parts)


@transaction.atomic
def response_submit(*, response: Response) -> Response:
    """Finish a response: required questions answered, scores copied, timeline, follow-up."""
    response = Response.objects.select_for_update().select_related("survey").get(pk=response.pk)
    _refuse_if_submitted(response)
    questions = list(response.survey.questions.all())
    answers = _answers_by_key(response)
    asked = asked_questions(questions, answers)
    missing = {
        q.key: str(gettext_lazy("Please answer this question."))
        for q in asked
        if q.required and answers.get(q.key) is None
    }
    if missing:
        raise ValidationFailed(missing)
    # An answer to a question that branching no longer asks (the score was changed) goes.
    asked_keys = {q.key for q in asked}
    response.answers.exclude(question__key__in=asked_keys).delete()
    scores: dict[str, int | None] = {"nps": None, "csat": None, "ces": None}
    for question in asked:
        field = _SCORE_FIELDS.get(QuestionKind(question.kind))
        if field and scores[field] is None and isinstance(answers.get(question.key), int):
            scores[field] = answers[question.key]
    response.nps, response.csat, response.ces = scores["nps"], scores["csat"], scores["ces"]
    response.submitted_at = timezone.now()
    response.save(update_fields=["nps", "csat", "ces", "submitted_at"])
    if response.invitation_id is not None:
        Invitation.objects.filter(pk=response.invitation_id).update(
            completed_at=response.submitted_at
        )
    if response.customer_id is not None:
        record_touchpoint(
            customer=response.customer,  # type: ignore[arg-type]
            kind=EventKind.SURVEY_ANSWERED,
            channel=Channel.WEB if response.invitation_id else Channel.IN_STORE,
            department=Department(response.survey.department or Department.SYSTEM),
            direction=Direction.INBOUND,
            summary=_summary(response, scores),
            ref=response,
            occurred_at=response.submitted_at,
            data={k: v for k, v in scores.items() if v is not None}
            | {"survey": response.survey_id},
        )
    follow_up_for_response(response)
    response_id = response.pk
    transaction.on_commit(lambda: _read_words_later(response_id))
    return response


def _read_words_later(response_id: int) -> None:
    from mehvar.feedback.tasks import read_response_words

    read_response_words(response_id)
