from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from mehvar.core.models import TimelineEvent


class LoginView(auth_views.LoginView):
    template_name = "core/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


# The dashboard shows what was recorded last. Ordering by id walks the primary key, so the
# query stays cheap on millions of events (occurred_at alone has no index of its own).
RECENT_EVENTS = 15
_RECENT_COLUMNS = (
    "id", "customer", "actor", "occurred_at", "kind", "channel", "department", "summary",
    "customer__id", "customer__kind", "customer__first_name", "customer__last_name",
    "customer__company_name", "actor__username", "actor__first_name", "actor__last_name",
)  # fmt: skip


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The dashboard shell: recent activity from the shared timeline.

    The customer numbers and "my tasks" come from the customers app's panel, which the page
    loads with htmx: core stays below the domain apps (import-linter contract).
    """
    recent = (
        TimelineEvent.objects.select_related("customer", "actor")
        .only(*_RECENT_COLUMNS)
        .order_by("-id")[:RECENT_EVENTS]
    )
    return render(request, "core/home.html", {"recent_events": recent})


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
