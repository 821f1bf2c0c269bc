"""Analytics for a large retailer: mehvar against pandas + lifetimes, same CSV, same run.

    .venv/bin/python bench/analytics.py            # 10,000,000 transactions, 1,000,000 customers
    .venv/bin/python bench/analytics.py --quick    # 1,000,000 transactions, 100,000 customers
    .venv/bin/python bench/analytics.py --transactions 3_000_000 --customers 300_000

**Data.** A seeded, vectorised generator draws the customers from the very models both libraries
fit: a purchase rate λ ~ Gamma(r, α) a week and a drop-out chance p ~ Beta(a, b) after each
purchase (BG/NBD), spend per invoice Gamma(p, ν) with ν ~ Gamma(q, v) (Gamma-Gamma). First
purchases spread over two years, more of them recent (a growing shop); ids follow the order of
arrival; r < 1 makes most customers buy 1-3 times and a few buy hundreds of times; α is set so
that the file has the size asked for, and about 5 % of the rows are a second invoice on a day
the customer already bought. Exactly N rows ``customer_id,invoice_date,amount`` (ISO dates,
amounts with two decimals, sorted by date like an export) are written with pyarrow and cached
in ``var/bench/``.

**What is timed.** Each side runs in a process of its own, so neither's memory or caches help
the other, and reports its stages and its peak resident memory (VmHWM, counted from exec):

* mehvar, public API only: ``load_transactions`` (CSV → cleaned Purchases) → ``summarise``
  (weeks) → ``score_rfm`` → ``fit_bgnbd`` + ``fit_gamma_gamma`` → ``p_alive``,
  ``conditional_expected_purchases`` (52 weeks), ``expected_average_value`` and
  ``customer_lifetime_value`` over 52 weeks in monthly steps, undiscounted: the call and the
  defaults of ``pipeline.predict``, which the snapshot and the command run. DuckDB on
  ``--threads`` cores.
* the peer, what an analyst would write: ``pandas.read_csv`` → lifetimes'
  ``summary_data_from_transaction_data`` (days, ``freq_multiplier=7``, so weeks) → the same RFM
  scores and segment map with pandas ranks → ``BetaGeoFitter`` and ``GammaGammaFitter`` (repeat
  buyers) → ``conditional_probability_alive``,
  ``conditional_expected_number_of_purchases_up_to_time(52)``,
  ``conditional_expected_average_profit`` and ``customer_lifetime_value`` (12 months,
  undiscounted, month by month as lifetimes always does it).

Why the peer is fair: it computes the same figures with the same definitions (the checks below
prove it), reads the CSV with pandas' default C parser, the fastest way here to get datetimes
(``engine="pyarrow"`` with ``parse_dates`` is 8x slower), and keeps lifetimes' own defaults.
Both CLV functions step month by month, each as its library ships it. Stages differ in what
they hold (the peer's summary also groups rows into days, mehvar's load also cleans), so the
goal is on the whole pipeline. Every result is materialised (Arrow tables, NumPy arrays): no
lazy step hides work. Imports are timed apart and not counted.

**Fits alone.** A third process fits both libraries to the *same* arrays (mehvar's summary),
checks that the parameters agree to 3 significant digits and that, given the same parameters,
both predict the same P(alive), purchases, spend and 12-month CLV discounted 1 % a month (each
library's own CLV function; timed, for information). The parent checks that the two summaries
agree (frequency exactly, recency/T/monetary value to 1e-6) and that the RFM segment counts are
equal.

Goals (issue): end to end ≥ 10x the peer, fits ≥ 20x, peak memory < 3 GB, mehvar < 10 s on 2
cores. Figures go to bench/out/analytics.json. The exit status is 0 whatever the outcome.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "var" / "bench"
OUT = ROOT / "bench" / "out"

OBSERVATION_END = date(2025, 12, 31)
SPAN_DAYS = 730  # first purchases spread over two years before OBSERVATION_END
EXTRA_INVOICES = 0.05  # share of rows that are a second invoice on an existing purchase day
WEEKS_PER_MONTH = 4.345  # lifetimes' own factor for freq="W"
HORIZON_WEEKS = 52.0  # expected purchases
CLV_MONTHS = 12
MONTHLY_DISCOUNT = 0.01
GB = 1024**3

GOAL_END_TO_END = 10.0
GOAL_FITS = 20.0
GOAL_MEMORY_GB = 3.0
GOAL_SECONDS = 10.0

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]


# ---------------------------------------------------------------------------------------------
# The data


@dataclass(frozen=True)
class Truth:
    """The parameters the customers are drawn from (α is calibrated to the size asked for)."""

    r: float = 0.2
    alpha: float = 0.3
    a: float = 0.7
    b: float = 8.0
    p: float = 6.0
    q: float = 3.5
    v: float = 350.0


@dataclass(frozen=True)
class Customers:
    age_days: Ints  # days from the first purchase to OBSERVATION_END
    rate: Floats  # λ, purchases a week while alive
    dropout: Floats  # p
    repeats: Ints  # repeat purchases made before OBSERVATION_END


def _acquisition_ages(rng: np.random.Generator, n: int) -> Ints:
    """Days since the first purchase; a growing shop has more recent customers than old ones."""
    return np.floor(SPAN_DAYS * (1.0 - np.sqrt(rng.random(n)))).astype(np.int64)


def _calibrate_alpha(truth: Truth, rows_per_customer: float, seed: int) -> float:
    """The α at which E[rows a customer] (first + repeats) is ``rows_per_customer``.

    E[X(t) | λ, p] = (1 − exp(−λpt)) / p (Fader, Hardie & Lee 2005), averaged over a pilot
    sample with common random numbers, is smooth and decreasing in α: bisect on log α.
    """
    rng = np.random.default_rng(seed + 1)
    n = 200_000
    weeks = _acquisition_ages(rng, n) / 7.0
    shape = rng.standard_gamma(truth.r, n)
    p = rng.beta(truth.a, truth.b, n)

    def mean_rows(alpha: float) -> float:
        return 1.0 + float(np.mean(-np.expm1(-(shape / alpha) * p * weeks) / p))

    low, high = math.log(1e-4), math.log(1e4)
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (
            (middle, high) if mean_rows(math.exp(middle)) > rows_per_customer else (low, middle)
        )
    return math.exp((low + high) / 2)


def _draw_customers(rng: np.random.Generator, truth: Truth, n: int) -> Customers:
    age = _acquisition_ages(rng, n)
    rate = rng.standard_gamma(truth.r, n) / truth.alpha
    dropout = rng.beta(truth.a, truth.b, n)
    arrivals = rng.poisson(rate * age / 7.0)  # purchases had they never dropped out
    lifetime = rng.geometric(dropout)  # the repeat purchase after which they drop out
    return Customers(age, rate, dropout, np.minimum(arrivals, lifetime).astype(np.int64))


def _repeat_offsets(rng: np.random.Generator, customers: Customers) -> tuple[Ints, Ints]:
    """Day offsets (from the first purchase) of every repeat purchase, customer after customer.

    Given n Poisson arrivals in [0, T], their times are n sorted uniforms; the first x of them
    come from 1 − U₍ₖ₎ = Πⱼ≤ₖ Vⱼ^(1/(n−j+1)), a running product within each customer.
    """
    x = customers.repeats
    arrivals = np.maximum(x, rng.poisson(customers.rate * customers.age_days / 7.0))
    owner = np.repeat(np.arange(len(x)), x)
    starts = np.cumsum(x) - x
    position = np.arange(len(owner)) - starts[owner]  # j − 1
    log_step = np.log(rng.random(len(owner))) / (arrivals[owner] - position)
    running = np.cumsum(log_step)
    before = np.concatenate([[0.0], running])[starts]
    uniform = -np.expm1(running - before[owner])
    return np.floor(uniform * customers.age_days[owner]).astype(np.int64), owner


def _fit_to_size(
    rng: np.random.Generator, owner: Ints, offset: Ints, customers: int, transactions: int
) -> tuple[Ints, Ints]:
    """Exactly ``transactions`` rows: add second invoices on bought days, or drop repeats."""
    owner = np.concatenate([np.arange(customers), owner])  # first purchases, then repeats
    offset = np.concatenate([np.zeros(customers, np.int64), offset])
    missing = transactions - len(owner)
    if missing > 0:
        again = rng.integers(0, len(owner), missing)
        return np.concatenate([owner, owner[again]]), np.concatenate([offset, offset[again]])
    keep = np.ones(len(owner), bool)
    keep[customers + rng.choice(len(owner) - customers, -missing, replace=False)] = False
    return owner[keep], offset[keep]


def _amounts_in_cents(rng: np.random.Generator, truth: Truth, owner: Ints, customers: int) -> Ints:
    scale = rng.standard_gamma(truth.q, customers) / truth.v  # ν per customer
    spend = rng.standard_gamma(truth.p, len(owner)) / scale[owner]
    return np.maximum(np.round(spend * 100.0), 1).astype(np.int64)


def _without_exact_duplicates(owner: Ints, offset: Ints, cents: Ints) -> Ints:
    """Add a cent where one customer has two identical invoices on one day.

    Cleaning drops exact duplicate rows (an export appended twice), which lifetimes does not do;
    the data should not depend on that difference.
    """
    day = owner * (SPAN_DAYS + 1) + offset
    while True:
        order = np.lexsort((cents, day))
        same = (np.diff(day[order]) == 0) & (np.diff(cents[order]) == 0)
        if not same.any():
            return cents
        cents[order[1:][same]] += 1


def _write_csv(path: Path, customer_id: Ints, day: Ints, cents: Ints) -> None:
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    order = np.argsort(day, kind="stable")
    unscaled = np.zeros((len(cents), 2), np.int64)  # decimal128: low word, high word (≥ 0)
    unscaled[:, 0] = cents[order]
    amount = pa.Array.from_buffers(pa.decimal128(14, 2), len(cents), [None, pa.py_buffer(unscaled)])
    table = pa.table(
        {
            "customer_id": pa.array(customer_id[order]),
            "invoice_date": pa.array(day[order].astype(np.int32), pa.date32()),
            "amount": amount,
        }
    )
    partial = path.with_suffix(".partial")
    with partial.open("wb") as handle:  # a plain header, as spreadsheet exports write it
        handle.write(b"customer_id,invoice_date,amount\n")
        options = pa_csv.WriteOptions(include_header=False, quoting_style="none")
        pa_csv.write_csv(table, handle, options)
    partial.rename(path)


def generate(path: Path, *, transactions: int, customers: int, seed: int) -> dict[str, Any]:
    """Write the CSV and describe what was drawn (the truth, the shape of the customer base)."""
    if transactions < customers:
        sys.exit("--transactions must be at least --customers (everyone bought once)")
    started = time.perf_counter()
    rows_per_customer = transactions / customers / (1.0 + EXTRA_INVOICES)
    truth = Truth(alpha=_calibrate_alpha(Truth(), rows_per_customer, seed))
    rng = np.random.default_rng(seed)
    drawn = _draw_customers(rng, truth, customers)
    offset, owner = _repeat_offsets(rng, drawn)
    owner, offset = _fit_to_size(rng, owner, offset, customers, transactions)
    cents = _without_exact_duplicates(
        owner, offset, _amounts_in_cents(rng, truth, owner, customers)
    )
    # Ids in the order customers arrived, as a shop's own numbering would be.
    id_of = np.empty(customers, np.int64)
    id_of[np.argsort(-drawn.age_days, kind="stable")] = 1_000_001 + np.arange(customers)
    first_day = (OBSERVATION_END - date(1970, 1, 1)).days - drawn.age_days
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_csv(path, id_of[owner], first_day[owner] + offset, cents)
    rows = np.bincount(owner, minlength=customers)
    info = {
        "truth": asdict(truth),
        "rows": len(owner),
        "customers": customers,
        "rows_per_customer": {
            "mean": round(float(rows.mean()), 2),
            "share_1_to_3": round(float((rows <= 3).mean()), 3),
            "median": float(np.median(rows)),
            "p90": float(np.percentile(rows, 90)),
            "p99": float(np.percentile(rows, 99)),
            "max": int(rows.max()),
        },
        "seconds": round(time.perf_counter() - started, 1),
        "bytes": path.stat().st_size,
    }
    path.with_suffix(".json").write_text(json.dumps(info, indent=1))
    return info


# ---------------------------------------------------------------------------------------------
# Timing inside one process


class Stages:
    """Wall-clock seconds of named stages, in the order they ran."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def time(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.seconds[name] = time.perf_counter() - started


