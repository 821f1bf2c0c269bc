"""The Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005, "RFM and CLV:
using iso-value curves"; Fader & Hardie's note on the Gamma-Gamma model).

Each transaction's value is Gamma(p, ν) around a customer's own mean, and ν ~ Gamma(q, v)
across customers. Given a repeat buyer's x repeat transactions with mean value m̄, the model
shrinks m̄ towards the population mean: the fewer transactions, the more it trusts the
population. The model assumes spend is independent of purchase frequency; check it on your data
(the command reports the correlation) before trusting CLV.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize
from scipy.special import gammaln, psi

from mehvar.analytics.errors import FitError, InputError, gettext_noop
from mehvar.analytics.numeric import dot, factorize

__all__ = [
    "MIN_REPEAT_BUYERS",
    "GammaGammaFit",
    "GammaGammaParams",
    "expected_average_value",
    "fit_gamma_gamma",
]

Array = NDArray[np.float64]

MIN_REPEAT_BUYERS = 10
_LOG_BOUND = 18.0


@dataclass(frozen=True)
class GammaGammaParams:
    p: float
    q: float
    v: float


@dataclass(frozen=True)
class GammaGammaFit:
    params: GammaGammaParams
    log_likelihood: float
    n_customers: int
    iterations: int
    spend_frequency_correlation: float


@dataclass(frozen=True)
class _Data:
    """Repeat buyers, with every term that depends on x alone grouped by distinct x."""

    values_x: Array
    count_x: Array
    xm: Array  # x·m̄ per customer
    x: Array
    sum_log_m: float
    sum_x_log_m: float
    n: int


def _prepare(x: Array, m: Array) -> _Data:
    values_x, index = factorize(x)
    counts = np.bincount(index, minlength=len(values_x))
    log_m = np.log(m)
    return _Data(
        values_x=values_x,
        count_x=counts.astype(np.float64),
        xm=x * m,
        x=x,
        sum_log_m=float(log_m.sum()),
        sum_x_log_m=dot(x, log_m),
        n=len(x),
    )


def _negative_ll_and_gradient(log_params: Array, data: _Data) -> tuple[float, Array]:
    """−log L / n and its gradient in log-parameters.

    log L_i = lnΓ(px+q) − lnΓ(px) − lnΓ(q) + q ln v + (px−1) ln m̄ + px ln x − (px+q) ln(x m̄ + v);
    only ln(x m̄ + v) is per customer, the Γ terms are per distinct x.
    """
    p, q, v = np.exp(log_params)
    ux, nx = data.values_x, data.count_x
    pux = p * ux
    log_xm_v = np.log(data.xm + v)
    inv_xm_v = 1.0 / (data.xm + v)
    sum_L = float(log_xm_v.sum())
    sum_xL = dot(data.x, log_xm_v)
    ll = (
        dot(nx, (gammaln(pux + q) - gammaln(pux) + pux * np.log(ux)))
        - data.n * gammaln(q)
        + data.n * q * np.log(v)
        + p * data.sum_x_log_m
        - data.sum_log_m
        - p * sum_xL
        - q * sum_L
    )
    psi_pxq = psi(pux + q)
    d_p = dot(nx * ux, psi_pxq - psi(pux) + np.log(ux)) + data.sum_x_log_m - sum_xL
    d_q = dot(nx, psi_pxq) - data.n * psi(q) + data.n * np.log(v) - sum_L
    d_v = data.n * q / v - p * dot(data.x, inv_xm_v) - q * float(inv_xm_v.sum())
    return -float(ll) / data.n, -np.array([d_p * p, d_q * q, d_v * v]) / data.n


def fit_gamma_gamma(frequency: ArrayLike, monetary_value: ArrayLike) -> GammaGammaFit:
    """Maximum-likelihood Gamma-Gamma parameters from the repeat buyers (frequency > 0)."""
    x_all = np.asarray(frequency, dtype=np.float64)
    m_all = np.asarray(monetary_value, dtype=np.float64)
    if x_all.shape != m_all.shape or x_all.ndim != 1:
        raise InputError(gettext_noop("frequency and monetary value must be equally long."))
    repeat = (x_all > 0) & np.isfinite(m_all) & (m_all > 0)
    x, m = x_all[repeat], m_all[repeat]
    if len(x) < MIN_REPEAT_BUYERS:
        raise FitError(
            gettext_noop(
                "Too few repeat buyers with a positive spend to fit the spend model: %(n)d; "
                "at least %(min)d are needed."
            ),
            n=len(x),
            min=MIN_REPEAT_BUYERS,
        )
    data = _prepare(x, m)
    # Start from the method-of-moments guess of the population mean so the search begins
    # within reach of the optimum whatever the currency (Rials put spend in the millions).
    start = np.log([1.0, 1.0, float(np.mean(m))])
    result = minimize(
        _negative_ll_and_gradient,
        x0=start,
        args=(data,),
        jac=True,
        method="L-BFGS-B",
        bounds=[(-_LOG_BOUND, _LOG_BOUND), (-_LOG_BOUND, _LOG_BOUND), (-_LOG_BOUND, 40.0)],
        options={"maxiter": 2000, "ftol": 1e-14, "gtol": 1e-10},
    )
    if not np.isfinite(result.fun) or not np.isfinite(result.x).all():
        raise FitError(gettext_noop("The spend model did not converge on this data."))
    p, q, v = (float(value) for value in np.exp(result.x))
    correlation = float(np.corrcoef(x, m)[0, 1]) if np.ptp(x) > 0 and np.ptp(m) > 0 else 0.0
    return GammaGammaFit(
        params=GammaGammaParams(p=p, q=q, v=v),
        log_likelihood=-float(result.fun) * len(x),
        n_customers=len(x),
        iterations=int(result.nit),
        spend_frequency_correlation=correlation,
    )


def expected_average_value(
    params: GammaGammaParams, frequency: ArrayLike, monetary_value: ArrayLike
) -> Array:
    """E[spend per transaction | x, m̄]: a weighted mean of m̄ and the population mean.

    For a customer with no repeat purchase (x = 0) that is the population mean p·v / (q − 1),
    which exists only when q > 1; otherwise the value is NaN rather than a made-up number.
    """
    p, q, v = params.p, params.q, params.v
    x = np.asarray(frequency, dtype=np.float64)
    m = np.where(x > 0, np.asarray(monetary_value, dtype=np.float64), 0.0)
    denominator = p * x + q - 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        value = p * (v + x * m) / denominator
    return np.where(denominator > 0, value, np.nan)
