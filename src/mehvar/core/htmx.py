"""The one place that decides whether a view answers with a full page or an htmx partial.

STYLE.md rule 7 (after netbox ``utilities/htmx.py``): a view has one template for the page and
one under ``partials/`` for the piece htmx swaps in; :func:`wants_partial` picks between them.
A boosted link and a history restore (the browser's back button after the cache was emptied)
need the whole page, so they get it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django_htmx.http import reswap, retarget


def wants_partial(request: HttpRequest) -> bool:
    """True for an htmx request that swaps a piece of the page in."""
    htmx = getattr(request, "htmx", None)
    if htmx is None or not htmx:
        return False
    return not htmx.boosted and not htmx.history_restore_request


def vary_on_htmx(response: HttpResponse) -> HttpResponse:
    """One URL answers with a page or a partial: caches (and the back button) must keep both."""
    patch_vary_headers(response, ("HX-Request",))
    return response


def render_page_or_partial(
    request: HttpRequest,
    *,
    page: str,
    partial: str,
    context: Mapping[str, Any],
    status: int = 200,
) -> HttpResponse:
    """Render ``partial`` for an htmx swap, ``page`` (which includes the partial) otherwise."""
    template = partial if wants_partial(request) else page
    return vary_on_htmx(render(request, template, dict(context), status=status))


def render_swap(
    request: HttpRequest,
    template: str,
    context: Mapping[str, Any],
    *,
    target: str | None = None,
    swap: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render a partial, optionally sending it somewhere else than the element asked for.

    A form posted with htmx whose input is refused comes back into the form itself (``target``
    = the form's id, ``swap`` = "outerHTML") instead of into the list it would have grown.
    """
    response = render(request, template, dict(context), status=status)
    if target:
        response = retarget(response, target)
    if swap:
        response = reswap(response, swap)  # type: ignore[arg-type]
    return response


def denied(request: HttpRequest, message: str | Promise | None = None) -> HttpResponse:
    """The 403 answer of every staff page: a flash message for htmx, a page otherwise."""
    context = {"message": message or _("Your role may not do this.")}
    if wants_partial(request):
        return render_swap(
            request,
            "customers/partials/denied.html",
            context,
            target="#flash",
            swap="innerHTML",
            status=403,
        )
    return render(request, "customers/pages/denied.html", context, status=403)
