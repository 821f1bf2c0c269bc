"""BG/NBD, Gamma-Gamma and CLV: the published CDNOW values, agreement with lifetimes, and
robustness on large, skewed data."""

from __future__ import annotations

import warnings
from datetime import date

import numpy as np
import pytest

from mehvar.analytics.bgnbd import (
    BGNBDParams,
    conditional_expected_purchases,
    fit_bgnbd,
    log_likelihood,
    p_alive,
)
from mehvar.analytics.clv import customer_lifetime_value
from mehvar.analytics.errors import FitError, InputError
from mehvar.analytics.gamma_gamma import expected_average_value, fit_gamma_gamma
from mehvar.analytics.summary import summarise
from mehvar.analytics.transactions import Purchases

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # lifetimes touches a pandas option pandas 3 deprecated
    from lifetimes import BetaGeoFitter, GammaGammaFitter

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@pytest.fixture(scope="module")
def cdnow_summary(cdnow: Purchases, cdnow_end: date) -> Arrays:
    table = summarise(cdnow.table, freq="W", observation_end=cdnow_end).to_pyarrow()
    return tuple(table[c].to_numpy() for c in ("frequency", "recency", "T", "monetary_value"))  # type: ignore[return-value]


def _sig3(a: float, b: float) -> bool:
    return f"{a:.3g}" == f"{b:.3g}"


def test_bgnbd_reproduces_the_published_cdnow_fit(cdnow_summary: Arrays) -> None:
    x, tx, T, _ = cdnow_summary
    fit = fit_bgnbd(x, tx, T)
    p = fit.params
    # Fader, Hardie & Lee (2005), Table 1 / lifetimes' documentation.
    assert (round(p.r, 3), round(p.alpha, 3), round(p.a, 3), round(p.b, 3)) == (
        0.243,
        4.414,
        0.793,
        2.426,
    )
    assert fit.n_customers == 2357
    assert fit.log_likelihood == pytest.approx(-9582.4, abs=0.05)


def test_gamma_gamma_reproduces_the_published_cdnow_fit(cdnow_summary: Arrays) -> None:
    x, _, _, m = cdnow_summary
    fit = fit_gamma_gamma(x, m)
    assert (round(fit.params.p, 2), round(fit.params.q, 2), round(fit.params.v, 2)) == (
        6.25,
        3.74,
        15.44,
    )
    assert fit.n_customers == 946


def test_fits_and_predictions_agree_with_lifetimes(cdnow_summary: Arrays) -> None:
    x, tx, T, m = cdnow_summary
    ours = fit_bgnbd(x, tx, T).params
    theirs = BetaGeoFitter().fit(x, tx, T)
    for name in ("r", "alpha", "a", "b"):
        assert _sig3(getattr(ours, name), theirs.params_[name]), name
    np.testing.assert_allclose(
        p_alive(ours, x, tx, T), theirs.conditional_probability_alive(x, tx, T), rtol=1e-4
    )
    np.testing.assert_allclose(
        conditional_expected_purchases(ours, 52, x, tx, T),
        theirs.conditional_expected_number_of_purchases_up_to_time(52, x, tx, T),
        rtol=1e-4,
    )
    repeat = x > 0
    gg_ours = fit_gamma_gamma(x, m).params
    gg_theirs = GammaGammaFitter().fit(x[repeat], m[repeat])
    for name in ("p", "q", "v"):
        assert _sig3(getattr(gg_ours, name), gg_theirs.params_[name]), name
    np.testing.assert_allclose(
        expected_average_value(gg_ours, x, m),
        gg_theirs.conditional_expected_average_profit(x, m),
        rtol=1e-4,
    )
    import pandas as pd

    clv_theirs = gg_theirs.customer_lifetime_value(
        theirs,
        pd.Series(x),
        pd.Series(tx),
        pd.Series(T),
        pd.Series(m),
        time=12,
        discount_rate=0.01,
        freq="W",
    )
    clv_ours = customer_lifetime_value(
        ours, gg_ours, x, tx, T, m, horizon=12 * 4.345, step=4.345, discount_rate=0.01
    )
    np.testing.assert_allclose(clv_ours, clv_theirs.to_numpy(), rtol=1e-3)


def test_p_alive_is_one_without_repeat_and_falls_with_silence() -> None:
    params = BGNBDParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
    alive = p_alive(params, [0, 3, 3], [0, 30, 5], [38, 38, 38])
    assert alive[0] == 1.0
    assert alive[1] > alive[2]  # same purchases, the one silent for longer is less alive


