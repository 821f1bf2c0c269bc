"""SECURITY.md #14: one survey link submitted many times at once stores one answer."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core.cache import caches
from django.db import connection, connections
from django.test import Client, override_settings
from django.urls import reverse

from mehvar.core.models import EventKind, TimelineEvent
from mehvar.feedback import responding, surveys, tokens
from mehvar.feedback.models import Answer, Response

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL"
)
QUESTIONS = [
    {"key": "nps", "kind": "nps", "text_fa": "چقدر ما را توصیه می‌کنید؟"},
    {"key": "csat", "kind": "csat", "text_fa": "چقدر راضی بودید؟"},
]


@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db(transaction=True)
@override_settings(FEEDBACK_RATE_LIMIT={"open": "100/m", "save": "100/m", "submit": "100/m"})
def test_twenty_submits_of_one_link_at_once_store_one_answer(
    users: dict[str, Any], make_customer: Any
) -> None:
    caches["ratelimit"].clear()
    survey = surveys.survey_save(
        actor=users["manager"], data={"title_fa": "نظرسنجی", "questions": QUESTIONS}
    )
    survey = surveys.survey_set_status(actor=users["manager"], survey=survey, status="active")
    customer = make_customer()
    invitation = responding.invitation_create(
        actor=users["sales"], survey=survey, customer=customer, channel="sms"
    )
    url = reverse("feedback:answer", args=[tokens.token_for(invitation)])
    count = 20
    start = threading.Barrier(count)
    statuses: list[int] = [0] * count

    def run(index: int) -> None:
        try:
            start.wait()
            page = Client().post(url, {"q-nps": str(index % 11), "q-csat": "3"})
            statuses[index] = page.status_code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [200] * count  # one "thank you", the others "you already answered"
    response = Response.objects.get(invitation=invitation)
    assert response.submitted_at is not None
    assert Answer.objects.filter(response=response).count() == 2
    events = TimelineEvent.objects.filter(customer=customer, kind=EventKind.SURVEY_ANSWERED)
    assert events.count() == 1
    assert events.get().data["nps"] == response.nps
