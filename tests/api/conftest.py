"""API test helpers: a JSON client per role, authenticated by a real bearer token."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from mehvar.core.models import ApiToken

BASE = "/api/v1"


class ApiClient:
    """Speaks JSON to ``/api/v1`` as one employee (or as nobody, with ``token=None``)."""

    def __init__(self, token: str | None) -> None:
        self.token = token
        self.client = Client()

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        # Integrations choose their language by header; these tests read the English messages.
        headers["Accept-Language"] = "en"
        headers.update(extra or {})
        return headers

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        url = path if path.startswith("/api/") else BASE + path
        call = getattr(self.client, method.lower())
        if method.upper() in ("GET", "DELETE") and body is None and raw is None:
            return call(url, data=params or {}, headers=self._headers(headers))
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return call(url, data=data, content_type="application/json", headers=self._headers(headers))

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.request("POST", path, body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.request("PATCH", path, body, **kwargs)

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)


@pytest.fixture
def tokens(users: dict[str, Any]) -> dict[str, str]:
    return {name: ApiToken.issue(user=user, name="tests")[1] for name, user in users.items()}


@pytest.fixture
def as_role(tokens: dict[str, str]) -> Callable[[str], ApiClient]:
    """``as_role("sales")`` is a client for that employee; ``as_role("anonymous")`` has no token."""
    return lambda role: ApiClient(None if role == "anonymous" else tokens[role])
