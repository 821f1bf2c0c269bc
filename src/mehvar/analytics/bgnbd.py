"""The BG/NBD model of repeat buying (Fader, Hardie & Lee 2005, "Counting your customers the
easy way").

While alive, a customer buys at rate λ ~ Gamma(r, α); after each purchase they drop out with
probability p ~ Beta(a, b). From each customer's (x = repeat purchases, t_x = recency, T = age)
the model gives P(alive) and the purchases to expect in the next t periods.

The fit maximises the likelihood over log-parameters with L-BFGS-B and an analytic gradient.
Two things make it fast on a million customers: the terms that depend only on x (the log-gamma
and digamma calls) are evaluated once per *distinct* x and weighted by how many customers share
it, and customers who never came back (x = 0, usually the majority) are collapsed by their age T,
since their likelihood depends on nothing else. Everything is in log space, so very active or
very old customers cannot overflow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize
from scipy.special import expit, gammaln, hyp2f1, psi

from mehvar.analytics.errors import FitError, InputError, gettext_noop
from mehvar.analytics.numeric import dot, factorize

__all__ = [
    "MIN_CUSTOMERS",
    "MIN_REPEAT_BUYERS",
    "BGNBDFit",
    "BGNBDParams",
    "conditional_expected_purchases",
    "fit_bgnbd",
    "forecast",
    "log_likelihood",
    "p_alive",
]

Array = NDArray[np.float64]

MIN_CUSTOMERS = 20
MIN_REPEAT_BUYERS = 10
# exp(±18) spans 1.5e-8 … 6.6e7: wider than any sensible parameter, narrow enough that every
# intermediate stays finite.
_LOG_BOUND = 18.0


@dataclass(frozen=True)
class BGNBDParams:
    r: float
    alpha: float
    a: float
    b: float


@dataclass(frozen=True)
class BGNBDFit:
    params: BGNBDParams
    log_likelihood: float
    n_customers: int
    iterations: int


def _as_arrays(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> tuple[Array, Array, Array]:
    x = np.asarray(frequency, dtype=np.float64)
    tx = np.asarray(recency, dtype=np.float64)
    age = np.asarray(T, dtype=np.float64)
    if not (x.shape == tx.shape == age.shape) or x.ndim != 1:
        raise InputError(
            gettext_noop("frequency, recency and T must be one-dimensional and equally long.")
        )
    if not (np.isfinite(x).all() and np.isfinite(tx).all() and np.isfinite(age).all()):
        raise InputError(gettext_noop("frequency, recency and T must not contain missing values."))
    if (x < 0).any() or (tx < 0).any() or (tx > age + 1e-9).any() or (x != np.round(x)).any():
        raise InputError(
            gettext_noop(
                "Each customer needs a whole frequency ≥ 0 and 0 ≤ recency ≤ T; "
                "%(bad)d customers do not."
            ),
            bad=int(((x < 0) | (tx < 0) | (tx > age + 1e-9) | (x != np.round(x))).sum()),
        )
    return x, tx, age


@dataclass(frozen=True)
class _Compressed:
    """The data regrouped so that each likelihood term is evaluated as few times as possible.

    Ages and recencies are at day precision, so a million customers share a few thousand
    distinct values of T and t_x: their logarithms are computed once per distinct value and
    gathered by index. Only the mixing of the two likelihood branches is per customer.
    """

    distinct_x: Array  # every distinct frequency …
    weight_x: Array  # … and how many customers have it
    zero_T: Array  # distinct ages of the customers with x = 0 …
    weight_zero: Array  # … and how many customers have each
    x: Array  # the repeat buyers (x > 0), one entry each
    weight: Array
    values_T: Array  # distinct T of the repeat buyers, and each buyer's index into it
    index_T: NDArray[np.intp]
    values_tx: Array  # the same for t_x
    index_tx: NDArray[np.intp]
    values_x: Array  # the same for x
    index_x: NDArray[np.intp]
    weight_T: Array  # Σ w per distinct T, and Σ w·x per distinct T
    weight_xT: Array
    n: float


def _compress(x: Array, tx: Array, age: Array, weights: Array) -> _Compressed:
    distinct_x, inverse = factorize(x)
    weight_x = np.bincount(inverse, weights=weights).astype(np.float64)
    zero = x == 0
    zero_T, zero_inverse = factorize(age[zero])
    weight_zero = np.bincount(zero_inverse, weights=weights[zero], minlength=len(zero_T))
    repeat = ~zero
    x_r, w_r = x[repeat], weights[repeat]
    values_T, index_T = factorize(age[repeat])
    values_tx, index_tx = factorize(tx[repeat])
    values_x, index_x = factorize(x_r)
    return _Compressed(
        distinct_x=distinct_x,
        weight_x=weight_x,
        zero_T=zero_T,
        weight_zero=weight_zero.astype(np.float64),
        x=x_r,
        weight=w_r,
        values_T=values_T,
        index_T=index_T.ravel(),
        values_tx=values_tx,
        index_tx=index_tx.ravel(),
        values_x=values_x,
        index_x=index_x.ravel(),
        weight_T=np.bincount(index_T.ravel(), weights=w_r, minlength=len(values_T)).astype(float),
        weight_xT=np.bincount(index_T.ravel(), weights=w_r * x_r, minlength=len(values_T)).astype(
            float
        ),
        n=float(weights.sum()),
    )


def _subsample(data: _Compressed, x: Array, tx: Array, age: Array, w: Array) -> _Compressed | None:
    """A seeded random 5 % (at least 20,000 customers) to find a starting point cheaply."""
    size = max(20_000, len(x) // 20)
    if len(x) < 4 * size:
        return None
    rows = np.random.default_rng(20050101).choice(len(x), size=size, replace=False)
    return _compress(x[rows], tx[rows], age[rows], w[rows])


def _negative_ll_and_gradient(log_params: Array, data: _Compressed) -> tuple[float, Array]:
    """−log L / n and its gradient with respect to the log-parameters."""
    r, alpha, a, b = np.exp(log_params)
    ux, wx = data.distinct_x, data.weight_x

    # Terms that depend on x only, once per distinct x.
    ll = dot(
        wx,
        (
            gammaln(r + ux)
            - gammaln(r)
            + r * np.log(alpha)
            + gammaln(a + b)
            + gammaln(b + ux)
            - gammaln(b)
            - gammaln(a + b + ux)
        ),
    )
    d_r = dot(wx, (psi(r + ux) - psi(r) + np.log(alpha)))
    d_alpha = float(wx.sum() * r / alpha)
    d_a = dot(wx, (psi(a + b) - psi(a + b + ux)))
    d_b = dot(wx, (psi(a + b) + psi(b + ux) - psi(b) - psi(a + b + ux)))

    # Customers who never came back: −r·ln(α + T), once per distinct T.
    log_zero = np.log(alpha + data.zero_T)
    ll -= r * dot(data.weight_zero, log_zero)
    d_r -= dot(data.weight_zero, log_zero)
    d_alpha -= r * dot(data.weight_zero, (1.0 / (alpha + data.zero_T)))

    # Repeat buyers: log(A3 + A4) = logaddexp(u, v) with u = −(r+x)·ln(α+T) and
    # v = ln a − ln(b+x−1) − (r+x)·ln(α+t_x); s = A4 / (A3 + A4) weighs the two branches.
    log_T_values = np.log(alpha + data.values_T)
    inv_T_values = 1.0 / (alpha + data.values_T)
    log_T = log_T_values[data.index_T]
    rx = r + data.x
    u = rx * log_T
    np.negative(u, out=u)
    delta_log = (np.log(alpha + data.values_tx)[data.index_tx]) - log_T  # ln(α+t_x) − ln(α+T)
    d = np.log(a) - np.log(b + data.values_x - 1.0)[data.index_x] - rx * delta_log  # v − u
    s = expit(d)
    w = data.weight
    # logaddexp(u, v) = u + max(d, 0) + log1p(exp(−|d|))
    ll += dot(w, u) + dot(w, (np.maximum(d, 0.0) + np.log1p(np.exp(-np.abs(d)))))
    ws = w * s
    # ∂/∂r: −[(1−s)·ln(α+T) + s·ln(α+t_x)] = −ln(α+T) − s·Δ; the first part summed per T.
    d_r -= dot(data.weight_T, log_T_values) + dot(ws, delta_log)
    inv_tx_minus_T = (1.0 / (alpha + data.values_tx))[data.index_tx] - inv_T_values[data.index_T]
    d_alpha -= dot(inv_T_values, r * data.weight_T + data.weight_xT) + dot(ws * rx, inv_tx_minus_T)
    ws_total = float(ws.sum())
    d_a += ws_total / a
    d_b -= dot(
        np.bincount(data.index_x, weights=ws, minlength=len(data.values_x)).astype(float),
        1.0 / (b + data.values_x - 1.0),
    )

    gradient = np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b])
    return -ll / data.n, -gradient / data.n


def _minimise(data: _Compressed, start: Array) -> Any:
    return minimize(
        _negative_ll_and_gradient,
        x0=start,
        args=(data,),
        jac=True,
        method="L-BFGS-B",
        bounds=[(-_LOG_BOUND, _LOG_BOUND)] * 4,
        options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-9},
    )


def fit_bgnbd(
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    *,
    weights: ArrayLike | None = None,
) -> BGNBDFit:
    """Maximum-likelihood BG/NBD parameters; raises :class:`FitError` when the data cannot say."""
    x, tx, age = _as_arrays(frequency, recency, T)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=np.float64)
    n_customers = round(float(w.sum()))
    repeat_buyers = round(float(w[x > 0].sum()))
    if n_customers < MIN_CUSTOMERS or repeat_buyers < MIN_REPEAT_BUYERS:
        raise FitError(
            gettext_noop(
                "Too few repeat buyers to fit the purchase model: %(repeat)d of %(n)d customers "
                "bought more than once; at least %(min_repeat)d repeat buyers among at least "
                "%(min_n)d customers are needed."
            ),
            repeat=repeat_buyers,
            n=n_customers,
            min_repeat=MIN_REPEAT_BUYERS,
            min_n=MIN_CUSTOMERS,
        )
    data = _compress(x, tx, age, w)
    # On a large base, a fit on a sample lands next to the optimum; the full data then needs
    # only a few more steps of the (costlier) full likelihood.
    sample = _subsample(data, x, tx, age, w)
    start = _minimise(sample, np.zeros(4)).x if sample is not None else np.zeros(4)
    result = _minimise(data, start)
    if not np.isfinite(result.fun) or not np.isfinite(result.x).all():
        raise FitError(gettext_noop("The purchase model did not converge on this data."))
    r, alpha, a, b = (float(value) for value in np.exp(result.x))
    return BGNBDFit(
        params=BGNBDParams(r=r, alpha=alpha, a=a, b=b),
        log_likelihood=-float(result.fun) * data.n,
        n_customers=n_customers,
        iterations=int(result.nit),
    )


def log_likelihood(
    params: BGNBDParams, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> float:
    """The total log-likelihood of ``params`` on the data (to compare fits)."""
    x, tx, age = _as_arrays(frequency, recency, T)
    data = _compress(x, tx, age, np.ones_like(x))
    log_params = np.log([params.r, params.alpha, params.a, params.b])
    return -_negative_ll_and_gradient(log_params, data)[0] * data.n


def _log_odds_dead(params: BGNBDParams, x: Array, tx: Array, age: Array) -> Array:
    """log(A4 / A3): how much likelier "dropped out after the last purchase" is than "alive"."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    with np.errstate(divide="ignore"):
        log_ratio = (
            np.log(a)
            - np.log(np.where(x > 0, b + x - 1.0, 1.0))
            + (r + x) * (np.log(alpha + age) - np.log(alpha + tx))
        )
    return np.where(x > 0, log_ratio, -np.inf)