def _timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def _peak_rss_bytes() -> int:
    """This process's high-water resident memory (VmHWM: since exec, not the parent's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _means(alive: Floats, expected: Floats, value: Floats, lifetime: Floats) -> dict[str, float]:
    return {
        "p_alive": float(np.nanmean(alive)),
        "expected_purchases": float(np.nanmean(expected)),
        "expected_value": float(np.nanmean(value)),
        "clv": float(np.nanmean(lifetime)),
    }


def _segment_counts(codes: Any) -> dict[str, int]:
    found, counts = np.unique(np.asarray(codes, dtype=object).astype(str), return_counts=True)
    return {str(code): int(n) for code, n in zip(found, counts, strict=True)}


# ---------------------------------------------------------------------------------------------
# Side (a): mehvar, through its public API only


def run_mehvar(csv_path: Path, work: Path, threads: int) -> dict[str, Any]:
    stages = Stages()
    with stages.time("import"):
        from mehvar.analytics import bgnbd, clv, engine, gamma_gamma, rfm, summary, transactions
    with stages.time("load CSV"):
        con = engine.connect(threads=threads)
        spec = transactions.TransactionSpec(
            customer_col="customer_id", date_col="invoice_date", amount_col="amount"
        )
        loaded = transactions.load_transactions(
            csv_path, spec, con=con, observation_end=OBSERVATION_END
        )
    with stages.time("summary"):
        # Kept in the engine for RFM, and as NumPy arrays for the fits.
        summary_table = con.create_table(
            "bench_summary", loaded.summary(freq="W", observation_end=OBSERVATION_END)
        )
        table = summary_table.to_pyarrow()
        f, r, t, m = (
            table.column(name).to_numpy()
            for name in ("frequency", "recency", "T", "monetary_value")
        )
    with stages.time("RFM"):
        scores = rfm.score_rfm(summary_table)
        scored = scores.select(
            "customer_id", "r_score", "f_score", "m_score", "segment"
        ).to_pyarrow()
    with stages.time("BG/NBD fit"):
        bg = bgnbd.fit_bgnbd(f, r, t)
    with stages.time("Gamma-Gamma fit"):
        gg = gamma_gamma.fit_gamma_gamma(f, m)
    with stages.time("predictions"):
        forecast = clv.customer_forecast(
            bg.params,
            gg.params,
            f,
            r,
            t,
            m,
            horizon=HORIZON_WEEKS,
            step=clv.periods_per_month(summary.freq_days("W")),  # as the pipeline does
        )
        alive, expected = forecast.p_alive, forecast.expected_purchases
        value, lifetime = forecast.expected_value, forecast.clv
    peak = _peak_rss_bytes()
    columns = ["customer_id", "frequency", "recency", "T", "monetary_value"]
    pq.write_table(table.select(columns), work / "summary-mehvar.parquet")
    return {
        "stages": stages.seconds,
        "peak_rss_bytes": peak,
        "customers": table.num_rows,
        "segments": _segment_counts(scored.column("segment").to_numpy(zero_copy_only=False)),
        "bgnbd": asdict(bg.params),
        "gamma_gamma": asdict(gg.params),
        "means": _means(alive, expected, value, lifetime),
    }


# ---------------------------------------------------------------------------------------------
# Side (b): pandas + lifetimes, what an analyst would write

SEGMENT_MAP = (  # (code, R scores, FM scores): the same 5 x 5 map as mehvar's RFM segments
    ("champions", (5, 5), (4, 5)),
    ("loyal", (3, 4), (4, 5)),
    ("potential_loyalist", (4, 5), (2, 3)),
    ("new", (5, 5), (1, 1)),
    ("promising", (4, 4), (1, 1)),
    ("need_attention", (3, 3), (3, 3)),
    ("about_to_sleep", (3, 3), (1, 2)),
    ("at_risk", (1, 2), (3, 4)),
    ("cant_lose", (1, 2), (5, 5)),
    ("hibernating", (2, 2), (1, 2)),
    ("lost", (1, 1), (1, 2)),
)
BINS = 5


def _grid() -> NDArray[np.object_]:
    grid = np.full((BINS + 1, BINS + 1), "", dtype=object)
    for code, (r_low, r_high), (fm_low, fm_high) in SEGMENT_MAP:
        grid[r_low : r_high + 1, fm_low : fm_high + 1] = code
    return grid


def _score(values: Any, *, higher_is_better: bool) -> Ints:
    """1..5 as mehvar scores: the share of customers with another value who are worse."""
    worse = values.rank(method="min", ascending=higher_is_better).to_numpy(np.int64) - 1
    worse_or_tied = values.rank(method="max", ascending=higher_is_better).to_numpy(np.int64)
    others = len(values) - (worse_or_tied - worse)
    quantile = np.minimum(BINS, 1 + (BINS * worse) // np.maximum(others, 1))
    return np.where(others > 0, quantile, 1)


def _peer_rfm(data: Any, frame: Any) -> Any:
    """R from days since the last purchase, F from purchase days, M from total spend."""
    total = frame.groupby("customer_id")["amount"].sum().reindex(data.index)
    days_since_last = np.rint((data["T"] - data["recency"]) * 7)
    scored = data.assign(
        total_amount=total,
        r_score=_score(days_since_last, higher_is_better=False),
        f_score=_score(data["frequency"], higher_is_better=True),
        m_score=_score(total, higher_is_better=True),
    )
    scored["fm_score"] = (scored["f_score"] + scored["m_score"] + 1) // 2
    scored["segment"] = _grid()[scored["r_score"].to_numpy(), scored["fm_score"].to_numpy()]
    return scored


def run_peer(csv_path: Path, work: Path) -> dict[str, Any]:
    stages = Stages()
    with stages.time("import"):
        import pandas as pd  # type: ignore[import-untyped]
        from lifetimes import BetaGeoFitter, GammaGammaFitter
        from lifetimes.utils import summary_data_from_transaction_data
    with stages.time("load CSV"):
        frame = pd.read_csv(csv_path, parse_dates=["invoice_date"])
    with stages.time("summary"):
        data = summary_data_from_transaction_data(
            frame,
            "customer_id",
            "invoice_date",
            monetary_value_col="amount",
            observation_period_end=pd.Timestamp(OBSERVATION_END),
            freq="D",
            freq_multiplier=7,
        )
    with stages.time("RFM"):
        scored = _peer_rfm(data, frame)
    del frame
    f, r, t, m = data["frequency"], data["recency"], data["T"], data["monetary_value"]
    with stages.time("BG/NBD fit"):
        bgf = BetaGeoFitter().fit(f, r, t)
    with stages.time("Gamma-Gamma fit"):
        repeat = f > 0
        ggf = GammaGammaFitter().fit(f[repeat], m[repeat])
    with stages.time("predictions"):
        alive = np.asarray(bgf.conditional_probability_alive(f, r, t))
        expected = np.asarray(
            bgf.conditional_expected_number_of_purchases_up_to_time(HORIZON_WEEKS, f, r, t)
        )
        value = np.asarray(ggf.conditional_expected_average_profit(f, m))
        lifetime = np.asarray(
            ggf.customer_lifetime_value(bgf, f, r, t, m, time=CLV_MONTHS, discount_rate=0, freq="W")
        )
    peak = _peak_rss_bytes()
    data.reset_index().to_parquet(work / "summary-peer.parquet")
    return {
        "stages": stages.seconds,
        "peak_rss_bytes": peak,
        "customers": len(data),
        "segments": _segment_counts(scored["segment"].to_numpy()),
        "bgnbd": {k: float(bgf.params_[k]) for k in ("r", "alpha", "a", "b")},
        "gamma_gamma": {k: float(ggf.params_[k]) for k in ("p", "q", "v")},
        "means": _means(alive, expected, value, lifetime),
    }


# ---------------------------------------------------------------------------------------------
# Side (c): the fits alone and the discounted CLV, both libraries on the same arrays

BG_NAMES = ("r", "alpha", "a", "b")
GG_NAMES = ("p", "q", "v")


def run_fits(work: Path) -> dict[str, Any]:
    import pandas as pd
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    from mehvar.analytics import bgnbd, gamma_gamma

    table = pq.read_table(work / "summary-mehvar.parquet")
    f, r, t, m = (
        table.column(c).to_numpy() for c in ("frequency", "recency", "T", "monetary_value")
    )
    repeat = f > 0
    seconds: dict[str, float] = {}
    seconds["mehvar BG/NBD"], bg = _timed(lambda: bgnbd.fit_bgnbd(f, r, t))
    seconds["mehvar Gamma-Gamma"], gg = _timed(lambda: gamma_gamma.fit_gamma_gamma(f, m))
    seconds["lifetimes BG/NBD"], bgf = _timed(lambda: BetaGeoFitter().fit(f, r, t))
    seconds["lifetimes Gamma-Gamma"], ggf = _timed(
        lambda: GammaGammaFitter().fit(f[repeat], m[repeat])
    )
    theirs_bg = bgnbd.BGNBDParams(**{k: float(bgf.params_[k]) for k in BG_NAMES})
    theirs_gg = {k: float(ggf.params_[k]) for k in GG_NAMES}
    # From here on both libraries use mehvar's parameters, so their predictions must agree.
    bgf.params_ = pd.Series(asdict(bg.params))
    ggf.params_ = pd.Series(asdict(gg.params))
    clv_seconds, clv_difference = _discounted_clv(bg.params, gg.params, bgf, ggf, f, r, t, m)
    return {
        "seconds": {**seconds, **clv_seconds},
        "mehvar": {**asdict(bg.params), **asdict(gg.params)},
        "lifetimes": {**asdict(theirs_bg), **theirs_gg},
        "log_likelihood": {
            "mehvar": bg.log_likelihood,
            "lifetimes": bgnbd.log_likelihood(theirs_bg, f, r, t),
        },
        "same_parameter_predictions": {
            "p_alive": _max_relative(
                bgnbd.p_alive(bg.params, f, r, t), bgf.conditional_probability_alive(f, r, t)
            ),
            "expected_purchases": _max_relative(
                bgnbd.conditional_expected_purchases(bg.params, HORIZON_WEEKS, f, r, t),
                bgf.conditional_expected_number_of_purchases_up_to_time(HORIZON_WEEKS, f, r, t),
            ),
            "expected_value": _max_relative(
                gamma_gamma.expected_average_value(gg.params, f, m),
                ggf.conditional_expected_average_profit(pd.Series(f), pd.Series(m)),
            ),
            "discounted_clv": clv_difference,
        },
        "peak_rss_bytes": _peak_rss_bytes(),
    }


def _discounted_clv(
    bg: Any, gg: Any, bgf: Any, ggf: Any, f: Floats, r: Floats, t: Floats, m: Floats
) -> tuple[dict[str, float], float]:
    """12 months discounted by 1 % a month, month by month: each library's own CLV function."""
    import pandas as pd

    from mehvar.analytics import clv

    ours_s, ours = _timed(
        lambda: clv.customer_lifetime_value(
            bg,
            gg,
            f,
            r,
            t,
            m,
            horizon=CLV_MONTHS * WEEKS_PER_MONTH,
            discount_rate=MONTHLY_DISCOUNT,
            step=WEEKS_PER_MONTH,
        )
    )
    series = [pd.Series(values) for values in (f, r, t, m)]
    theirs_s, theirs = _timed(
        lambda: ggf.customer_lifetime_value(
            bgf, *series, time=CLV_MONTHS, discount_rate=MONTHLY_DISCOUNT, freq="W"
        )
    )
    seconds = {"mehvar discounted CLV": ours_s, "lifetimes discounted CLV": theirs_s}
    return seconds, _max_relative(ours, theirs)


