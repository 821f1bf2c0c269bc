"""``/api/v1/``: surveys, invitations, responses, sending rules, follow-ups and comments.

Handlers parse, look up, check that the caller may see the object, call one service or selector
and shape the answer; what may be written is decided by the services (``surveys``,
``responding``, ``loop``, ``voice``), so the API cannot drift from the pages. Every POST honours
``Idempotency-Key`` (``core.idempotency``).
"""

from collections.abc import Iterable
from typing import Any, cast

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Path, Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from mehvar.core.errors import NotFound, PermissionDenied, ValidationFailed
from mehvar.core.models import User
from mehvar.core.roles import Perm, has_perm
from mehvar.customers.api import IDEMPOTENT
from mehvar.customers.models import Customer
from mehvar.customers.schemas import ERRORS, PAGE_PARAMS, Id, Pages
from mehvar.customers.services import require
from mehvar.feedback import api_schemas as schemas
from mehvar.feedback.lists import survey_list, wall_comments
from mehvar.feedback.loop import can_work, follow_up_update
from mehvar.feedback.models import (
    Comment,
    FollowUp,
    FollowUpStatus,
    Invitation,
    Response,
    Survey,
    TriggerRule,
)
from mehvar.feedback.responding import invitation_create, invitation_url, public_url
from mehvar.feedback.schemas import SurveyOut
from mehvar.feedback.surveys import (
    survey_copy,
    survey_delete,
    survey_save,
    survey_set_status,
    trigger_rule_delete,
    trigger_rule_save,
)

router = Router()


def _op(method: str, path: str, out: Any, tag: str, status: int | None = None) -> Any:
    """Declare an operation with its success schema and the shared error schema; a POST also
    documents the ``Idempotency-Key`` header that the middleware honours."""
    success = status or {"POST": 201, "DELETE": 204}.get(method, 200)
    return router.api_operation(
        [method],
        path,
        response={success: out, **ERRORS},
        tags=[tag],
        openapi_extra=IDEMPOTENT if method == "POST" else None,
    )


# --- lookups --------------------------------------------------------------------------------
def _actor(request: HttpRequest) -> User:
    return cast(User, request.auth)  # type: ignore[attr-defined]


def _only_params(request: HttpRequest, allowed: Iterable[str]) -> None:
    # ninja ignores unknown query parameters; a misspelt filter must not silently list all.
    unknown = sorted(set(request.GET) - set(allowed) - PAGE_PARAMS)
    if unknown:
        raise ValidationFailed({name: _("Unknown parameter.") for name in unknown})


def _get(queryset: QuerySet[Any], pk: int, label: str) -> Any:
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise NotFound(_("%(what)s #%(id)s does not exist.") % {"what": label, "id": pk})
    return found


def _survey(pk: int) -> Survey:
    return cast(Survey, _get(Survey.objects.all(), pk, _("Survey")))


def _survey_out(survey: Survey) -> SurveyOut:
    survey = Survey.objects.prefetch_related("questions").get(pk=survey.pk)
    out = SurveyOut.from_orm(survey)
    out.public_url = public_url(survey) if survey.public_enabled else None
    return out


def _invitation_out(invitation: Invitation) -> schemas.InvitationOut:
    row = schemas.InvitationRowOut.from_orm(invitation)
    return schemas.InvitationOut(**row.model_dump(), url=invitation_url(invitation))


def _responses() -> QuerySet[Response]:
    return Response.objects.prefetch_related("answers__question")


def _visible_follow_ups(user: User) -> QuerySet[FollowUp]:
    """The follow-ups ``user`` may work on (``loop.can_work`` as a query)."""
    require(user, Perm.FOLLOW_UP_WORK)
    if has_perm(user, Perm.FOLLOW_UP_ASSIGN):
        return FollowUp.objects.all()
    return FollowUp.objects.filter(Q(assignee=user) | Q(assignee__isnull=True))


def _follow_up(user: User, pk: int) -> FollowUp:
    follow_up = cast(FollowUp, _get(FollowUp.objects.all(), pk, _("Follow-up")))
    if not can_work(user, follow_up):
        raise PermissionDenied(_("Only the assignee or the service team may work on this."))
    return follow_up