def p_alive(params: BGNBDParams, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> Array:
    """P(the customer has not dropped out) given their history; 1 for customers with x = 0."""
    x, tx, age = _as_arrays(frequency, recency, T)
    return expit(-_log_odds_dead(params, x, tx, age))


def conditional_expected_purchases(
    params: BGNBDParams, t: float, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> Array:
    """E[purchases in (T, T + t] | x, t_x, T] (Fader, Hardie & Lee 2005, eq. 10)."""
    return forecast(params, [t], frequency, recency, T)[1][0]


def forecast(
    params: BGNBDParams,
    horizons: Sequence[float],
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
) -> tuple[Array, list[Array]]:
    """P(alive) and the expected purchases up to each horizon, computed together.

    The Gauss hypergeometric term depends only on (x, T), so it is computed once per distinct
    pair and horizon; when ₂F₁ overflows, Euler's transformation gives the same value in a
    finite form. P(alive) is computed once for all horizons.
    """
    x, tx, age = _as_arrays(frequency, recency, T)
    if any(t < 0 for t in horizons):
        raise InputError(gettext_noop("The prediction horizon must not be negative."))
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    # Each (x, T) pair as one whole number: the index of x times the number of distinct T,
    # plus the index of T; its distinct values are the pairs that occur.
    values_x, index_x = factorize(x)
    values_T, index_T = factorize(age)
    codes, inverse = factorize((index_x * len(values_T) + index_T).astype(np.float64))
    pair = codes.astype(np.intp)
    ux, uT = values_x[pair // len(values_T)], values_T[pair % len(values_T)]
    alive = expit(-_log_odds_dead(params, x, tx, age))
    A, B, C = r + ux, b + ux, a + b + ux - 1.0
    scale = (a + b + ux - 1.0) / (a - 1.0)
    results = []
    for t in horizons:
        z = t / (alpha + uT + t)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            log_hyp = np.log(hyp2f1(A, B, C, z))
            if not np.isfinite(log_hyp).all():
                euler = np.log(hyp2f1(C - A, C - B, C, z)) + (C - A - B) * np.log1p(-z)
                log_hyp = np.where(np.isfinite(log_hyp), log_hyp, euler)
            second = -np.expm1(log_hyp + A * (np.log(alpha + uT) - np.log(alpha + uT + t)))
        results.append((scale * second)[inverse.ravel()] * alive)
    return alive, results