def _max_relative(ours: Any, theirs: Any) -> float:
    a, b = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-12)
    return float(np.nanmax(np.abs(a - b) / scale))


# ---------------------------------------------------------------------------------------------
# The parent: data, children, checks and the report


def _child(side: str, args: argparse.Namespace, csv_path: Path, work: Path) -> dict[str, Any]:
    result = work / f"{side}.json"
    result.unlink(missing_ok=True)
    script = str(Path(__file__).resolve())
    command = [sys.executable, script, "--side", side, "--csv", str(csv_path)]
    command += ["--threads", str(args.threads)]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    print(f"  running {side} …", flush=True)
    completed = subprocess.run(command, env=env, check=False)  # noqa: S603 (this very script)
    if completed.returncode != 0 or not result.exists():
        return {"error": f"{side} exited with status {completed.returncode}"}
    loaded: dict[str, Any] = json.loads(result.read_text())
    return loaded


def compare_summaries(work: Path) -> dict[str, Any]:
    """Do mehvar's and lifetimes' summaries agree on every customer?"""
    ours = pq.read_table(work / "summary-mehvar.parquet").sort_by("customer_id")
    theirs = pq.read_table(work / "summary-peer.parquet").sort_by("customer_id")
    same_ids = ours.num_rows == theirs.num_rows and ours.column("customer_id").equals(
        theirs.column("customer_id")
    )
    if not same_ids:
        return {"ok": False, "why": f"customers differ: {ours.num_rows:,} vs {theirs.num_rows:,}"}
    frequency_equal = bool(
        np.array_equal(ours.column("frequency").to_numpy(), theirs.column("frequency").to_numpy())
    )
    deltas = {
        name: float(np.max(np.abs(ours.column(name).to_numpy() - theirs.column(name).to_numpy())))
        for name in ("recency", "T", "monetary_value")
    }
    ok = frequency_equal and all(delta <= 1e-6 for delta in deltas.values())
    return {"ok": ok, "customers": ours.num_rows, "frequency_equal": frequency_equal, **deltas}


