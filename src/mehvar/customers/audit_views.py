from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from mehvar.core.persian import to_latin_digits
from mehvar.core.roles import Perm, has_perm
from mehvar.customers.audit import audit_entries


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    if not has_perm(request.user, Perm.AUDIT_VIEW):  # type: ignore[arg-type]
        raise PermissionDenied
    raw = to_latin_digits(request.GET.get("customer", "")).strip()
    customer_id = int(raw) if raw.isdigit() else None
    entries = audit_entries(customer_id=customer_id, limit=200)
    return render(
        request, "customers/audit/log.html", {"entries": entries, "customer_id": customer_id}
    )
