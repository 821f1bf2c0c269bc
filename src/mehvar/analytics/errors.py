"""Errors the analytics library raises, worded for the person who supplied the data.

Messages are English msgids marked with :func:`gettext_noop` so that Django's ``makemessages``
collects them; the command and the pages translate ``template % params`` at the edge, while
``str(error)`` stays readable for library users who have no catalogue.
"""

from __future__ import annotations

from typing import Any


def gettext_noop(message: str) -> str:
    """Mark a message for translation without translating it (the pure library has no catalogue)."""
    return message


class AnalyticsError(ValueError):
    """The input cannot be analysed as asked; ``template % params`` says why."""

    def __init__(self, template: str, **params: Any) -> None:
        self.template = template
        self.params = params
        super().__init__(template % params if params else template)


class InputError(AnalyticsError):
    """A file, column or option is unusable (missing column, unknown format, bad date …)."""


class FitError(AnalyticsError):
    """The data cannot support a model fit (too few customers or repeat buyers, no optimum)."""


DEGENERATE_FIT = gettext_noop(
    "The purchase model's fit is degenerate on this data (its parameters ran to extreme "
    "values, usually because customers buy too regularly for a mixture of buying rates), so "
    "it cannot predict; segments and Pareto ranks are still valid."
)