def _agree(a: float, b: float) -> bool:
    """Equal to 3 significant digits (relative difference under half a unit in the 3rd)."""
    return abs(a - b) <= 5e-4 * max(abs(a), abs(b))


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL  <<<<<<<<"


def _row(name: str, ours: float, theirs: float) -> str:
    return f"  {name:<22}{ours:>10.2f}{theirs:>10.2f}{theirs / ours:>9.1f}x"


def _stage_table(ours: dict[str, Any], peer: dict[str, Any]) -> tuple[float, float]:
    names = [name for name in ours["stages"] if name != "import"]
    print(f"  {'stage':<22}{'mehvar s':>10}{'peer s':>10}{'ratio':>10}")
    for name in names:
        print(_row(name, ours["stages"][name], peer["stages"][name]))
    total_ours = sum(ours["stages"][name] for name in names)
    total_peer = sum(peer["stages"][name] for name in names)
    print(_row("end to end", total_ours, total_peer))
    print(_row("(imports, not counted)", ours["stages"]["import"], peer["stages"]["import"]))
    return total_ours, total_peer


def _fits_table(fits: dict[str, Any]) -> tuple[float, bool]:
    s = fits["seconds"]
    print("fits alone, both libraries on the same arrays (mehvar's summary):")
    print(f"  {'':<22}{'mehvar s':>10}{'lifetimes':>10}{'ratio':>10}")
    for model in ("BG/NBD", "Gamma-Gamma"):
        print(_row(model, s[f"mehvar {model}"], s[f"lifetimes {model}"]))
    ours = s["mehvar BG/NBD"] + s["mehvar Gamma-Gamma"]
    theirs = s["lifetimes BG/NBD"] + s["lifetimes Gamma-Gamma"]
    print(_row("both fits", ours, theirs))
    print(
        _row("discounted CLV (12 mo.)", s["mehvar discounted CLV"], s["lifetimes discounted CLV"])
    )
    agree = True
    print(f"  {'parameter':<12}{'mehvar':>14}{'lifetimes':>14}  3 digits")
    for name, a in fits["mehvar"].items():
        b = fits["lifetimes"][name]
        agree &= _agree(a, b)
        print(f"  {name:<12}{a:>14.6g}{b:>14.6g}  {'OK' if _agree(a, b) else 'MISMATCH'}")
    ll = fits["log_likelihood"]
    print(f"  BG/NBD log-likelihood: mehvar {ll['mehvar']:,.2f}, lifetimes {ll['lifetimes']:,.2f}")
    same = fits["same_parameter_predictions"]
    print(
        "  same parameters, largest relative difference between the libraries' predictions:\n    "
        + ", ".join(f"{k} {v:.1e}" for k, v in same.items())
    )
    return theirs / ours, agree


