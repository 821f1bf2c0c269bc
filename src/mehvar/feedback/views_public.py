"""The public answer pages: no login, Persian first, light enough for a slow phone connection.

``/s/<token>/`` is a customer's personal single-use link; ``/q/<slug>/`` is a survey's public
link (QR code in a shop), which ties a browser to its half-finished response with a signed
cookie and forgets it once the answers are sent, so the next customer at the counter starts
afresh. Each page is a plain form that works without JavaScript; the small script
(``feedback-answer.js``) adds branching and saves each answer as it is given (``…/save/``).

Abuse: POSTs and page views are rate-limited per client IP (``FEEDBACK_RATE_LIMIT``; the
answer is a polite 429), a hidden honeypot field makes a bot's submission vanish, CSRF stays
on, and a token is signed and single-use (``tokens.py``). A forged token and a token for an
invitation that does not exist get the same 404 page, so links cannot be probed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Final

from django.conf import settings
from django.core.signing import BadSignature
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited

from mehvar.core.errors import ErrorCode, ServiceError, ValidationFailed
from mehvar.core.public import client_key, public_page
from mehvar.feedback import public_forms, responding, tokens
from mehvar.feedback.models import Question, Response, Survey, SurveyStatus
from mehvar.feedback.tokens import LinkState

COOKIE: Final = "mehvar_answer"
# A public response left half-done is continued for two hours, then the browser starts afresh
# (a kiosk must not show one customer's answers to the next one for long).
COOKIE_AGE: Final = 2 * 60 * 60

# What each state of a link answers: a refused link is not an error of the respondent's.
_STATUS: Final = {
    LinkState.INVALID: 404,
    LinkState.EXPIRED: 410,
    LinkState.USED: 200,  # "you already answered, thank you" is good news, not a failure
    LinkState.CLOSED: 410,
}


# --- Helpers -------------------------------------------------------------------------------


def _limited(request: HttpRequest, purpose: str) -> bool:
    """Count this request against the IP's allowance for ``purpose`` (open, save, submit)."""
    return bool(
        is_ratelimited(
            request=request,
            group=f"feedback.{purpose}",
            key=client_key,
            rate=settings.FEEDBACK_RATE_LIMIT[purpose],
            increment=True,
        )
    )


def _requested_language(request: HttpRequest) -> str:
    return "en" if request.GET.get("lang") == "en" else "fa"


def _language(request: HttpRequest, survey: Survey, questions: list[Question]) -> str:
    """Persian, or English when asked for and the survey was written in English too."""
    wanted = _requested_language(request)
    return "en" if wanted == "en" and public_forms.survey_has_english(survey, questions) else "fa"


def _in(language: str, fa: str, en: str) -> str:
    return en if language == "en" and en else fa


def _with_language(url: str, language: str) -> str:
    return f"{url}?lang=en" if language == "en" else url


def _fresh_url(survey: Survey, language: str) -> str:
    query = "?fresh=1" + ("&lang=en" if language == "en" else "")
    return reverse("feedback:public", args=[survey.public_slug]) + query


def _stored(response: Response | None) -> dict[str, Any]:
    if response is None:
        return {}
    return dict(response.answers.values_list("question__key", "value"))


@dataclass(frozen=True)
class _Page:
    """One survey page being answered: what it is, in which language, and where it posts."""

    survey: Survey
    questions: list[Question]
    language: str
    action: str
    save_url: str
    again_url: str = ""  # the public link offers "answer again" on its thank-you page


def _message(
    request: HttpRequest,
    *,
    language: str,
    status: int,
    heading: str,
    text: str,
    title: str = "",
    link: str = "",
    link_text: str = "",
) -> HttpResponse:
    context = {
        "heading": heading,
        "text": text,
        "title": title,
        "link": link,
        "link_text": link_text,
    }
    return public_page(
        request, "feedback/public/message.html", context, language=language, status=status
    )


