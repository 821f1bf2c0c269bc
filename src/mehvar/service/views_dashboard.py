"""The service dashboard: load, speed against the SLA, satisfaction, compensation and its effect.

Thin: the filters come from the query string, the figures from :mod:`service.selectors`, as page
text from :mod:`service.dashboard`.
"""

from __future__ import annotations

from typing import cast

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from mehvar.core.models import User
from mehvar.core.roles import Perm, has_perm
from mehvar.service import dashboard as page
from mehvar.service import selectors


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    actor = cast(User, request.user)
    if not has_perm(actor, Perm.SERVICE_DASHBOARD):
        return render(
            request,
            "customers/pages/denied.html",
            {"message": _("The service dashboard is for managers and the service team.")},
            status=403,
        )
    now = timezone.now()
    filters, errors = selectors.parse_filters(request.GET, now=now)
    has_tickets = selectors.has_tickets()
    context = {
        "filters": filters,
        "errors": errors,
        "options": page.filter_options(now),
        "has_tickets": has_tickets,
        "data": page.dashboard(filters, now=now) if has_tickets else None,
        "can_work": has_perm(actor, Perm.TICKET_WORK),
    }
    return render(request, "service/pages/dashboard.html", context)
