"""Errors the text library raises, worded for the person who supplied the data.

Messages are English msgids marked with :func:`gettext_noop` so that Django's ``makemessages``
collects them; the command translates ``template % params`` at the edge, while ``str(error)``
stays readable for library users who have no catalogue.
"""

from __future__ import annotations

from typing import Any


def gettext_noop(message: str) -> str:
    """Mark a message for translation without translating it (the pure library has no catalogue)."""
    return message


class TextInputError(ValueError):
    """The input cannot be used as asked; ``template % params`` says why."""

    def __init__(self, template: str, **params: Any) -> None:
        self.template = template
        self.params = params
        super().__init__(template % params if params else template)
