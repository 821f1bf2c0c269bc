"""Does compensating a complaint keep the customer? The arithmetic of the dashboard's answer.

Seed 000 asks for measured evidence that compensation pays. The dashboard compares complainants
who got compensation on their complaint with complainants who got none, over what they did
afterwards: whether they bought again within 90 days of the resolution, what they spent in those
90 days, and whether they were "lost" (no purchase within 180 days, counted only for those whose
180 days have passed). The difference in repurchase shares comes with Newcombe's hybrid score
interval (95 %), built from the Wilson intervals of the two shares (``analytics.nps``).

This is an observational comparison: agents choose whom to compensate, so the groups may differ
in ways the figures do not show. The page says so; these numbers are evidence, not proof.

Pure: no Django. The database side is :func:`mehvar.service.selectors.compensation_effect`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from mehvar.analytics.nps import Z_95, wilson_interval

__all__ = [
    "CHURN_DAYS",
    "REPURCHASE_DAYS",
    "Difference",
    "EffectResult",
    "GroupResult",
    "Outcome",
    "difference_interval",
    "effect_of",
]

REPURCHASE_DAYS: Final = 90
CHURN_DAYS: Final = 180


@dataclass(frozen=True)
class Outcome:
    """One complainant: compensated or not, and what they did after the resolution.

    ``churned`` is None when the 180 days after the resolution have not all passed yet.
    """

    compensated: bool
    bought_again: bool
    revenue: int  # Rial spent in the 90 days after the resolution
    churned: bool | None


@dataclass(frozen=True)
class GroupResult:
    n: int
    bought_again: int
    revenue: int
    churn_n: int  # complainants whose 180 days have passed
    churned: int

    @property
    def repurchase_share(self) -> float | None:
        return self.bought_again / self.n if self.n else None

    @property
    def revenue_per_customer(self) -> float | None:
        return self.revenue / self.n if self.n else None

    @property
    def churn_share(self) -> float | None:
        return self.churned / self.churn_n if self.churn_n else None


@dataclass(frozen=True)
class Difference:
    """``value`` = share(compensated) − share(not compensated), with its 95 % interval."""

    value: float
    low: float
    high: float


@dataclass(frozen=True)
class EffectResult:
    compensated: GroupResult
    others: GroupResult
    repurchase_difference: Difference | None  # None when a group is empty

    @property
    def n(self) -> int:
        return self.compensated.n + self.others.n


def difference_interval(
    successes_a: int, n_a: int, successes_b: int, n_b: int, z: float = Z_95
) -> Difference:
    """p_a − p_b with Newcombe's hybrid score interval (his method 10, 1998).

    Each share gets its Wilson interval; the difference's bounds combine the distances from each
    share to its bounds. Unlike the Wald interval it stays inside [−1, 1] and is sound for small
    groups and shares near 0 or 1. Both groups must be non-empty.
    """
    if n_a <= 0 or n_b <= 0:
        raise ValueError("both groups need at least one member")
    if not (0 <= successes_a <= n_a and 0 <= successes_b <= n_b):
        raise ValueError("successes must lie between 0 and the group's size")
    p_a, p_b = successes_a / n_a, successes_b / n_b
    low_a, high_a = wilson_interval(successes_a, n_a, z)
    low_b, high_b = wilson_interval(successes_b, n_b, z)
    value = p_a - p_b
    low = value - math.sqrt((p_a - low_a) ** 2 + (high_b - p_b) ** 2)
    high = value + math.sqrt((high_a - p_a) ** 2 + (p_b - low_b) ** 2)
    return Difference(value=value, low=max(low, -1.0), high=min(high, 1.0))


def _group(outcomes: list[Outcome]) -> GroupResult:
    observed = [o for o in outcomes if o.churned is not None]
    return GroupResult(
        n=len(outcomes),
        bought_again=sum(1 for o in outcomes if o.bought_again),
        revenue=sum(o.revenue for o in outcomes),
        churn_n=len(observed),
        churned=sum(1 for o in observed if o.churned),
    )


def effect_of(outcomes: Iterable[Outcome]) -> EffectResult:
    """Both groups' figures and the repurchase difference (compensated minus not)."""
    rows = list(outcomes)
    given = _group([o for o in rows if o.compensated])
    others = _group([o for o in rows if not o.compensated])
    difference = None
    if given.n and others.n:
        difference = difference_interval(given.bought_again, given.n, others.bought_again, others.n)
    return EffectResult(compensated=given, others=others, repurchase_difference=difference)
