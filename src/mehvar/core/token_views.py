"""Personal API tokens: an employee issues and revokes their own; the raw token is shown once."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mehvar.core.models import ApiToken, User
from mehvar.core.persian import normalize_text


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)  # login_required guarantees an employee
    raw_token = None
    if request.method == "POST":
        name = normalize_text(request.POST.get("name", ""))[:100]
        if not name:
            messages.error(request, _("Give the token a name, e.g. the system that will use it."))
        else:
            _token, raw_token = ApiToken.issue(user=user, name=name)
    tokens = ApiToken.objects.filter(user=user).order_by("-created_at")
    return render(request, "core/tokens.html", {"tokens": tokens, "raw_token": raw_token})


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    # Scoped to the requester: another employee's token id is simply not found (no IDOR).
    token = get_object_or_404(ApiToken, pk=pk, user=cast(User, request.user))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        messages.success(request, _("Token revoked."))
    return redirect("tokens")
