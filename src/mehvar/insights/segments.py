"""The RFM segments' names, rules and suggested actions, from the library, in the page's language.

:data:`mehvar.analytics.rfm.SEGMENTS` holds each text in Persian and English; this picks the
one the viewer reads, so the dashboard, the customer list and the 360 page say the same thing
the command-line report does.
"""

from __future__ import annotations

from typing import Literal

from django.utils import translation

from mehvar.analytics.rfm import segment_by_code

Text = Literal["label", "rule", "action"]


def _persian() -> bool:
    # No active language (a migration, a worker) means English, like Django's own msgids.
    return (translation.get_language() or "").startswith("fa")


def segment_text(code: str, text: Text) -> str:
    """The segment's label, rule or suggested action; the code itself if it is unknown."""
    try:
        segment = segment_by_code(code)
    except KeyError:
        return code if text == "label" else ""
    suffix = "fa" if _persian() else "en"
    return str(getattr(segment, f"{text}_{suffix}"))


def segment_action(code: str) -> str:
    return segment_text(code, "action")