def _link_page(
    request: HttpRequest, state: LinkState, survey: Survey | None, language: str
) -> HttpResponse:
    """The polite page for a link that cannot be answered. An invalid one names nothing."""
    with translation.override(language):
        title = "" if survey is None else _in(language, survey.title_fa, survey.title_en)
        if state == LinkState.EXPIRED:
            heading = _("This link has expired")
            text = _(
                "Thank you for wanting to answer. The time for this survey has passed; if you "
                "would still like to tell us something, please contact us the way you usually do."
            )
        elif state == LinkState.USED:
            heading = _("You have already answered")
            text = _("Your answers reached us. Thank you for your time!")
        elif state == LinkState.CLOSED:
            heading = _("This survey is closed")
            text = _("It no longer takes answers. Thank you for your interest!")
        else:
            title = ""
            heading = _("Page not found")
            text = _("This link is not valid. Please check that it was copied in full.")
    return _message(
        request, language=language, status=_STATUS[state], heading=heading, text=text, title=title
    )


def _too_many(request: HttpRequest, language: str) -> HttpResponse:
    with translation.override(language):
        heading, text = _("Too many attempts"), _("Please wait a minute, then try again.")
    page = _message(request, language=language, status=429, heading=heading, text=text)
    page.headers["Retry-After"] = "60"
    return page


def _json_refusal(status: int, detail: str, **extra: Any) -> JsonResponse:
    answer = JsonResponse({"detail": detail, **extra}, status=status)
    if status == 429:
        answer.headers["Retry-After"] = "60"
    return answer