def test_weights_give_the_same_fit_as_repeated_rows(cdnow_summary: Arrays) -> None:
    x, tx, T, _ = cdnow_summary
    doubled = fit_bgnbd(np.tile(x, 2), np.tile(tx, 2), np.tile(T, 2))
    weighted = fit_bgnbd(x, tx, T, weights=np.full(len(x), 2.0))
    assert weighted.params.r == pytest.approx(doubled.params.r, rel=1e-5)
    assert weighted.params.b == pytest.approx(doubled.params.b, rel=1e-5)
    assert log_likelihood(weighted.params, x, tx, T) * 2 == pytest.approx(
        weighted.log_likelihood, rel=1e-6
    )


def _skewed(n: int, seed: int = 7) -> Arrays:
    """A large base with whales: λ from a heavy Gamma, spend in Rials (millions)."""
    rng = np.random.default_rng(seed)
    T = rng.uniform(1, 150, n)
    lam = rng.gamma(0.3, 2.0, n)
    x = np.minimum(rng.poisson(lam * T), 5000).astype(float)
    tx = np.where(x > 0, T * rng.beta(5, 1, n), 0.0)
    m = np.where(x > 0, rng.lognormal(15, 1.5, n), 0.0)
    return x, tx, T, m


def test_fits_stay_finite_on_large_skewed_data() -> None:
    x, tx, T, m = _skewed(100_000)
    bg = fit_bgnbd(x, tx, T)
    gg = fit_gamma_gamma(x, m)
    for value in (*vars(bg.params).values(), *vars(gg.params).values(), bg.log_likelihood):
        assert np.isfinite(value)
    clv = customer_lifetime_value(bg.params, gg.params, x, tx, T, m, horizon=52, step=4.35)
    expected = conditional_expected_purchases(bg.params, 52, x, tx, T)
    assert np.isfinite(expected).all()
    assert (expected >= 0).all()
    assert np.isfinite(clv[np.isfinite(expected_average_value(gg.params, x, m))]).all()


def test_too_few_repeat_buyers_is_a_clear_fit_error() -> None:
    x = np.array([0.0] * 50 + [1.0] * 3)
    with pytest.raises(FitError, match="Too few repeat buyers"):
        fit_bgnbd(x, np.where(x > 0, 2.0, 0.0), np.full(len(x), 10.0))
    with pytest.raises(FitError, match="spend model"):
        fit_gamma_gamma(x, np.where(x > 0, 10.0, 0.0))


@pytest.mark.parametrize(
    ("x", "tx", "T"),
    [
        ([1, 2], [3, 1], [2, 5]),
        ([1.5, 2], [1, 1], [2, 5]),
        ([-1, 2], [1, 1], [2, 5]),
        ([1, np.nan], [1, 1], [2, 5]),
    ],
)
def test_impossible_summaries_are_rejected(x: list[float], tx: list[float], T: list[float]) -> None:
    with pytest.raises(InputError):
        fit_bgnbd(x, tx, T)


def test_clv_discounting_and_errors() -> None:
    x, tx, T, m = _skewed(5_000, seed=3)
    bg = fit_bgnbd(x, tx, T).params
    gg = fit_gamma_gamma(x, m).params
    plain = customer_lifetime_value(bg, gg, x, tx, T, m, horizon=52)
    discounted = customer_lifetime_value(
        bg, gg, x, tx, T, m, horizon=52, step=4.35, discount_rate=0.02
    )
    finite = np.isfinite(plain)
    assert (discounted[finite] <= plain[finite] + 1e-6).all()
    np.testing.assert_allclose(
        plain[finite],
        (expected_average_value(gg, x, m) * conditional_expected_purchases(bg, 52, x, tx, T))[
            finite
        ],
    )
    with pytest.raises(InputError):
        customer_lifetime_value(bg, gg, x, tx, T, m, horizon=0)


def test_a_degenerate_fit_is_a_fit_error_not_nan() -> None:
    # Everyone buys every week like clockwork: the Gamma mixture of rates collapses (r, α → ∞)
    # and the hypergeometric term overflows; the forecast must say so instead of returning NaN.
    from mehvar.analytics.clv import customer_forecast
    from mehvar.analytics.gamma_gamma import GammaGammaParams

    rng = np.random.default_rng(5)
    n = 400
    T = rng.integers(30, 60, n).astype(float)
    x = T - 1
    tx = T - 1
    params = BGNBDParams(r=2.9e6, alpha=3.7e7 / 12, a=0.5, b=1e6)
    with pytest.raises(FitError, match="degenerate"):
        customer_forecast(
            params, GammaGammaParams(p=2, q=3, v=10), x, tx, T, np.full(n, 10.0), horizon=13
        )
