"""Stub: being written."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def ticket_list(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def ticket_new(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def ticket_detail(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def ticket_message(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def ticket_status(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def ticket_update_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def compensation_grant_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def return_new(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def ticket_from_follow_up_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def compensation_list(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def compensation_decide_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def compensation_reverse_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def return_list(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def return_action(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def canned_render(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404
