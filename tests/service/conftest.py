"""The service desk's fixtures: a team with a lead and agents, and the desk's settings."""

from __future__ import annotations

from typing import Any

import pytest

from mehvar.core.roles import Role


@pytest.fixture
def desk(users: dict[str, Any], make_user: Any) -> dict[str, Any]:
    """A team "Support" led by the manager, with the service user and a second agent.

    Budget 20,000,000 Rial (2,000,000 Toman) a month; it takes every ticket (default team).
    Limits are the migration's defaults: service 5,000,000 Rial, manager 50,000,000.
    """
    from mehvar.service.models import DeskSettings, Team

    agent2 = make_user(Role.SERVICE, username="service2", email="service2@example.com")
    users["service"].email = "service@example.com"
    users["service"].save(update_fields=["email"])
    users["manager"].email = "manager@example.com"
    users["manager"].save(update_fields=["email"])
    team = Team.objects.create(name="Support", lead=users["manager"], monthly_budget=20_000_000)
    team.members.add(users["service"], agent2)
    settings = DeskSettings.current()
    settings.default_team = team
    settings.save()
    return {"team": team, "agent": users["service"], "agent2": agent2, "lead": users["manager"]}


@pytest.fixture
def make_ticket(desk: dict[str, Any], make_customer: Any) -> Any:
    from mehvar.service import tickets

    def make(customer: Any = None, actor: Any = None, **kwargs: Any) -> Any:
        kwargs.setdefault("subject", "سفارش دیر رسید")
        kwargs.setdefault("body", "سفارشم سه روز دیر رسید و جعبه‌اش آسیب دیده بود.")
        kwargs.setdefault("channel", "phone")
        return tickets.ticket_create(
            actor=actor or desk["agent"], customer=customer or make_customer(), **kwargs
        )

    return make
