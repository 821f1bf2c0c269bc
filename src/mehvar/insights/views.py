"""The analytics dashboard and its "recompute now" button. Thin: selectors and one service."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from mehvar.core.errors import PermissionDenied
from mehvar.core.models import User
from mehvar.core.roles import Perm, has_perm
from mehvar.insights import selectors, services
from mehvar.insights.models import RunStatus


def _denied(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "customers/pages/denied.html", {"message": message}, status=403)


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    actor = cast(User, request.user)
    if not has_perm(actor, Perm.ANALYTICS_VIEW):
        return _denied(request, _("The analytics dashboard is for managers and marketing."))
    latest = selectors.latest_run()
    succeeded = selectors.latest_successful_run()
    running = latest is not None and latest.is_live
    # A run left "running" by a stopped worker has failed in all but name.
    failed = latest is not None and latest.status != RunStatus.SUCCEEDED and not running
    context = {
        "latest": latest,
        "running": running,
        "failed": latest if failed else None,
        "data": selectors.dashboard(succeeded) if succeeded is not None else None,
        "can_run": has_perm(actor, Perm.ANALYTICS_RUN),
    }
    return render(request, "insights/pages/dashboard.html", context)


@login_required
@require_POST
def recompute(request: HttpRequest) -> HttpResponse:
    try:
        services.analytics_request(actor=cast(User, request.user))
    except PermissionDenied as exc:
        return _denied(request, str(exc.message))
    except services.RunInProgress as exc:
        messages.info(request, str(exc.message))
    else:
        messages.success(
            request,
            _("The analytics are being recomputed; reload this page in a minute to see them."),
        )
    return redirect("insights:dashboard")
