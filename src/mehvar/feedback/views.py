"""Staff pages of the voice of the customer: surveys and their builder, sending, responses,
follow-ups and the feedback wall.

Each view checks the role (and finds the object, or 404), parses its input with a form, calls
one service or selector and renders. Services check permissions again: a ``PermissionDenied``
becomes the 403 page, a ``ValidationFailed`` errors next to the fields (status 422) with
everything that was typed kept. htmx requests get a partial (``mehvar.core.htmx`` decides).
"""

from __future__ import annotations

import io
from typing import Any, cast

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mehvar.core.errors import PermissionDenied, ServiceError, ValidationFailed
from mehvar.core.htmx import denied, render_page_or_partial, wants_partial
from mehvar.core.models import User
from mehvar.core.persian import whole_number
from mehvar.core.roles import Perm, has_perm
from mehvar.customers.models import Customer
from mehvar.customers.selectors import CustomerFilters, customer_list
from mehvar.feedback import comment_import as importing
from mehvar.feedback import lists, loop, responding, surveys, tasks, voice
from mehvar.feedback.comment_import_forms import CommentColumnsForm, CommentUploadForm
from mehvar.feedback.forms import (
    FOLLOW_UP_SCOPES,
    MAX_INVITES,
    OPERATOR_LABELS,
    CorrectForm,
    CustomerSearchForm,
    FollowUpForm,
    InviteForm,
    QuestionBlock,
    RuleForm,
    SurveySettingsForm,
    WallFilterForm,
    blocks_errors,
    question_blocks,
    spread_errors,
)
from mehvar.feedback.models import (
    Comment,
    FollowUp,
    Invitation,
    QuestionKind,
    Response,
    Sentiment,
    Survey,
    SurveyStatus,
    TriggerRule,
)
from mehvar.feedback.starters import STARTERS

PAGE_SIZE = 25
WALL_PAGE_SIZE = 20
REPORT_PROBLEMS_SHOWN = 1000
SEARCH_LIMIT = 20


def _actor(request: HttpRequest) -> User:
    """The signed-in employee (every view here is behind ``login_required``)."""
    return cast(User, request.user)


def _page(request: HttpRequest, rows: Any, size: int = PAGE_SIZE) -> Any:
    return Paginator(rows, size).get_page(request.GET.get("page"))


# --- Surveys -------------------------------------------------------------------------------


@login_required
@require_GET
def survey_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if not has_perm(actor, Perm.SURVEY_SEND):
        return denied(request)
    # From a customer's page ("send a survey"): each open survey offers to invite them.
    customer_id = _ids([request.GET.get("customer", "")])
    customer = (
        Customer.objects.filter(pk=customer_id[0], merged_into__isnull=True).first()
        if customer_id
        else None
    )
    context = {
        "page_obj": _page(request, lists.survey_list()),
        "customer": customer,
        "can_manage": has_perm(actor, Perm.SURVEY_MANAGE),
        "starters": [(key, label) for key, (label, _data) in STARTERS.items()],
    }
    return render(request, "feedback/pages/survey_list.html", context)


def _next_key(blocks: list[QuestionBlock]) -> str:
    keys = {block.key for block in blocks}
    number = len(blocks) + 1
    while f"q{number}" in keys:
        number += 1
    return f"q{number}"