def _checks(ours: dict[str, Any], peer: dict[str, Any], summaries: dict[str, Any]) -> bool:
    if summaries["ok"]:
        print(
            f"summaries agree on {summaries['customers']:,} customers (frequency exact, "
            "recency/T/monetary value to 1e-6): OK"
        )
    else:
        print(f"summaries agree: MISMATCH {summaries}")
    same_segments = ours["segments"] == peer["segments"]
    print(f"RFM segment counts agree: {'OK' if same_segments else 'MISMATCH'}  {ours['segments']}")
    if not same_segments:
        print(f"  peer: {peer['segments']}")
    return bool(summaries["ok"]) and same_segments


def _describe(info: dict[str, Any]) -> None:
    spread = info["rows_per_customer"]
    truth = info["truth"]
    print(
        f"{info['rows']:,} transactions of {info['customers']:,} customers "
        f"({info['bytes'] / 1e6:,.0f} MB CSV); rows per customer: mean {spread['mean']}, "
        f"median {spread['median']:.0f}, 1-3 rows {spread['share_1_to_3']:.0%}, "
        f"p99 {spread['p99']:.0f}, max {spread['max']}"
    )
    print(
        "drawn from r={r:.3g} alpha={alpha:.3g} a={a:.3g} b={b:.3g}, p={p:.3g} q={q:.3g} "
        "v={v:.3g} (continuous time, then rounded to days)".format(**truth)
    )


