"""Stub: being written."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def support_form(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def support_ticket(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404