def _form(
    request: HttpRequest,
    page: _Page,
    response: Response | None,
    *,
    shown: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The survey form: ``shown`` (as posted) or the stored answers fill it."""
    stored = _stored(response)
    by_key = {q.key: q for q in page.questions}
    if shown is None:
        shown = {
            key: public_forms.as_raw(by_key[key], v) for key, v in stored.items() if key in by_key
        }
    errors = errors or {}
    survey, language = page.survey, page.language
    with translation.override(language):
        questions = public_forms.question_views(
            page.questions, shown=shown, answers=stored, errors=errors, language=language
        )
    switch = ""
    if public_forms.survey_has_english(survey, page.questions):
        switch = request.path if language == "en" else f"{request.path}?lang=en"
    context = {
        "title": _in(language, survey.title_fa, survey.title_en),
        "intro": _in(language, survey.intro_fa, survey.intro_en),
        "questions": questions,
        "errors": [q for q in questions if q.error],
        "action": page.action,
        "save_url": page.save_url,
        "switch_url": switch,
        "honeypot": public_forms.HONEYPOT,
        # On a shared shop tablet, the next person can drop what someone left half-answered.
        "fresh_url": _fresh_url(survey, language) if page.again_url and stored else "",
    }
    return public_page(
        request, "feedback/public/answer.html", context, language=language, status=status
    )


def _thanks(request: HttpRequest, page: _Page) -> HttpResponse:
    language, survey = page.language, page.survey
    with translation.override(language):
        text = _in(language, survey.thanks_fa, survey.thanks_en) or _(
            "Your answers reached us. They help us serve you better."
        )
        heading, link_text = _("Thank you!"), _("Answer again (next person)")
    return _message(
        request,
        language=language,
        status=200,
        heading=heading,
        text=text,
        title=_in(language, survey.title_fa, survey.title_en),
        link=page.again_url,
        link_text=link_text if page.again_url else "",
    )


def _submit(request: HttpRequest, page: _Page, response: Response) -> tuple[HttpResponse, bool]:
    """Save the whole form and send it. Returns the page and whether the answers were sent.

    Saving and submitting are two calls on purpose: a submit refused for a missing answer must
    not throw away the answers that were fine (``answers_save(submit=True)`` would roll them
    back with the refusal).
    """
    raw = public_forms.parse_answers(page.questions, request.POST)
    try:
        with translation.override(page.language):
            response, errors = responding.answers_save(response=response, raw=raw)
            if not errors:
                responding.response_submit(response=response)
    except ValidationFailed as exc:
        errors = {key: str(message) for key, message in exc.errors.items()}
    except ServiceError as exc:
        if exc.code != ErrorCode.CONFLICT:
            raise
        return _link_page(request, LinkState.USED, page.survey, page.language), False
    if errors:
        return _form(request, page, response, shown=raw, errors=errors, status=422), False
    return _thanks(request, page), True


def _pretend_saved(request: HttpRequest, page: _Page) -> JsonResponse | None:
    """A bot filled the honeypot: answer as if all went well, store nothing."""
    if not public_forms.honeypot_filled(request.POST):
        return None
    keys = request.POST.getlist("keys") or public_forms.posted_keys(page.questions, request.POST)
    return JsonResponse({"saved": keys, "errors": {}})


def _autosave(request: HttpRequest, page: _Page, response: Response) -> JsonResponse:
    """Save the questions one change carries; the JSON says which were kept and which not."""
    keys = request.POST.getlist("keys") or public_forms.posted_keys(page.questions, request.POST)
    raw = public_forms.parse_answers(page.questions, request.POST, keys=keys)
    try:
        with translation.override(page.language):
            response, errors = responding.answers_save(response=response, raw=raw)
    except ServiceError as exc:
        if exc.code != ErrorCode.CONFLICT:
            raise
        return _json_refusal(410, str(exc.message), state=LinkState.USED)
    saved = [key for key in raw if key not in errors]
    return JsonResponse({"saved": saved, "errors": errors}, status=422 if errors else 200)


# --- The personal link ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Refused:
    state: LinkState
    survey: Survey | None


def _personal_page(request: HttpRequest, token: str) -> tuple[_Page, Response] | _Refused:
    """The page and response behind a token, or why the link cannot be answered."""
    state, invitation = tokens.invitation_for(token)
    if state != LinkState.VALID or invitation is None:
        return _Refused(state, invitation.survey if invitation else None)
    survey = invitation.survey
    questions = list(survey.questions.all())
    language = _language(request, survey, questions)
    page = _Page(
        survey=survey,
        questions=questions,
        language=language,
        action=_with_language(reverse("feedback:answer", args=[token]), language),
        save_url=_with_language(reverse("feedback:answer_save", args=[token]), language),
    )
    return page, responding.response_for_invitation(invitation, language=language)


@never_cache
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """A customer's personal link: the form, or a polite page when it cannot be answered."""
    language = _requested_language(request)
    if _limited(request, "submit" if request.method == "POST" else "open"):
        return _too_many(request, language)
    found = _personal_page(request, token)
    if isinstance(found, _Refused):
        return _link_page(request, found.state, found.survey, language)
    page, response = found
    if request.method == "GET":
        return _form(request, page, response)
    if public_forms.honeypot_filled(request.POST):
        return _thanks(request, page)  # a bot: pretend, store nothing
    answered, _sent = _submit(request, page, response)
    return answered


@never_cache
@require_POST
def answer_save(request: HttpRequest, token: str) -> HttpResponse:
    """Autosave from the script: JSON ``{"saved": [...], "errors": {key: message}}``."""
    language = _requested_language(request)
    if _limited(request, "save"):
        with translation.override(language):
            return _json_refusal(429, _("Too many attempts; please wait a minute."))
    found = _personal_page(request, token)
    if isinstance(found, _Refused):
        invalid = found.state == LinkState.INVALID
        with translation.override(language):
            detail = (
                _("This link is not valid.")
                if invalid
                else _("This link can no longer be answered.")
            )
        return _json_refusal(404 if invalid else 410, detail, state=found.state)
    page, response = found
    return _pretend_saved(request, page) or _autosave(request, page, response)


# --- The public link (QR code) -------------------------------------------------------------


def _public_survey(request: HttpRequest, slug: str) -> Survey | HttpResponse:
    """The survey behind a public link, or the polite page when it takes no answers."""
    survey = Survey.objects.filter(public_slug=slug).first()
    language = _requested_language(request)
    if survey is None or not survey.public_enabled or survey.status == SurveyStatus.DRAFT:
        return _link_page(request, LinkState.INVALID, None, language)
    if survey.status != SurveyStatus.ACTIVE:
        return _link_page(request, LinkState.CLOSED, survey, language)
    return survey


def _public_page(request: HttpRequest, survey: Survey) -> _Page:
    questions = list(survey.questions.all())
    language = _language(request, survey, questions)
    slug = survey.public_slug
    return _Page(
        survey=survey,
        questions=questions,
        language=language,
        action=_with_language(reverse("feedback:public", args=[slug]), language),
        save_url=_with_language(reverse("feedback:public_save", args=[slug]), language),
        again_url=_with_language(reverse("feedback:public", args=[slug]), language),
    )


def _cookie_path(survey: Survey) -> str:
    return reverse("feedback:public", args=[survey.public_slug])


def _unfinished(request: HttpRequest, survey: Survey) -> tuple[str, Response | None]:
    """This browser's key and its unfinished response, if any (nothing is created).

    A key whose response was sent, or belongs to another survey, is dropped for a new one.
    """
    try:
        key = request.get_signed_cookie(COOKIE, salt=_cookie_path(survey), max_age=COOKIE_AGE)
    except (KeyError, BadSignature):
        key = ""
    response = Response.objects.filter(public_key=key).first() if key else None
    if response is not None and (
        response.survey_id != survey.pk or response.submitted_at is not None
    ):
        key, response = "", None
    return key or secrets.token_urlsafe(32), response


def _answering(request: HttpRequest, page: _Page) -> tuple[str, Response]:
    """This browser's key and response, created with its first answer (not on a mere visit,
    so a crawler opening the link leaves nothing behind)."""
    key, response = _unfinished(request, page.survey)
    if response is None:
        response = responding.response_for_public(
            page.survey, public_key=key, language=page.language
        )
    return key, response


def _keep(request: HttpRequest, answer: HttpResponse, survey: Survey, key: str) -> HttpResponse:
    """(Re)set the browser's key: signed, script-proof, sent only to this survey's pages."""
    answer.set_signed_cookie(
        COOKIE,
        key,
        salt=_cookie_path(survey),
        max_age=COOKIE_AGE,
        path=_cookie_path(survey),
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
    )
    return answer


@never_cache
@require_http_methods(["GET", "POST"])
def public_answer(request: HttpRequest, slug: str) -> HttpResponse:
    """A survey's public link: anyone may answer; one browser continues one response."""
    if _limited(request, "submit" if request.method == "POST" else "open"):
        return _too_many(request, _requested_language(request))
    survey = _public_survey(request, slug)
    if isinstance(survey, HttpResponse):
        return survey
    page = _public_page(request, survey)
    if request.method == "GET":
        key, unfinished = _unfinished(request, survey)
        if request.GET.get("fresh") == "1":
            # "Start over": a new key; the half-answer left behind stays a partial response.
            key, unfinished = secrets.token_urlsafe(32), None
        return _keep(request, _form(request, page, unfinished), survey, key)
    if public_forms.honeypot_filled(request.POST):
        return _thanks(request, page)  # a bot: no response is even created
    key, response = _answering(request, page)
    answered, sent = _submit(request, page, response)
    if sent:
        # The next person at the counter starts afresh.
        answered.delete_cookie(COOKIE, path=_cookie_path(survey), samesite="Lax")
        return answered
    return _keep(request, answered, survey, key)


@never_cache
@require_POST
def public_answer_save(request: HttpRequest, slug: str) -> HttpResponse:
    """Autosave for the public link (JSON, like :func:`answer_save`)."""
    language = _requested_language(request)
    if _limited(request, "save"):
        with translation.override(language):
            return _json_refusal(429, _("Too many attempts; please wait a minute."))
    survey = _public_survey(request, slug)
    if isinstance(survey, HttpResponse):
        with translation.override(language):
            return _json_refusal(survey.status_code, _("This link can no longer be answered."))
    page = _public_page(request, survey)
    pretended = _pretend_saved(request, page)
    if pretended is not None:
        return pretended  # a bot: no response is even created
    key, response = _answering(request, page)
    return _keep(request, _autosave(request, page, response), survey, key)