def report(
    info: dict[str, Any], ours: dict[str, Any], peer: dict[str, Any], fits: dict[str, Any]
) -> dict[str, Any]:
    _describe(info)
    total_ours, total_peer = _stage_table(ours, peer)
    fit_ratio, agree = _fits_table(fits)
    consistent = _checks(ours, peer, fits["summaries"])
    memory = {
        side: data["peak_rss_bytes"] / GB for side, data in (("mehvar", ours), ("peer", peer))
    }
    print(f"peak memory (VmHWM): mehvar {memory['mehvar']:.2f} GB, peer {memory['peer']:.2f} GB")
    goals = {
        f"end to end >= {GOAL_END_TO_END:.0f}x the peer": total_peer / total_ours
        >= GOAL_END_TO_END,
        f"fits >= {GOAL_FITS:.0f}x lifetimes": fit_ratio >= GOAL_FITS,
        "fitted parameters agree to 3 significant digits": agree,
        "summaries and RFM segments agree": consistent,
        f"mehvar peak memory < {GOAL_MEMORY_GB:.0f} GB": memory["mehvar"] < GOAL_MEMORY_GB,
        f"mehvar end to end < {GOAL_SECONDS:.0f} s": total_ours < GOAL_SECONDS,
    }
    print("goals:")
    for goal, ok in goals.items():
        print(f"  {_verdict(ok):<16}{goal}")
    return {
        "end_to_end_seconds": {"mehvar": total_ours, "peer": total_peer},
        "end_to_end_ratio": total_peer / total_ours,
        "fit_ratio": fit_ratio,
        "peak_memory_gb": memory,
        "goals": goals,
    }


