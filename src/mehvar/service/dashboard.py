"""The service dashboard as the page shows it: every figure of :mod:`service.selectors` as text.

Figures leave here in the page's language and digits (Jalali months, amounts in the company's
unit), so the template only places them and ``service-dashboard.js`` only draws.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any, Final

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from mehvar.core.jalali import TEHRAN, format_jalali
from mehvar.core.labels import is_persian, month_label
from mehvar.core.persian import to_persian_digits
from mehvar.service import selectors
from mehvar.service.compensation import Budget, rial_text
from mehvar.service.effect import CHURN_DAYS, REPURCHASE_DAYS, GroupResult
from mehvar.service.models import (
    Category,
    CompensationKind,
    TicketChannel,
    TicketKind,
)
from mehvar.service.selectors import (
    AgentLine,
    Csat,
    Effect,
    Group,
    KindTotal,
    Rate,
    ServiceFilters,
    TimeStats,
)

# --- Numbers as text -----------------------------------------------------------------------


def _digits(text: str) -> str:
    return to_persian_digits(text) if is_persian() else text


def _signed(number: str) -> str:
    """A negative number kept whole on a right-to-left page: "−۱۲" must not read "۱۲−"."""
    if number.startswith("-"):
        return "\u2066\u2212" + number[1:] + "\u2069"
    return number


def _decimal(value: float, places: int) -> str:
    text = f"{value:.{places}f}"
    if float(text) == 0:
        text = text.lstrip("-")  # no "−0"
    if is_persian():
        text = text.replace(".", "٫")
    return _signed(_digits(text))


def _count(value: int) -> str:
    return _digits(f"{value:,}".replace(",", "٬" if is_persian() else ","))


def _percent(value: float, places: int = 0) -> str:
    return _decimal(value, places) + ("٪" if is_persian() else "%")


def share_text(value: float | None) -> str:
    return "—" if value is None else _percent(100 * value)


def duration_text(seconds: float | None) -> str:
    """Business time: minutes under an hour, else hours with one decimal."""
    if seconds is None:
        return "—"
    if seconds < 3600:
        return _("%(n)s min") % {"n": _decimal(seconds / 60, 0)}
    return _("%(n)s h") % {"n": _decimal(seconds / 3600, 1)}


def _rate_note(rate: Rate) -> str:
    return _("%(count)s of %(of)s") % {"count": _count(rate.count), "of": _count(rate.of)}


def period_text(filters: ServiceFilters) -> str:
    if re.fullmatch(r"[0-9]+", filters.period):
        return _("the last %(n)s days") % {"n": _digits(filters.period)}
    return month_label(selectors.month_first_day(filters.period))


@dataclass(frozen=True)
class FilterOptions:
    periods: list[tuple[str, str]]
    months: list[tuple[str, str]]
    teams: list[tuple[int, str]]


def filter_options(now: datetime) -> FilterOptions:
    return FilterOptions(
        periods=[
            (str(days), _("Last %(n)s days") % {"n": _digits(str(days))})
            for days in selectors.PERIOD_DAYS
        ],
        months=[
            (key, month_label(selectors.month_first_day(key)))
            for key in selectors.recent_months(now)
        ],
        teams=[(team.pk, team.name) for team in selectors.teams()],
    )


# --- The page's pieces ---------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    key: str
    title: str
    value: str
    note: str
    tone: str = ""  # a Bootstrap text colour for a figure that needs attention


@dataclass(frozen=True)
class TimeLine:
    key: str  # "response" | "resolution"
    title: str
    median: str
    p90: str
    met: str  # share within the target
    met_note: str
    n: str
    count: int


def _time_line(key: str, title: str, stats: TimeStats) -> TimeLine:
    return TimeLine(
        key=key,
        title=title,
        median=duration_text(stats.median),
        p90=duration_text(stats.p90),
        met=share_text(stats.met_share),
        met_note=_rate_note(Rate(stats.met, stats.judged)),
        n=_count(stats.n),
        count=stats.n,
    )


@dataclass(frozen=True)
class GroupLine:
    label: str
    count: int
    count_text: str
    share: str  # of the period's tickets
    breach: str


@dataclass(frozen=True)
class AgentText:
    name: str
    open_now: str
    assigned: str
    resolved: str
    response_median: str
    breach: str
    breach_note: str


@dataclass(frozen=True)
class CsatText:
    n: int
    n_text: str
    satisfied: str  # share answering 4 or 5
    interval: str  # "95% interval: 64% to 81%", empty without answers
    mean: str
    counts: list[tuple[str, str]]  # (value, count)


@dataclass(frozen=True)
class BudgetLine:
    team: str
    budget: str
    spent: str
    left: str
    used: str  # share of the budget spent
    spent_value: int  # Rial, for the <meter>
    budget_value: int
    over: bool  # a budget lowered during the month can leave the spending above it


@dataclass(frozen=True)
class KindLine:
    label: str
    net: str
    grants: str
    discretionary: bool


@dataclass(frozen=True)
class GroupEffectText:
    title: str
    n: str
    bought_again: str
    bought_note: str
    revenue: str
    churned: str
    churn_note: str


@dataclass(frozen=True)
class EffectText:
    window: str  # "complaints resolved between … and …"
    observable: bool
    groups: list[GroupEffectText]
    difference: str  # the sentence about the difference and its interval
    caveat: str
    bought_title: str
    revenue_title: str
    churn_title: str


@dataclass(frozen=True)
class ServiceDashboard:
    period: str
    cards: list[Card]
    times: list[TimeLine]
    csat: CsatText
    kinds: list[GroupLine]
    categories: list[GroupLine]
    channels: list[GroupLine]
    agents: list[AgentText]
    budgets: list[BudgetLine]
    compensation: list[KindLine]
    effect: EffectText
    charts: dict[str, Any]
    opened: int


_NOT_SET: Final = "—"


def _cards(overview: selectors.Overview, csat: Csat) -> list[Card]:
    return [
        Card(
            key="opened",
            title=_("Tickets opened"),
            value=_count(overview.opened),
            note=_("in the period"),
        ),
        Card(
            key="open",
            title=_("Open now"),
            value=_count(overview.open_now),
            note=_("new, open or waiting on the customer"),
        ),
        Card(
            key="overdue",
            title=_("Overdue now"),
            value=_count(overview.overdue_now),
            note=_("open with a deadline already passed"),
            tone="text-danger" if overview.overdue_now else "",
        ),
        Card(
            key="breach",
            title=_("Breach rate"),
            value=share_text(overview.breach.share),
            note=_("missed a target: %(note)s") % {"note": _rate_note(overview.breach)},
            tone="text-danger" if (overview.breach.share or 0) > 0.2 else "",
        ),
        Card(
            key="reopen",
            title=_("Reopen rate"),
            value=share_text(overview.reopen.share),
            note=_("of tickets resolved: %(note)s") % {"note": _rate_note(overview.reopen)},
        ),
        Card(
            key="repeat",
            title=_("Repeat contacts"),
            value=share_text(overview.repeat.share),
            note=_("same matter again soon: %(note)s") % {"note": _rate_note(overview.repeat)},
        ),
        Card(
            key="csat",
            title=_("Satisfaction after resolution"),
            value=share_text(None if csat.score.value is None else csat.score.value / 100),
            note=_("satisfied (4 or 5 of 5), %(n)s answers") % {"n": _count(csat.n)}
            if csat.n
            else _("no answers yet"),
        ),
    ]


def _lines(groups: list[Group], labels: dict[str, str], total: int) -> list[GroupLine]:
    return [
        GroupLine(
            label=labels.get(group.key, group.key) if group.key else _NOT_SET,
            count=group.count,
            count_text=_count(group.count),
            share=share_text(group.count / total if total else None),
            breach=share_text(group.breach_share),
        )
        for group in groups
    ]


def _agent_text(line: AgentLine) -> AgentText:
    return AgentText(
        name=line.name or _("Unassigned"),
        open_now=_count(line.open_now),
        assigned=_count(line.assigned),
        resolved=_count(line.resolved),
        response_median=duration_text(line.response_median),
        breach=share_text(line.breach.share),
        breach_note=_rate_note(line.breach),
    )


def _csat_text(csat: Csat) -> CsatText:
    score = csat.score
    interval = ""
    if score.ci_low is not None and score.ci_high is not None:
        interval = _("%(level)s interval: %(low)s to %(high)s") % {
            "level": _percent(95),
            "low": _percent(score.ci_low),
            "high": _percent(score.ci_high),
        }
    return CsatText(
        n=csat.n,
        n_text=_count(csat.n),
        satisfied=share_text(None if score.value is None else score.value / 100),
        interval=interval,
        mean="—" if csat.mean is None else _decimal(csat.mean, 2),
        counts=[(_digits(str(value)), _count(n)) for value, n in sorted(csat.counts.items())],
    )


def _budget_line(budget: Budget) -> BudgetLine:
    return BudgetLine(
        team=budget.team.name,
        budget=rial_text(budget.budget),
        spent=rial_text(budget.spent),
        left=rial_text(budget.left),
        used=share_text(budget.spent / budget.budget if budget.budget else None),
        spent_value=max(budget.spent, 0),
        budget_value=budget.budget,
        over=budget.spent > budget.budget,
    )


def kind_labels() -> dict[str, str]:
    return {value: str(label) for value, label in CompensationKind.choices}


def _kind_line(total: KindTotal, labels: dict[str, str]) -> KindLine:
    label = labels.get(total.kind, total.kind)
    if not total.discretionary:
        label = _("%(kind)s (money-back guarantee)") % {"kind": label}
    return KindLine(
        label=label,
        net=rial_text(total.net),
        grants=_count(total.grants),
        discretionary=total.discretionary,
    )


def _group_effect(title: str, group: GroupResult) -> GroupEffectText:
    return GroupEffectText(
        title=title,
        n=_count(group.n),
        bought_again=share_text(group.repurchase_share),
        bought_note=_rate_note(Rate(group.bought_again, group.n)),
        revenue="—"
        if group.revenue_per_customer is None
        else rial_text(10 * round(group.revenue_per_customer / 10)),
        churned=share_text(group.churn_share),
        churn_note=_rate_note(Rate(group.churned, group.churn_n)),
    )


def _points(value: float) -> str:
    return _decimal(100 * value, 0)


def _effect_titles() -> dict[str, str]:
    soon, later = _digits(str(REPURCHASE_DAYS)), _digits(str(CHURN_DAYS))
    return {
        "bought_title": _("Bought again within %(days)s days") % {"days": soon},
        "revenue_title": _("Spent per customer in those %(days)s days") % {"days": soon},
        "churn_title": _("Lost: no purchase within %(days)s days") % {"days": later},
    }


def _effect_text(effect: Effect) -> EffectText:
    caveat = _(
        "This is an observational comparison, not proof of cause: agents choose whom to "
        "compensate, and the two groups may differ in ways these figures do not show."
    )
    if effect.result is None:
        return EffectText(
            window="",
            observable=False,
            groups=[],
            difference=_(
                "Purchases are watched for %(days)s days after a complaint is resolved, so this "
                "needs complaints resolved at least %(days)s days ago: choose the last 365 days "
                "or an older month."
            )
            % {"days": _digits(str(REPURCHASE_DAYS))},
            caveat=caveat,
            **_effect_titles(),
        )
    result = effect.result
    window = _("Complaints resolved from %(start)s to %(end)s, each customer once.") % {
        "start": _day_text(effect.start),
        "end": _day_text(effect.end),
    }
    groups = [
        _group_effect(_("Compensated"), result.compensated),
        _group_effect(_("Not compensated"), result.others),
    ]
    difference = result.repurchase_difference
    if difference is None:
        sentence = _("Both groups need complainants before they can be compared.")
    else:
        values = {
            "value": _points(abs(difference.value)),
            "low": _points(difference.low),
            "high": _points(difference.high),
            "level": _percent(95),
        }
        if difference.value >= 0:
            sentence = _(
                "Compensated complainants bought again %(value)s percentage points more often "
                "(%(level)s interval: %(low)s to %(high)s points)."
            )
        else:
            sentence = _(
                "Compensated complainants bought again %(value)s percentage points less often "
                "(%(level)s interval: %(low)s to %(high)s points)."
            )
        sentence %= values
        if difference.low <= 0 <= difference.high:
            sentence += " " + _("The interval includes zero: no difference is shown yet.")
    return EffectText(
        window=window,
        observable=True,
        groups=groups,
        difference=sentence,
        caveat=caveat,
        **_effect_titles(),
    )


def _day_text(moment: datetime) -> str:
    if is_persian():
        return format_jalali(moment, persian_digits=True)
    return moment.astimezone(TEHRAN).date().isoformat()


def _display_amount(rials: int) -> float:
    return rials if settings.MEHVAR_CURRENCY_UNIT == "rial" else rials / 10


def _unit() -> str:
    if settings.MEHVAR_CURRENCY_UNIT == "rial":
        return _("Rial")
    return _("Toman")


def dashboard(filters: ServiceFilters, *, now: datetime) -> ServiceDashboard:
    """Every figure of the page in the viewer's language."""
    language = translation.get_language() or "fa"
    keys = selectors.trend_keys(filters, now)
    first_month = selectors.month_first_day(keys[0])
    since = min(filters.start, datetime.combine(first_month, time.min, tzinfo=TEHRAN))
    rows_all = selectors.ticket_rows(start=since, end=filters.end, team_id=filters.team_id, now=now)
    rows = [row for row in rows_all if row.created_at >= filters.start]
    overview = selectors.overview(rows, team_id=filters.team_id, now=now)
    csat = selectors.csat_after_resolution(filters)
    months = selectors.by_month(rows_all, keys)
    categories = {str(c.pk): c.label(language) for c in Category.objects.all()}
    kinds = {value: str(label) for value, label in TicketKind.choices}
    channels = {value: str(label) for value, label in TicketChannel.choices}
    by_kind = selectors.group_by(rows, "kind")
    by_category = selectors.group_by(rows, "category_id")
    by_channel = selectors.group_by(rows, "channel")
    compensation = selectors.compensation_by_kind(filters)
    comp_labels = kind_labels()
    month_labels = [month_label(selectors.month_first_day(month.key)) for month in months]
    charts = {
        "lang": "fa" if is_persian() else "en",
        "trend": {
            "labels": month_labels,
            "opened": [month.opened for month in months],
            "breach": [
                None if month.breach_share is None else round(100 * month.breach_share, 1)
                for month in months
            ],
            "opened_label": _("Tickets opened"),
            "breach_label": _("Breach rate (%)"),
        },
        "kinds": _chart_groups(by_kind, kinds),
        "channels": _chart_groups(by_channel, channels),
        "categories": _chart_groups(by_category, categories) | {"count_label": _("Tickets")},
        "compensation": {
            "labels": [_kind_line(total, comp_labels).label for total in compensation],
            "values": [_display_amount(total.net) for total in compensation],
            "unit": _unit(),
        },
        "csat": {
            "labels": [_digits(str(value)) for value in sorted(csat.counts)],
            "values": [csat.counts[value] for value in sorted(csat.counts)],
            "label": _("Answers"),
        },
    }
    return ServiceDashboard(
        period=period_text(filters),
        cards=_cards(overview, csat),
        times=[
            _time_line("response", _("First response"), overview.response),
            _time_line("resolution", _("Resolution"), overview.resolution),
        ],
        csat=_csat_text(csat),
        kinds=_lines(by_kind, kinds, len(rows)),
        categories=_lines(by_category, categories, len(rows)),
        channels=_lines(by_channel, channels, len(rows)),
        agents=[_agent_text(line) for line in selectors.agents(rows, team_id=filters.team_id)],
        budgets=[
            _budget_line(budget) for budget in selectors.budgets(team_id=filters.team_id, now=now)
        ],
        compensation=[_kind_line(total, comp_labels) for total in compensation],
        effect=_effect_text(selectors.compensation_effect(filters, now=now)),
        charts=charts,
        opened=len(rows),
    )


def _chart_groups(groups: list[Group], labels: dict[str, str]) -> dict[str, Any]:
    return {
        "labels": [labels.get(g.key, g.key) if g.key else _NOT_SET for g in groups],
        "values": [g.count for g in groups],
    }
