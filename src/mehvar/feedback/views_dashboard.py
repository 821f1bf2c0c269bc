"""The feedback dashboard: scores, trends, sentiment, topics, Kano and the closed loop.

Thin: the filters come from the query string, the figures from :mod:`feedback.selectors`, as
page text from :mod:`feedback.dashboard`.
"""

from __future__ import annotations

from typing import cast

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from mehvar.core.models import User
from mehvar.core.roles import Perm, has_perm
from mehvar.feedback import dashboard as page
from mehvar.feedback import selectors


def _denied(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "customers/pages/denied.html", {"message": message}, status=403)


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    actor = cast(User, request.user)
    if not has_perm(actor, Perm.FEEDBACK_DASHBOARD):
        return _denied(
            request, _("The feedback dashboard is for managers, marketing and the service team.")
        )
    filters, errors = selectors.parse_filters(request.GET)
    heard = selectors.has_feedback()
    context = {
        "filters": filters,
        "errors": errors,
        "query": request.GET,
        "options": selectors.filter_options(translation.get_language() or "fa"),
        "heard": heard,
        "data": page.dashboard(filters) if heard else None,
        "can_manage": has_perm(actor, Perm.SURVEY_MANAGE),
    }
    return render(request, "feedback/dashboard/page.html", context)