# --- surveys --------------------------------------------------------------------------------
@_op("GET", "/surveys", list[schemas.SurveySummaryOut], "surveys")
@paginate(Pages)
def surveys_list(request: HttpRequest, filters: Query[schemas.SurveyQuery]) -> QuerySet[Survey]:
    _only_params(request, schemas.SurveyQuery.model_fields)
    require(_actor(request), Perm.SURVEY_SEND)
    surveys = survey_list()
    if filters.status:
        surveys = surveys.filter(status=filters.status)
    return surveys


@_op("POST", "/surveys", SurveyOut, "surveys")
def surveys_create(request: HttpRequest, payload: schemas.SurveyBody) -> Status[SurveyOut]:
    survey = survey_save(actor=_actor(request), data=payload)
    return Status(201, _survey_out(survey))


@_op("GET", "/surveys/{survey_id}", SurveyOut, "surveys")
def surveys_detail(request: HttpRequest, survey_id: Path[Id]) -> SurveyOut:
    require(_actor(request), Perm.SURVEY_SEND)
    return _survey_out(_survey(survey_id))


@_op("PUT", "/surveys/{survey_id}", SurveyOut, "surveys")
def surveys_replace(
    request: HttpRequest, survey_id: Path[Id], payload: schemas.SurveyBody
) -> SurveyOut:
    survey = _survey(survey_id)
    # survey_save refuses control characters itself, for the builder page and the API alike.
    return _survey_out(survey_save(actor=_actor(request), data=payload, survey=survey))


@_op("DELETE", "/surveys/{survey_id}", None, "surveys")
def surveys_delete(request: HttpRequest, survey_id: Path[Id]) -> Status[None]:
    survey_delete(actor=_actor(request), survey=_survey(survey_id))
    return Status(204, None)


@_op("POST", "/surveys/{survey_id}/status", SurveyOut, "surveys", 200)
def surveys_status(
    request: HttpRequest, survey_id: Path[Id], payload: schemas.SurveyStatusIn
) -> SurveyOut:
    survey = survey_set_status(
        actor=_actor(request), survey=_survey(survey_id), status=payload.status
    )
    return _survey_out(survey)


@_op("POST", "/surveys/{survey_id}/copy", SurveyOut, "surveys")
def surveys_copy(request: HttpRequest, survey_id: Path[Id]) -> Status[SurveyOut]:
    copy = survey_copy(actor=_actor(request), survey=_survey(survey_id))
    return Status(201, _survey_out(copy))


# --- invitations ----------------------------------------------------------------------------
@_op("GET", "/surveys/{survey_id}/invitations", list[schemas.InvitationRowOut], "surveys")
@paginate(Pages)
def invitations_list(request: HttpRequest, survey_id: Path[Id]) -> QuerySet[Invitation]:
    _only_params(request, ())
    require(_actor(request), Perm.SURVEY_SEND)
    return Invitation.objects.filter(survey=_survey(survey_id))


@_op("POST", "/surveys/{survey_id}/invitations", schemas.InvitationOut, "surveys")
def invitations_create(
    request: HttpRequest, survey_id: Path[Id], payload: schemas.InvitationIn
) -> Status[schemas.InvitationOut]:
    survey = _survey(survey_id)
    customer = Customer.objects.filter(pk=payload.customer_id).first()
    if customer is None or customer.merged_into_id is not None:
        raise NotFound(
            _("Customer #%(id)s does not exist.") % {"id": payload.customer_id}
            if customer is None
            else _("Customer #%(id)s was merged into #%(target)s; use that record.")
            % {"id": payload.customer_id, "target": customer.merged_into_id}
        )
    invitation = invitation_create(
        actor=_actor(request), survey=survey, customer=customer, channel=payload.channel
    )
    return Status(201, _invitation_out(invitation))


# --- responses ------------------------------------------------------------------------------
@_op("GET", "/surveys/{survey_id}/responses", list[schemas.ResponseOut], "responses")
@paginate(Pages)
def responses_list(
    request: HttpRequest, survey_id: Path[Id], filters: Query[schemas.ResponseQuery]
) -> QuerySet[Response]:
    _only_params(request, schemas.ResponseQuery.model_fields)
    require(_actor(request), Perm.FEEDBACK_VIEW)
    responses = _responses().filter(survey=_survey(survey_id))
    if filters.submitted is not None:
        responses = responses.filter(submitted_at__isnull=not filters.submitted)
    return responses


@_op("GET", "/responses/{response_id}", schemas.ResponseOut, "responses")
def responses_detail(request: HttpRequest, response_id: Path[Id]) -> Response:
    require(_actor(request), Perm.FEEDBACK_VIEW)
    return cast(Response, _get(_responses(), response_id, _("Response")))