def _load_average() -> float:
    """The 1-minute load average: anything well above 0 means other work shares the cores."""
    return float(Path("/proc/loadavg").read_text().split()[0])


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--transactions", type=int, default=10_000_000)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="1,000,000 rows, 100,000 customers")
    parser.add_argument("--threads", type=int, default=2, help="DuckDB threads (mehvar)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--regenerate", action="store_true", help="write the CSV again")
    parser.add_argument("--side", choices=("mehvar", "peer", "fits"), help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.transactions, args.customers = 1_000_000, 100_000
    return args


def _run_side(args: argparse.Namespace) -> None:
    work = args.csv.with_suffix("")
    work.mkdir(exist_ok=True)
    if args.side == "mehvar":
        result = run_mehvar(args.csv, work, args.threads)
    elif args.side == "peer":
        result = run_peer(args.csv, work)
    else:
        result = run_fits(work)
    (work / f"{args.side}.json").write_text(json.dumps(result, indent=1))


def main() -> None:
    args = parse_args()
    if args.side:
        _run_side(args)
        return
    csv_path = DATA / f"analytics-{args.transactions}-{args.customers}-{args.seed}.csv"
    if args.regenerate or not csv_path.exists():
        print(f"writing {csv_path.relative_to(ROOT)} …", flush=True)
        generate(csv_path, transactions=args.transactions, customers=args.customers, seed=args.seed)
    info = json.loads(csv_path.with_suffix(".json").read_text())
    work = csv_path.with_suffix("")
    work.mkdir(exist_ok=True)
    load_before = _load_average()
    results = {side: _child(side, args, csv_path, work) for side in ("mehvar", "peer", "fits")}
    load_after = _load_average()
    failed = [r["error"] for r in results.values() if "error" in r]
    if failed:
        print("FAIL  <<<<<<<< " + "; ".join(failed))
        return
    results["fits"]["summaries"] = compare_summaries(work)
    outcome = report(info, results["mehvar"], results["peer"], results["fits"])
    print(f"load average before {load_before:.2f}, after {load_after:.2f}", end="")
    print(" (other work was running: the figures are noisy)" if load_before > 0.5 else "")
    OUT.mkdir(exist_ok=True)
    record = {
        "benchmark": "analytics",
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "threads": args.threads,
        "load_average": {"before": load_before, "after": load_after},
        "data": info,
        **results,
        **outcome,
    }
    (OUT / "analytics.json").write_text(json.dumps(record, indent=1, default=str))


if __name__ == "__main__":
    main()