def _builder(
    request: HttpRequest,
    *,
    survey: Survey | None,
    form: SurveySettingsForm,
    blocks: list[QuestionBlock],
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    keys = [block.key for block in blocks]
    context = {
        "survey": survey,
        "form": form,
        "rows": [{"n": n, "block": block, "earlier": keys[:n]} for n, block in enumerate(blocks)],
        "spare": {
            "n": len(blocks),
            "block": QuestionBlock(key=_next_key(blocks)),
            "earlier": keys,
        },
        # The block the script copies for "add a question" (inert inside a <template>).
        "template_row": {"n": "__N__", "block": QuestionBlock(), "earlier": []},
        "question_errors": errors or [],
        "kinds": QuestionKind.choices,
        "operators": OPERATOR_LABELS,
        "starters": [(key, label) for key, (label, _data) in STARTERS.items()],
    }
    return render(request, "feedback/pages/survey_edit.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def survey_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """The builder: a new survey (optionally from a starter) or an existing one."""
    actor = _actor(request)
    if not has_perm(actor, Perm.SURVEY_MANAGE):
        return denied(request, _("Building surveys is for managers and marketing."))
    survey = get_object_or_404(Survey, pk=pk) if pk is not None else None
    locked = lists.answered_keys(survey) if survey is not None else set()
    if request.method == "GET":
        if survey is not None:
            form = SurveySettingsForm.for_survey(survey)
            blocks = [
                QuestionBlock.from_question(q, locked=q.key in locked)
                for q in lists.survey_questions(survey)
            ]
        else:
            _label, data = STARTERS.get(request.GET.get("start", ""), ("", {}))
            form = SurveySettingsForm(
                initial={name: value for name, value in data.items() if name != "questions"}
            )
            blocks = [QuestionBlock.from_data(q) for q in data.get("questions", [])]
        return _builder(request, survey=survey, form=form, blocks=blocks)

    form = SurveySettingsForm(request.POST)
    blocks = question_blocks(request.POST)
    for block in blocks:  # what the database says, not what the page sent back
        block.locked = block.key in locked
    errors: dict[str, Any] = blocks_errors(blocks)
    if form.is_valid() and not errors:
        try:
            saved = surveys.survey_save(actor=actor, data=form.survey_data(blocks), survey=survey)
        except PermissionDenied as exc:
            return denied(request, exc.message)
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            messages.success(request, _("The survey was saved."))
            return redirect("feedback:survey_detail", pk=saved.pk)
    rest = spread_errors(errors, blocks)
    form.add_service_errors({name: msg for name, msg in rest.items() if name in form.fields})
    general = [msg for name, msg in rest.items() if name not in form.fields]
    return _builder(request, survey=survey, form=form, blocks=blocks, errors=general, status=422)


@login_required
@require_GET
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    if not has_perm(actor, Perm.SURVEY_SEND):
        return denied(request)
    survey = get_object_or_404(Survey.objects.select_related("product", "created_by"), pk=pk)
    context = {
        "survey": survey,
        "questions": lists.survey_questions(survey),
        "counts": lists.survey_counts(survey),
        "public_url": responding.public_url(survey) if survey.public_enabled else "",
        "rules": list(survey.trigger_rules.all()),
        "can_manage": has_perm(actor, Perm.SURVEY_MANAGE),
        "can_read": has_perm(actor, Perm.FEEDBACK_VIEW),
        "statuses": SurveyStatus.choices,
    }
    return render(request, "feedback/pages/survey_detail.html", context)


@login_required
@require_POST
def survey_status(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    if not has_perm(actor, Perm.SURVEY_MANAGE):
        return denied(request)
    survey = get_object_or_404(Survey, pk=pk)
    status = request.POST.get("status", "")
    if status not in SurveyStatus.values:
        messages.error(request, _("Pick one of the offered values."))
        return redirect("feedback:survey_detail", pk=survey.pk)
    try:
        survey = surveys.survey_set_status(actor=actor, survey=survey, status=status)
    except PermissionDenied as exc:
        return denied(request, exc.message)
    except ServiceError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _("The survey is now: %(status)s.") % {"status": survey.get_status_display()},
        )
    return redirect("feedback:survey_detail", pk=survey.pk)


@login_required
@require_POST
def survey_copy_view(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    if not has_perm(actor, Perm.SURVEY_MANAGE):
        return denied(request)
    survey = get_object_or_404(Survey, pk=pk)
    try:
        copy = surveys.survey_copy(actor=actor, survey=survey)
    except PermissionDenied as exc:
        return denied(request, exc.message)
    messages.success(request, _("A draft copy was made; change it and open it when ready."))
    return redirect("feedback:survey_edit", pk=copy.pk)


# --- Sending -------------------------------------------------------------------------------


def _ids(values: list[str]) -> list[int]:
    return [n for n in (whole_number(v) for v in values) if n is not None][:MAX_INVITES]


def _invite_page(
    request: HttpRequest,
    survey: Survey,
    *,
    form: InviteForm,
    picked: list[int],
    sent: list[tuple[Invitation, str]],
    failed: list[tuple[Customer, str]],
    status: int = 200,
) -> HttpResponse:
    search = CustomerSearchForm(request.GET)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    candidates = list(
        Customer.objects.filter(pk__in=picked, merged_into__isnull=True).order_by("name_key")
    )
    if query:
        found = customer_list(viewer=_actor(request), filters=CustomerFilters(q=query))
        known = {c.pk for c in candidates}
        candidates += [c for c in found[:SEARCH_LIMIT] if c.pk not in known]
    context = {
        "survey": survey,
        "form": form,
        "search": search,
        "query": query,
        "candidates": candidates,
        "picked": set(picked),
        "sent": sent,
        "failed": failed,
        "active": survey.status == SurveyStatus.ACTIVE,
    }
    return render(request, "feedback/pages/survey_invite.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def survey_invite(request: HttpRequest, pk: int) -> HttpResponse:
    """Invite customers: find them, tick them, pick the channel; the links are shown after."""
    actor = _actor(request)
    if not has_perm(actor, Perm.SURVEY_SEND):
        return denied(request)
    survey = get_object_or_404(Survey, pk=pk)
    if request.method == "GET":
        # After a sending (post/redirect/get) the links are shown again from the invitations.
        sent_ids = _ids(request.GET.get("sent", "").split(","))
        invitations = Invitation.objects.filter(
            pk__in=sent_ids, survey=survey, created_by=actor
        ).select_related("customer")
        return _invite_page(
            request,
            survey,
            form=InviteForm(initial={"channel": "link"}),
            picked=_ids(request.GET.getlist("customer")),
            sent=[(inv, responding.invitation_url(inv)) for inv in invitations],
            failed=[],
        )
    form = InviteForm(request.POST)
    picked = _ids(request.POST.getlist("customer"))
    if not form.is_valid():
        return _invite_page(
            request, survey, form=form, picked=picked, sent=[], failed=[], status=422
        )
    sent: list[tuple[Invitation, str]] = []
    failed: list[tuple[Customer, str]] = []
    for customer in form.cleaned_data["customer"]:
        try:
            invitation = responding.invitation_create(
                actor=actor, survey=survey, customer=customer, channel=form.cleaned_data["channel"]
            )
        except PermissionDenied as exc:
            return denied(request, exc.message)
        except ServiceError as exc:
            failed.append((customer, str(exc.message)))
        else:
            sent.append((invitation, responding.invitation_url(invitation)))
    if failed:
        return _invite_page(
            request, survey, form=form, picked=picked, sent=sent, failed=failed, status=422
        )
    messages.success(request, _("The survey was sent."))
    ids = ",".join(str(invitation.pk) for invitation, _url in sent)
    return redirect(reverse("feedback:survey_invite", args=[survey.pk]) + f"?sent={ids}")


@login_required
@require_GET
def survey_qr(request: HttpRequest, pk: int) -> HttpResponse:
    """The QR code of a survey's public link, as SVG (for a poster at the counter)."""
    if not has_perm(_actor(request), Perm.SURVEY_SEND):
        return denied(request)
    survey = get_object_or_404(Survey, pk=pk)
    if not survey.public_enabled:
        raise Http404
    buffer = io.BytesIO()
    segno.make(responding.public_url(survey), error="m").save(
        buffer, kind="svg", scale=8, border=2, xmldecl=False
    )
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="survey-{survey.pk}-qr.svg"'
    # The link changes only with the slug; an hour keeps posters printing without refetching.
    patch_cache_control(response, private=True, max_age=3600)
    return response


@login_required
@require_http_methods(["GET", "POST"])
def survey_rules(request: HttpRequest, pk: int) -> HttpResponse:
    """Sending by rule: "N days after an order is delivered, invite its customer"."""
    actor = _actor(request)
    if not has_perm(actor, Perm.SURVEY_MANAGE):
        return denied(request, _("Building surveys is for managers and marketing."))
    survey = get_object_or_404(Survey, pk=pk)
    form = RuleForm(initial={"is_active": True, "delay_days": 2})
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "add")
        try:
            if action == "add":
                form = RuleForm(request.POST)
                if form.is_valid():
                    surveys.trigger_rule_save(actor=actor, survey=survey, data=form.cleaned_data)
                    messages.success(request, _("The rule was added."))
                    return redirect("feedback:survey_rules", pk=survey.pk)
                status = 422
            else:
                rule = get_object_or_404(
                    TriggerRule, pk=whole_number(request.POST.get("rule", "")) or 0, survey=survey
                )
                if action == "delete":
                    surveys.trigger_rule_delete(actor=actor, rule=rule)
                    messages.success(request, _("The rule was deleted."))
                else:
                    surveys.trigger_rule_save(
                        actor=actor,
                        survey=survey,
                        rule=rule,
                        data={
                            "event": rule.event,
                            "delay_days": rule.delay_days,
                            "channel": rule.channel,
                            "is_active": not rule.is_active,
                        },
                    )
                return redirect("feedback:survey_rules", pk=survey.pk)
        except PermissionDenied as exc:
            return denied(request, exc.message)
        except ValidationFailed as exc:
            form.add_service_errors(exc.errors)
            status = 422
    context = {"survey": survey, "rules": list(survey.trigger_rules.all()), "form": form}
    return render(request, "feedback/pages/survey_rules.html", context, status=status)


# --- Responses -----------------------------------------------------------------------------


@login_required
@require_GET
def response_list(request: HttpRequest, pk: int) -> HttpResponse:
    if not has_perm(_actor(request), Perm.FEEDBACK_VIEW):
        return denied(request)
    survey = get_object_or_404(Survey, pk=pk)
    state = request.GET.get("state", "submitted")
    if state not in lists.RESPONSE_STATES:
        state = "submitted"
    context = {
        "survey": survey,
        "state": state,
        "states": [
            ("submitted", _("Submitted")),
            ("partial", _("Not finished")),
            ("all", _("All")),
        ],
        "page_obj": _page(request, lists.responses_of(survey, state=state)),
    }
    return render(request, "feedback/pages/response_list.html", context)


def _follow_up_of(response: Response) -> FollowUp | None:
    return FollowUp.objects.filter(response=response).select_related("assignee").first()


@login_required
@require_GET
def response_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not has_perm(_actor(request), Perm.FEEDBACK_VIEW):
        return denied(request)
    response = get_object_or_404(
        Response.objects.select_related("survey", "customer", "invitation"), pk=pk
    )
    context = {
        "response": response,
        "survey": response.survey,
        "rows": lists.answer_rows(response),
        "follow_up": _follow_up_of(response),
    }
    return render(request, "feedback/pages/response_detail.html", context)


# --- Follow-ups ----------------------------------------------------------------------------


@login_required
@require_GET
def follow_up_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if not has_perm(actor, Perm.FOLLOW_UP_WORK):
        return denied(request)
    can_all = has_perm(actor, Perm.FOLLOW_UP_ASSIGN)
    scopes = [s for s in FOLLOW_UP_SCOPES if s != "all" or can_all]
    # Managers and the service team watch every open follow-up; others start with their own.
    default = "open" if can_all else "mine"
    scope = request.GET.get("scope", default)
    if scope not in scopes:
        scope = default
    now = timezone.now()
    page_obj = _page(request, lists.follow_ups_for(actor, scope, now=now))
    labels = {
        "mine": _("Mine"),
        "open": _("All open"),
        "overdue": _("Overdue"),
        "all": _("All, resolved too"),
    }
    context = {
        "page_obj": page_obj,
        "rows": [
            (f, lists.is_overdue(f, now=now), lists.reason_labels(f.reasons)) for f in page_obj
        ],
        "scope": scope,
        "scopes": [(s, labels[s]) for s in scopes],
    }
    return render(request, "feedback/pages/follow_up_list.html", context)


def _follow_up_page(
    request: HttpRequest, follow_up: FollowUp, form: FollowUpForm, *, status: int = 200
) -> HttpResponse:
    actor = _actor(request)
    response = follow_up.response
    context = {
        "follow_up": follow_up,
        "response": response,
        "rows": lists.answer_rows(response) if response is not None else [],
        "comment": follow_up.comment,
        "form": form,
        "can_work": loop.can_work(actor, follow_up),
        "overdue": lists.is_overdue(follow_up),
        "reasons": lists.reason_labels(follow_up.reasons),
    }
    return render(request, "feedback/pages/follow_up_detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def follow_up_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    if not has_perm(actor, Perm.FOLLOW_UP_WORK):
        return denied(request)
    follow_up = get_object_or_404(
        FollowUp.objects.select_related("customer", "assignee", "response__survey", "comment"),
        pk=pk,
    )
    can_assign = has_perm(actor, Perm.FOLLOW_UP_ASSIGN)
    if request.method == "GET":
        form = FollowUpForm(
            initial={"resolution": follow_up.resolution, "assignee": follow_up.assignee_id},
            can_assign=can_assign,
        )
        return _follow_up_page(request, follow_up, form)
    if not loop.can_work(actor, follow_up):
        return denied(request, _("Only the assignee or the service team may work on this."))
    form = FollowUpForm(request.POST, can_assign=can_assign)
    if not form.is_valid():
        return _follow_up_page(request, follow_up, form, status=422)
    data = form.cleaned_data
    resolution = data["resolution"]
    try:
        loop.follow_up_update(
            actor=actor,
            follow_up=follow_up,
            status=data["status"] or None,
            resolution=resolution if resolution != follow_up.resolution else None,
            assignee=data.get("assignee"),
        )
    except PermissionDenied as exc:
        return denied(request, exc.message)
    except ValidationFailed as exc:
        form.add_service_errors(exc.errors)
        return _follow_up_page(request, follow_up, form, status=422)
    except ServiceError as exc:
        form.add_error(None, str(exc.message))
        return _follow_up_page(request, follow_up, form, status=exc.status)
    messages.success(request, _("The follow-up was updated."))
    return redirect("feedback:follow_up", pk=follow_up.pk)


# --- The feedback wall ---------------------------------------------------------------------


@login_required
@require_GET
def wall(request: HttpRequest) -> HttpResponse:
    """Customers' latest words for every employee (seed 003), newest first."""
    actor = _actor(request)
    if not has_perm(actor, Perm.FEEDBACK_VIEW):
        return denied(request)
    query = request.GET.copy()
    query.setdefault("source", lists.CUSTOMER_WORDS)  # a first visit shows customers' words
    form = WallFilterForm(query)
    valid = form.is_valid()
    data = form.cleaned_data if valid else {}
    comments = lists.wall_comments(
        sentiment=data.get("sentiment") or "",
        source=data.get("source") or "",
        survey=data.get("survey"),
    )
    page_obj = Paginator(comments, WALL_PAGE_SIZE).get_page(data.get("page") or 1)
    context = {
        "form": form,
        "page_obj": page_obj if valid else None,
        "can_correct": has_perm(actor, Perm.SENTIMENT_CORRECT),
        "can_import": importing.may_import_comments(actor),
        "training": _training_panel() if has_perm(actor, Perm.SENTIMENT_TRAIN) else None,
    }
    return render_page_or_partial(
        request,
        page="feedback/pages/wall.html",
        partial="feedback/partials/wall_items.html",
        context=context,
        status=200 if valid else 400,
    )


@login_required
@require_POST
def comment_correct_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A person's verdict on a comment's sentiment; answers with the updated card."""
    actor = _actor(request)
    if not has_perm(actor, Perm.SENTIMENT_CORRECT):
        return denied(request)
    comment = get_object_or_404(Comment.objects.select_related("customer", "survey"), pk=pk)
    form = CorrectForm(request.POST)
    error = ""
    status = 200
    if form.is_valid():
        try:
            comment = voice.comment_correct(
                actor=actor, comment=comment, label=form.cleaned_data["label"]
            )
        except PermissionDenied as exc:
            return denied(request, exc.message)
        except ValidationFailed as exc:
            error, status = str(exc.message), 422
    else:
        error, status = _("Pick positive, neutral or negative."), 422
    if not wants_partial(request):
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("The label was corrected."))
        return redirect("feedback:wall")
    context = {"comment": comment, "can_correct": True, "error": error, "just_corrected": not error}
    return render(request, "feedback/partials/comment_card.html", context, status=status)


# --- Retraining the sentiment model --------------------------------------------------------


def _training_panel() -> dict[str, Any]:
    state = voice.training_state()
    last = state.last
    message = ""
    if last is not None and not last.succeeded:
        # The library keeps its msgid and values, so the reason reads in the viewer's language.
        template, params = last.data.get("template"), last.data.get("params")
        if isinstance(template, str) and isinstance(params, dict):
            message = _(template) % params
        else:
            message = last.message
    return {"state": state, "last": last, "message": message}


@login_required
@require_POST
def sentiment_retrain_view(request: HttpRequest) -> HttpResponse:
    """ "Retrain now": the company's model learns from the corrections, in the background."""
    actor = _actor(request)
    if not has_perm(actor, Perm.SENTIMENT_TRAIN):
        return denied(request, _("Retraining is for managers."))
    if voice.training_state().running:
        messages.info(request, _("A retraining is already running; its result shows here soon."))
        return redirect("feedback:wall")
    tasks.retrain_sentiment_now(actor.pk)
    messages.success(
        request, _("Retraining started; its result shows in the panel below in a minute.")
    )
    return redirect("feedback:wall")


# --- Importing comments --------------------------------------------------------------------


def _columns_page(
    request: HttpRequest,
    upload: importing.Upload,
    form: CommentColumnsForm,
    *,
    status: int = 200,
) -> HttpResponse:
    context = {"upload": upload, "form": form, "max_rows": importing.MAX_ROWS}
    return render(request, "feedback/pages/comment_import_columns.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def comment_import_view(request: HttpRequest) -> HttpResponse:
    """Upload a file of customers' comments; a readable one goes on to its columns."""
    actor = _actor(request)
    if not importing.may_import_comments(actor):
        return denied(request)
    form = CommentUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        file = form.cleaned_data["file"]
        try:
            upload = importing.upload_keep(
                actor=actor, upload=file, filename=file.name or "", size=file.size or 0
            )
        except PermissionDenied as exc:
            return denied(request, exc.message)
        except ValidationFailed as exc:
            form.add_service_errors(exc.errors)
        else:
            columns = CommentColumnsForm(
                initial={"token": upload.token}, headers=upload.columns, file_name=upload.name
            )
            return _columns_page(request, upload, columns)
    context = {
        "form": form,
        "max_rows": importing.MAX_ROWS,
        "max_text": importing.MAX_TEXT,
        "max_mb": importing.MAX_BYTES // (1024 * 1024),
    }
    status = 422 if form.errors else 200
    return render(request, "feedback/pages/comment_import.html", context, status=status)


@login_required
@require_POST
def comment_import_columns(request: HttpRequest) -> HttpResponse:
    """The chosen columns: store the valid rows (one transaction) and report every row."""
    actor = _actor(request)
    if not importing.may_import_comments(actor):
        return denied(request)
    token = request.POST.get("token", "")
    try:
        upload = importing.upload_get(actor=actor, token=token)
    except PermissionDenied as exc:
        return denied(request, exc.message)
    except ValidationFailed as exc:
        messages.error(request, str(exc.errors.get("file") or exc.message))
        return redirect("feedback:comment_import")
    form = CommentColumnsForm(request.POST, headers=upload.columns)
    if not form.is_valid():
        return _columns_page(request, upload, form, status=422)
    try:
        report = importing.comments_file_import(actor=actor, token=token, columns=form.columns())
    except PermissionDenied as exc:
        return denied(request, exc.message)
    except ValidationFailed as exc:
        form.add_service_errors(exc.errors)
        return _columns_page(request, upload, form, status=422)
    css = {"positive": "success", "neutral": "secondary", "negative": "danger"}
    context = {
        "report": report,
        "problems": report.problems[:REPORT_PROBLEMS_SHOWN],
        "problems_hidden": max(0, len(report.problems) - REPORT_PROBLEMS_SHOWN),
        "sentiments": [
            (label, css[value], report.sentiments.get(value, 0))
            for value, label in Sentiment.choices
        ],
    }
    return render(request, "feedback/pages/comment_import_report.html", context)
