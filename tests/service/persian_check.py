"""A refusal shown on a Persian page must be Persian (imported by the service tests)."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext


def assert_persian(message: object, msgid: str) -> None:
    """``message`` reads in Persian: its msgid is translated and no Latin letter is left."""
    with translation.override("fa"):
        assert gettext(msgid) != msgid, f"no Persian translation for {msgid!r}"
        text = str(message)
    assert any("\u0600" <= char <= "\u06ff" for char in text), text
    assert not any("a" <= char.lower() <= "z" for char in text), text


def in_english(errors: dict[str, object]) -> dict[str, str]:
    """A refusal's field messages as an English page shows them."""
    with translation.override("en"):
        return {field: str(message) for field, message in errors.items()}
