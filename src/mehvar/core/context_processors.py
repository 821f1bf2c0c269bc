from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from mehvar.core.roles import PERMISSIONS, Role


def mehvar(request: HttpRequest) -> dict[str, Any]:
    """What every page needs: the viewer's permissions by name and the currency unit."""
    user = getattr(request, "user", None)
    perms: set[str] = set()
    if user is not None and user.is_authenticated and user.is_active:
        role = Role(user.role)
        perms = {perm.value for perm, roles in PERMISSIONS.items() if role in roles}
    return {"can": perms, "currency_unit": settings.MEHVAR_CURRENCY_UNIT}
