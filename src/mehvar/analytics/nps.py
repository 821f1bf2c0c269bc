"""Survey scores: NPS, CSAT and CES, each with a 95 % confidence interval.

* **NPS** (Net Promoter Score), answers 0–10: promoters 9–10, passives 7–8, detractors 0–6;
  ``NPS = 100 × (P − D)`` with P, D the promoter and detractor shares, from −100 to 100. The
  interval treats each answer as +1, 0 or −1: ``var = (P + D − (P − D)²) / n``, ``NPS ±
  1.96 × 100 × √var``, clipped to [−100, 100].
* **CSAT**, answers 1–``scale`` (5 by default): the percentage of answers ≥ ``satisfied_from``
  (4 by default), with the Wilson score interval (sound near 0 % and 100 % and for small n).
* **CES** (Customer Effort Score), answers 1–``scale`` (7 by default): the mean, with the
  Student-t interval ``mean ± t(0.975, n − 1) × s / √n``, clipped to the scale; no interval for a
  single answer.

Answers must be whole numbers on the scale, otherwise ``InputError``. No answers give a result
with ``n = 0`` and None for the value and interval (counts are 0): "no data", not a score of 0.
The normal-approximation NPS interval is rough below about 30 answers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final, Literal, get_args

import numpy as np
from numpy.typing import NDArray
from scipy.stats import t as student_t

from mehvar.analytics.errors import InputError, gettext_noop

__all__ = ["Z_95", "Metric", "ScoreResult", "ces", "csat", "nps", "trend", "wilson_interval"]

Metric = Literal["nps", "csat", "ces"]
Z_95: Final = 1.96

_NPS_SCALE: Final = (0, 10)
_PROMOTER_FROM: Final = 9
_PASSIVE_FROM: Final = 7


@dataclass(frozen=True, kw_only=True)
class ScoreResult:
    """A score, its 95 % interval and the counts behind it.

    ``promoters``/``passives``/``detractors`` are set for NPS and ``satisfied`` for CSAT; the
    others are None. ``period`` is the label when the result is one point of :func:`trend`.
    """

    metric: Metric
    value: float | None
    n: int
    ci_low: float | None
    ci_high: float | None
    promoters: int | None = None
    passives: int | None = None
    detractors: int | None = None
    satisfied: int | None = None
    period: str | None = None


def _answers(scores: Sequence[int], low: int, high: int) -> NDArray[np.int64]:
    values = np.asarray(scores)
    if values.size == 0:
        return np.zeros(0, dtype=np.int64)
    whole = values.dtype.kind in "iu" or (
        values.dtype.kind == "f"
        and bool(np.all(np.isfinite(values) & (values == np.round(values))))
    )
    if not whole or values.ndim != 1:
        raise InputError(gettext_noop("Survey answers must be whole numbers."))
    answers = values.astype(np.int64)
    outside = answers[(answers < low) | (answers > high)]
    if outside.size:
        raise InputError(
            gettext_noop("Survey answer %(value)s is outside the scale %(low)s–%(high)s."),
            value=int(outside[0]),
            low=low,
            high=high,
        )
    return answers


def _check_scale(scale: int, minimum: int = 2) -> None:
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < minimum:
        raise InputError(
            gettext_noop("The answer scale must be a whole number of at least %(minimum)s."),
            minimum=minimum,
        )


def _clip(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


def nps(scores: Sequence[int]) -> ScoreResult:
    """Net Promoter Score of 0–10 answers (definitions in the module docstring)."""
    answers = _answers(scores, *_NPS_SCALE)
    n = int(answers.size)
    promoters = int(np.count_nonzero(answers >= _PROMOTER_FROM))
    detractors = int(np.count_nonzero(answers < _PASSIVE_FROM))
    passives = n - promoters - detractors
    if n == 0:
        return ScoreResult(
            metric="nps",
            value=None,
            n=0,
            ci_low=None,
            ci_high=None,
            promoters=0,
            passives=0,
            detractors=0,
        )
    p, d = promoters / n, detractors / n
    value = 100.0 * (p - d)
    # max(0, …) only guards against a −0.0000001 from rounding when everyone agrees.
    half = Z_95 * 100.0 * math.sqrt(max(0.0, (p + d - (p - d) ** 2) / n))
    return ScoreResult(
        metric="nps",
        value=value,
        n=n,
        ci_low=_clip(value - half, -100.0, 100.0),
        ci_high=_clip(value + half, -100.0, 100.0),
        promoters=promoters,
        passives=passives,
        detractors=detractors,
    )


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval of a proportion, as fractions in [0, 1]."""
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    # At p = 0 or 1 the bound is exactly 0 or 1 in theory; rounding must not put the estimate
    # itself outside its own interval.
    return max(0.0, min(centre - half, p)), min(1.0, max(centre + half, p))


