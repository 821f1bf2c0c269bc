"""The feedback wall: every employee reads customers' latest words; anyone may correct a label."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mehvar.feedback.models import Comment, CommentSource, Survey

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
_refs = itertools.count(1)


def login(client: Client, user: Any) -> Client:
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


def body(response: Any) -> str:
    return str(response.content.decode())


def comment(text: str, *, hours_ago: float = 0, **extra: Any) -> Comment:
    # Written directly: the wall only reads rows, whatever model produced their sentiment.
    defaults: dict[str, Any] = {
        "source": CommentSource.SURVEY,
        "sentiment": "neutral",
        "score": 0.0,
        "ref_type": "feedback.answer",
        "ref_id": str(next(_refs)),
        "occurred_at": timezone.now() - timedelta(hours=hours_ago),
    }
    return Comment.objects.create(text=text, **{**defaults, **extra})


@pytest.mark.parametrize("role", ["admin", "manager", "sales", "marketing", "service"])
def test_every_employee_reads_the_wall_newest_first(
    role: str, users: dict[str, Any], client: Client, make_customer: Callable[..., Any]
) -> None:
    customer = make_customer(first_name="آرش", last_name="کمالی")
    comment("قدیمی‌ترین نظر", hours_ago=30)
    comment("تازه‌ترین نظر", hours_ago=1, customer=customer, sentiment="positive", score=0.7)
    comment("نظر میانی", hours_ago=5, sentiment="negative", score=-0.8)
    login(client, users[role])

    response = client.get(reverse("feedback:wall"))
    page = body(response)
    assert response.status_code == 200
    positions = [page.index(t) for t in ("تازه‌ترین نظر", "نظر میانی", "قدیمی‌ترین نظر")]
    assert positions == sorted(positions)
    assert reverse("customers:detail", args=[customer.pk]) in page
    assert 'data-sentiment="negative"' in page
    assert 'name="label" value="negative"' in page  # the correction control


def test_customer_words_are_escaped(users: dict[str, Any], client: Client) -> None:
    comment("<script>alert(1)</script> bad <b>service</b>", sentiment="negative", score=-0.8)
    login(client, users["sales"])
    page = body(client.get(reverse("feedback:wall")))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    assert "<b>service</b>" not in page


def test_filters_by_the_label_the_company_believes(users: dict[str, Any], client: Client) -> None:
    survey = Survey.objects.create(title_fa="خرید")
    comment("model says negative", sentiment="negative", score=-0.5, source=CommentSource.NOTE)
    comment("corrected to negative", sentiment="positive", corrected="negative")
    comment("corrected away from negative", sentiment="negative", corrected="neutral")
    comment("a survey answer", sentiment="neutral", source=CommentSource.SURVEY, survey=survey)
    login(client, users["service"])

    negative = body(client.get(reverse("feedback:wall") + "?sentiment=negative&source="))
    assert "model says negative" in negative
    assert "corrected to negative" in negative
    assert "corrected away from negative" not in negative
    assert "a survey answer" not in negative

    by_source = body(client.get(reverse("feedback:wall") + "?source=survey"))
    assert "a survey answer" in by_source
    assert "model says negative" not in by_source
    by_survey = body(client.get(reverse("feedback:wall") + f"?survey={survey.pk}"))
    assert "a survey answer" in by_survey
    assert "corrected to negative" not in by_survey

    bad = client.get(reverse("feedback:wall") + "?sentiment=angry")
    assert bad.status_code == 400


def test_more_comes_in_pages(users: dict[str, Any], client: Client) -> None:
    for n in range(25):
        comment(f"comment number {n:02d}", hours_ago=n)
    login(client, users["marketing"])

    first = body(client.get(reverse("feedback:wall")))
    assert first.count('class="card mb-2 comment-card"') == 20
    assert "comment number 00" in first
    assert "comment number 20" not in first
    assert 'id="wall-more"' in first

    more = client.get(reverse("feedback:wall") + "?page=2", **HTMX)  # type: ignore[arg-type]
    rest = body(more)
    assert "<html" not in rest
    assert rest.count('class="card mb-2 comment-card"') == 5
    assert "comment number 24" in rest
    assert 'id="wall-more"' not in rest


def test_correcting_a_label_stores_it_and_shows_the_new_card(
    users: dict[str, Any], client: Client
) -> None:
    words = comment("it was fine, really", sentiment="negative", score=-0.3)
    login(client, users["sales"])

    response = client.post(
        reverse("feedback:comment_correct", args=[words.pk]),
        {"label": "positive"},
        **HTMX,  # type: ignore[arg-type]
    )

    words.refresh_from_db()
    card = body(response)
    assert response.status_code == 200
    assert (words.corrected, words.corrected_by, words.label) == (
        "positive",
        users["sales"],
        "positive",
    )
    assert "<html" not in card
    assert f'id="comment-{words.pk}" data-sentiment="positive"' in card
    assert "(corrected by a person)" in card
    assert 'value="positive" aria-pressed="true"' in card


def test_a_correction_without_script_returns_to_the_wall(
    users: dict[str, Any], client: Client
) -> None:
    words = comment("so so", sentiment="positive", score=0.2)
    login(client, users["service"])
    response = client.post(
        reverse("feedback:comment_correct", args=[words.pk]), {"label": "neutral"}
    )
    words.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == reverse("feedback:wall")
    assert words.corrected == "neutral"


def test_a_wrong_label_changes_nothing(users: dict[str, Any], client: Client) -> None:
    words = comment("so so", sentiment="positive", score=0.2)
    login(client, users["service"])
    response = client.post(
        reverse("feedback:comment_correct", args=[words.pk]),
        {"label": "furious"},
        **HTMX,  # type: ignore[arg-type]
    )
    words.refresh_from_db()
    assert response.status_code == 422
    assert words.corrected is None
    assert "Pick positive, neutral or negative." in body(response)


def test_the_wall_and_corrections_need_a_login(client: Client) -> None:
    words = comment("hidden", sentiment="positive")
    assert client.get(reverse("feedback:wall")).status_code == 302
    response = client.post(
        reverse("feedback:comment_correct", args=[words.pk]), {"label": "negative"}
    )
    words.refresh_from_db()
    assert response.status_code == 302
    assert words.corrected is None


def test_an_inactive_account_cannot_correct(users: dict[str, Any], client: Client) -> None:
    words = comment("hidden", sentiment="positive")
    user = users["sales"]
    login(client, user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = client.post(
        reverse("feedback:comment_correct", args=[words.pk]), {"label": "negative"}
    )
    words.refresh_from_db()
    assert response.status_code in (302, 403)
    assert words.corrected is None


def test_the_wall_opens_on_customers_words_and_staff_notes_are_one_choice_away(
    users: dict[str, Any], client: Client
) -> None:
    comment("پاسخ مشتری در نظرسنجی")
    comment("نظر واردشده از سایت", source=CommentSource.IMPORT, ref_type="import")
    comment("یادداشت همکار فروش", source=CommentSource.NOTE, ref_type="customers.note")
    login(client, users["sales"])

    first_visit = body(client.get(reverse("feedback:wall")))
    assert "پاسخ مشتری در نظرسنجی" in first_visit
    assert "نظر واردشده از سایت" in first_visit
    assert "یادداشت همکار فروش" not in first_visit

    everything = body(client.get(reverse("feedback:wall") + "?source="))
    assert "یادداشت همکار فروش" in everything
