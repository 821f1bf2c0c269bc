from __future__ import annotations

from django.utils import translation

from mehvar.core.templatetags.mehvar import phone


def test_phone_reads_like_an_iranian_number_in_either_language() -> None:
    with translation.override("fa"):
        assert phone("+989121234567") == "۰۹۱۲ ۱۲۳ ۴۵۶۷"
        assert phone("+982188776655") == "۰۲۱ ۸۸۷۷ ۶۶۵۵"
    with translation.override("en"):
        assert phone("+989121234567") == "0912 123 4567"
        assert phone(None) == ""