def csat(scores: Sequence[int], *, scale: int = 5, satisfied_from: int = 4) -> ScoreResult:
    """Percentage of satisfied answers (≥ ``satisfied_from`` on 1–``scale``), Wilson 95 % CI."""
    _check_scale(scale)
    if isinstance(satisfied_from, bool) or not 1 <= satisfied_from <= scale:
        raise InputError(
            gettext_noop("The satisfied threshold must be on the scale 1–%(scale)s."), scale=scale
        )
    answers = _answers(scores, 1, scale)
    n = int(answers.size)
    satisfied = int(np.count_nonzero(answers >= satisfied_from))
    if n == 0:
        return ScoreResult(metric="csat", value=None, n=0, ci_low=None, ci_high=None, satisfied=0)
    low, high = wilson_interval(satisfied, n)
    return ScoreResult(
        metric="csat",
        value=100.0 * satisfied / n,
        n=n,
        ci_low=100.0 * low,
        ci_high=100.0 * high,
        satisfied=satisfied,
    )


def ces(scores: Sequence[int], *, scale: int = 7) -> ScoreResult:
    """Mean effort score on 1–``scale`` with a Student-t 95 % CI (none for one answer)."""
    _check_scale(scale)
    answers = _answers(scores, 1, scale).astype(np.float64)
    n = int(answers.size)
    if n == 0:
        return ScoreResult(metric="ces", value=None, n=0, ci_low=None, ci_high=None)
    mean = float(answers.mean())
    if n == 1:
        return ScoreResult(metric="ces", value=mean, n=1, ci_low=None, ci_high=None)
    half = float(student_t.ppf(0.975, n - 1)) * float(answers.std(ddof=1)) / math.sqrt(n)
    return ScoreResult(
        metric="ces",
        value=mean,
        n=n,
        ci_low=_clip(mean - half, 1.0, float(scale)),
        ci_high=_clip(mean + half, 1.0, float(scale)),
    )


def trend(
    values: Sequence[tuple[str, int]],
    metric: Metric = "nps",
    *,
    scale: int | None = None,
    satisfied_from: int = 4,
) -> list[ScoreResult]:
    """One result per period label, in sorted label order (``YYYY-MM`` labels sort by time).

    ``values`` are (period label, answer) pairs; ``scale`` defaults to the metric's (5 for CSAT,
    7 for CES; NPS is always 0–10).
    """
    if metric not in get_args(Metric):
        raise InputError(
            gettext_noop("Unknown metric %(metric)s: use nps, csat or ces."), metric=metric
        )
    by_period: dict[str, list[int]] = {}
    for label, score in values:
        by_period.setdefault(label, []).append(score)
    results = []
    for label in sorted(by_period):
        answers = by_period[label]
        if metric == "nps":
            result = nps(answers)
        elif metric == "csat":
            result = csat(answers, scale=scale or 5, satisfied_from=satisfied_from)
        else:
            result = ces(answers, scale=scale or 7)
        results.append(replace(result, period=label))
    return results