# --- sending rules --------------------------------------------------------------------------
@_op("GET", "/surveys/{survey_id}/rules", list[schemas.TriggerRuleOut], "surveys")
def rules_list(request: HttpRequest, survey_id: Path[Id]) -> list[TriggerRule]:
    require(_actor(request), Perm.SURVEY_SEND)
    return list(TriggerRule.objects.filter(survey=_survey(survey_id)))


@_op("POST", "/surveys/{survey_id}/rules", schemas.TriggerRuleOut, "surveys")
def rules_create(
    request: HttpRequest, survey_id: Path[Id], payload: schemas.TriggerRuleBody
) -> Status[TriggerRule]:
    rule = trigger_rule_save(
        actor=_actor(request), survey=_survey(survey_id), data=payload.model_dump()
    )
    return Status(201, rule)


@_op("DELETE", "/rules/{rule_id}", None, "surveys")
def rules_delete(request: HttpRequest, rule_id: Path[Id]) -> Status[None]:
    rule = _get(TriggerRule.objects.all(), rule_id, _("Rule"))
    trigger_rule_delete(actor=_actor(request), rule=rule)
    return Status(204, None)


# --- follow-ups -----------------------------------------------------------------------------
@_op("GET", "/follow-ups", list[schemas.FollowUpOut], "follow-ups")
@paginate(Pages)
def follow_ups_list(
    request: HttpRequest, filters: Query[schemas.FollowUpQuery]
) -> QuerySet[FollowUp]:
    _only_params(request, schemas.FollowUpQuery.model_fields)
    user = _actor(request)
    follow_ups = _visible_follow_ups(user)
    if filters.status:
        follow_ups = follow_ups.filter(status=filters.status)
    if filters.mine:
        follow_ups = follow_ups.filter(assignee=user)
    if filters.overdue:
        follow_ups = follow_ups.exclude(status=FollowUpStatus.RESOLVED).filter(
            due_at__lt=timezone.now()
        )
    return follow_ups


@_op("GET", "/follow-ups/{follow_up_id}", schemas.FollowUpOut, "follow-ups")
def follow_ups_detail(request: HttpRequest, follow_up_id: Path[Id]) -> FollowUp:
    return _follow_up(_actor(request), follow_up_id)


@_op("PATCH", "/follow-ups/{follow_up_id}", schemas.FollowUpOut, "follow-ups")
def follow_ups_update(
    request: HttpRequest, follow_up_id: Path[Id], payload: schemas.FollowUpPatch
) -> FollowUp:
    actor = _actor(request)
    follow_up = _follow_up(actor, follow_up_id)
    assignee = None
    if payload.assignee_id is not None:
        assignee = User.objects.filter(pk=payload.assignee_id, is_active=True).first()
        if assignee is None:
            raise ValidationFailed(
                {"assignee_id": _("No active employee #%(id)s.") % {"id": payload.assignee_id}}
            )
    return follow_up_update(
        actor=actor,
        follow_up=follow_up,
        status=payload.status,
        resolution=payload.resolution,
        assignee=assignee,
    )


# --- comments (the feedback wall) -----------------------------------------------------------
@_op("GET", "/comments", list[schemas.CommentOut], "comments")
@paginate(Pages)
def comments_list(request: HttpRequest, filters: Query[schemas.CommentQuery]) -> QuerySet[Comment]:
    _only_params(request, schemas.CommentQuery.model_fields)
    require(_actor(request), Perm.FEEDBACK_VIEW)
    comments = wall_comments(sentiment=filters.sentiment or "", source=filters.source or "")
    if filters.customer_id is not None:
        comments = comments.filter(customer_id=filters.customer_id)
    if filters.survey_id is not None:
        comments = comments.filter(survey_id=filters.survey_id)
    return comments


@_op("POST", "/comments/{comment_id}/sentiment", schemas.CommentOut, "comments", 200)
def comments_correct(
    request: HttpRequest, comment_id: Path[Id], payload: schemas.SentimentIn
) -> Comment:
    # voice reads text with the sentiment library; imported here so that the rest of the API
    # does not load the models.
    from mehvar.feedback.voice import comment_correct

    comment = _get(Comment.objects.all(), comment_id, _("Comment"))
    return comment_correct(actor=_actor(request), comment=comment, label=payload.label)
