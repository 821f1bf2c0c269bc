"""Shared fixtures: one employee per role, customers made through the real services."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from mehvar.core.roles import Role

_mobiles = itertools.count(1_000_000)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests talk only to loopback: a stray call to the internet fails loudly."""
    import socket

    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (
            host.startswith("127.") or host in {"localhost", "::1"} or host.startswith("/")
        ):
            raise RuntimeError(f"Network access to {host} is blocked in tests.")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
def make_user(db: Any) -> Callable[..., Any]:
    from mehvar.core.models import User

    def make(role: str = Role.SALES, username: str | None = None, **extra: Any) -> User:
        username = username or f"{role}-{User.objects.count() + 1}"
        user = User.objects.create_user(
            username=username, password="pass-12345-word", role=role, **extra
        )
        return user

    return make


@pytest.fixture
def users(make_user: Callable[..., Any]) -> dict[str, Any]:
    """One employee per role, plus a second sales person to test per-object rules."""
    made = {role.value: make_user(role.value, username=role.value) for role in Role}
    made["sales2"] = make_user(Role.SALES, username="sales2")
    return made


@pytest.fixture
def make_customer(users: dict[str, Any]) -> Callable[..., Any]:
    from mehvar.customers.services import customer_create

    def make(actor: Any = None, owner: Any = None, **data: Any) -> Any:
        data.setdefault("first_name", "علی")
        data.setdefault("last_name", "رضایی")
        if "mobile" not in data:
            data["mobile"] = f"0912{next(_mobiles):07d}"
        kwargs = {} if owner is None else {"owner": owner}
        return customer_create(actor=actor or users["admin"], data=data, **kwargs)

    return make


_LEDGER_TRIGGERS = ("service_ledger_no_update", "service_ledger_no_delete")


@pytest.fixture(autouse=True)
def _empty_ledger_before_flush(request: pytest.FixtureRequest) -> Any:
    """Let a transactional test's database be emptied although the ledger refuses DELETE.

    The compensation ledger's triggers abort any DELETE (SQLite) or UPDATE/DELETE (PostgreSQL,
    where the flush is a TRUNCATE and passes). Asking for the database fixture from here makes
    this one finish first, so this teardown runs before its flush. A test is transactional by
    asking for ``transactional_db``/``live_server`` or by ``@pytest.mark.django_db(transaction=
    True)``; the mark never shows in ``fixturenames``, so it is read from the test itself.
    """
    names = set(request.fixturenames)
    marker = request.node.get_closest_marker("django_db")
    marked = marker is not None and bool(
        marker.kwargs.get("transaction", marker.args[0] if marker.args else False)
        or marker.kwargs.get("reset_sequences", marker.args[1] if len(marker.args) > 1 else False)
    )
    if not (marked or names & {"transactional_db", "live_server"}):
        yield
        return
    request.getfixturevalue("transactional_db" if not marked else "_django_db_helper")
    yield
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    # Rows that point at ledger lines (approved requests, refunded returns) go with the flush
    # that follows; until then their foreign keys must not stop this DELETE.
    with connection.constraint_checks_disabled(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name IN (%s, %s)",
            _LEDGER_TRIGGERS,
        )
        definitions = [row[0] for row in cursor.fetchall()]
        for name in _LEDGER_TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        cursor.execute("DELETE FROM service_compensationentry")
        for definition in definitions:
            cursor.execute(definition)
