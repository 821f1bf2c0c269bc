from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from mehvar.core.models import ApiToken

pytestmark = pytest.mark.django_db


def test_token_is_shown_once_and_stored_hashed(client: Client, users: dict[str, Any]) -> None:
    client.force_login(users["sales"])
    response = client.post("/account/tokens/", {"name": "shop"})
    raw = response.context["raw_token"]
    assert raw.startswith("mhv_")
    token = ApiToken.objects.get()
    assert raw not in (token.token_hash, token.hint)
    assert ApiToken.authenticate(raw) == users["sales"]
    listing = client.get("/account/tokens/")
    assert raw not in listing.content.decode()


def test_another_employees_token_cannot_be_revoked(client: Client, users: dict[str, Any]) -> None:
    token, raw = ApiToken.issue(user=users["sales"], name="theirs")
    client.force_login(users["sales2"])
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    client.force_login(users["sales"])
    client.post(f"/account/tokens/{token.pk}/revoke/")
    assert ApiToken.authenticate(raw) is None
