"""The desk's configuration forms in the admin: canned replies and holidays."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import translation

from mehvar.service.admin import CannedReplyForm, HolidayForm
from mehvar.service.models import CannedReply, Holiday

pytestmark = pytest.mark.django_db


def test_a_canned_reply_with_a_placeholder_we_cannot_fill_is_refused() -> None:
    with translation.override("en"):
        form = CannedReplyForm(
            data={
                "title": "Delay",
                "body_fa": "{first_name} عزیز، کد {discount} شما",
                "body_en": "Dear {frist_name}",
                "is_active": True,
            }
        )
        assert not form.is_valid()
        assert "{discount}" in form.errors["body_fa"][0]
        assert "{frist_name}" in form.errors["body_en"][0]
    assert not CannedReply.objects.exists()


def test_a_canned_reply_with_known_placeholders_is_saved() -> None:
    form = CannedReplyForm(
        data={"title": "تاخیر", "body_fa": "{first_name} عزیز، تیکت {ticket}", "is_active": True}
    )
    assert form.is_valid(), form.errors
    assert form.save().body_fa.startswith("{first_name}")


@pytest.mark.parametrize("typed", ["1405/01/12", "۱۴۰۵/۰۱/۱۲", "١٤٠٥-١-١٢"])
def test_a_holiday_is_typed_in_the_jalali_calendar_in_any_digits(typed: str) -> None:
    form = HolidayForm(data={"day": typed, "name": "روز جمهوری اسلامی"})
    assert form.is_valid(), form.errors
    assert form.save().day == date(2026, 4, 1)


def test_a_gregorian_looking_or_broken_date_is_refused_with_a_message() -> None:
    for typed in ("2026-04-01", "1405/13/01", "فردا"):
        form = HolidayForm(data={"day": typed, "name": "x"})
        assert not form.is_valid()
        assert form.errors["day"]
    assert not Holiday.objects.exists()
