"""Survey trigger rules: every order is weighed once, only recent deliveries count."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from mehvar.customers.models import Order
from mehvar.customers.orders import LineInput, order_create, order_set_status
from mehvar.feedback import responding, surveys, triggers
from mehvar.feedback.models import Invitation, TriggerDecision, TriggerRule

pytestmark = pytest.mark.django_db

QUESTIONS = [{"key": "nps", "kind": "nps", "text_fa": "چقدر ما را توصیه می‌کنید؟"}]


@pytest.fixture
def survey(users: dict[str, Any]) -> Any:
    made = surveys.survey_save(
        actor=users["manager"], data={"title_fa": "پس از تحویل", "questions": QUESTIONS}
    )
    return surveys.survey_set_status(actor=users["manager"], survey=made, status="active")


def make_rule(users: dict[str, Any], survey: Any, **data: Any) -> TriggerRule:
    rule = surveys.trigger_rule_save(
        actor=users["manager"], survey=survey, data={"delay_days": 2, "channel": "sms", **data}
    )
    # Made a month ago, so the window (not the rule's age) is what bounds the deliveries.
    TriggerRule.objects.filter(pk=rule.pk).update(created_at=timezone.now() - timedelta(days=30))
    rule.refresh_from_db()
    return rule


_numbers = iter(range(1, 10_000))


def delivered(users: dict[str, Any], customer: Any, days_ago: float) -> Order:
    order = order_create(
        actor=users["admin"],
        customer=customer,
        number=f"TR-{next(_numbers)}",
        lines=[LineInput(description="کالا", quantity=1, unit_price=1000)],
    )
    order = order_set_status(actor=users["admin"], order=order, status="delivered")
    Order.objects.filter(pk=order.pk).update(delivered_at=timezone.now() - timedelta(days=days_ago))
    return order


def invited_orders(rule: TriggerRule) -> set[int]:
    keys = Invitation.objects.filter(trigger_key__startswith=f"rule:{rule.pk}:order:")
    return {int(key.rsplit(":", 1)[1]) for key in keys.values_list("trigger_key", flat=True)}


def test_skipped_orders_do_not_block_newer_ones(
    users: dict[str, Any], survey: Any, make_customer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(triggers, "BATCH", 3)
    rule = make_rule(users, survey, channel="email")
    # Four orders of customers without an email address: they can never be invited by email.
    hopeless = [delivered(users, make_customer(), 4.5 - i * 0.1) for i in range(4)]
    reachable = make_customer(email="reachable@example.com")
    newest = delivered(users, reachable, 2.5)

    first = triggers.triggers_run()
    assert (first.invited, first.skipped) == (0, 3)  # the batch held the three oldest
    second = triggers.triggers_run()
    assert (second.invited, second.skipped) == (1, 1)
    assert invited_orders(rule) == {newest.pk}

    decisions = dict(TriggerDecision.objects.values_list("order", "outcome"))
    assert decisions == {**{o.pk: "skipped" for o in hopeless}, newest.pk: "invited"}
    assert TriggerDecision.objects.get(order=hopeless[0]).reason.startswith("invalid")
    third = triggers.triggers_run()
    assert (third.invited, third.skipped) == (0, 0)  # nothing is weighed twice


def test_an_order_skipped_for_a_recent_invitation_is_never_invited_later(
    users: dict[str, Any], survey: Any, make_customer: Any
) -> None:
    rule = make_rule(users, survey)
    customer = make_customer()
    earlier = responding.invitation_create(
        actor=users["sales"], survey=survey, customer=customer, channel="sms"
    )
    Invitation.objects.filter(pk=earlier.pk).update(created_at=timezone.now() - timedelta(days=29))
    order = delivered(users, customer, 2.5)

    report = triggers.triggers_run()
    assert (report.invited, report.skipped) == (0, 1)
    decision = TriggerDecision.objects.get(rule=rule, order=order)
    assert (decision.outcome, decision.reason) == ("skipped", "invited lately")

    # Days later the earlier invitation is outside the quiet period: the order stays skipped.
    Invitation.objects.filter(pk=earlier.pk).update(created_at=timezone.now() - timedelta(days=40))
    assert triggers.triggers_run().invited == 0
    assert Invitation.objects.filter(customer=customer).count() == 1


def test_a_reactivated_rule_does_not_invite_deliveries_of_its_time_off(
    users: dict[str, Any], survey: Any, make_customer: Any
) -> None:
    rule = make_rule(users, survey)
    rule = surveys.trigger_rule_save(
        actor=users["manager"],
        survey=survey,
        rule=rule,
        data={"delay_days": 2, "channel": "sms", "is_active": False},
    )
    assert rule.active_since is None
    while_off = delivered(users, make_customer(), 2.9)
    assert triggers.triggers_run().invited == 0  # an inactive rule does nothing

    rule = surveys.trigger_rule_save(
        actor=users["manager"],
        survey=survey,
        rule=rule,
        data={"delay_days": 2, "channel": "sms", "is_active": True},
    )
    assert rule.active_since is not None
    assert timezone.now() - rule.active_since < timedelta(minutes=1)
    assert triggers.triggers_run().invited == 0  # delivered while it was off: not its business

    # Time passes: it was switched on 2.8 days ago, and an order came after that.
    TriggerRule.objects.filter(pk=rule.pk).update(active_since=timezone.now() - timedelta(days=2.8))
    after = delivered(users, make_customer(), 2.5)
    assert triggers.triggers_run().invited == 1
    assert invited_orders(rule) == {after.pk}
    assert not TriggerDecision.objects.filter(order=while_off).exists()

    # Saving an active rule again (a changed delay) keeps the time it was switched on.
    rule.refresh_from_db()
    kept = rule.active_since
    surveys.trigger_rule_save(
        actor=users["manager"], survey=survey, rule=rule, data={"delay_days": 2, "channel": "sms"}
    )
    assert TriggerRule.objects.get(pk=rule.pk).active_since == kept


def test_a_reopened_survey_does_not_invite_old_deliveries(
    users: dict[str, Any], survey: Any, make_customer: Any
) -> None:
    rule = make_rule(users, survey)
    surveys.survey_set_status(actor=users["manager"], survey=survey, status="closed")
    late = rule.delay_days + triggers.GRACE_DAYS + 1  # delivered while the survey was closed
    old = delivered(users, make_customer(), late)
    recent = delivered(users, make_customer(), rule.delay_days + 0.5)
    assert triggers.triggers_run().invited == 0  # closed: nothing

    surveys.survey_set_status(actor=users["manager"], survey=survey, status="active")
    assert triggers.triggers_run().invited == 1
    assert invited_orders(rule) == {recent.pk}
    assert not TriggerDecision.objects.filter(order=old).exists()


def test_a_rerun_invites_nobody_twice(
    users: dict[str, Any], survey: Any, make_customer: Any
) -> None:
    rule = make_rule(users, survey)
    orders = [delivered(users, make_customer(), 2.2 + i * 0.1) for i in range(3)]
    assert triggers.triggers_run().invited == 3
    # Even with the decisions lost (a run that died after inviting), the invitation's key holds.
    TriggerDecision.objects.filter(order=orders[0]).delete()
    triggers.triggers_run()  # finds the existing invitation instead of sending a second one
    assert triggers.triggers_run().invited == 0
    assert Invitation.objects.count() == 3
    assert invited_orders(rule) == {o.pk for o in orders}
    assert TriggerDecision.objects.count() == 3
