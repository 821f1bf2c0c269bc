from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_persian_even_for_an_english_browser_until_switched(client: Client) -> None:
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="fa" dir="rtl">' in page.content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="fa")
    assert '<html lang="en" dir="ltr">' in page.content.decode()


def test_every_page_carries_a_strict_content_security_policy(client: Client) -> None:
    policy = client.get("/login/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy
