"""RFM scores and segments.

**Scores.** Each customer gets three scores from 1 to ``bins`` (higher = better):

* R from ``days_since_last`` (fewer days = better),
* F from the number of distinct purchase days, ``frequency + 1``,
* M from ``total_amount``.

A score is a quantile rank with ties kept together::

    score = min(bins, 1 + ⌊bins × w / (n − t)⌋)      (1 when n = t)

where ``w`` is the number of customers strictly worse on that measure, ``t`` the number with
the customer's own value (them included) and ``n`` the number of customers, so ``w / (n − t)``
is the share of the customers *with a different value* who are worse. Without ties this is
the percent rank ``w / (n − 1)``. Leaving one's own tie group out of the denominator keeps the
ends where people expect them even when a value is very common: the worst value always gets 1
and the best always gets ``bins``, and equal values always get equal scores. When most customers
bought once (often 60 % of a base) they all share F = 1, and a two-time buyer (say 20 %), better
than 60 % of the 80 % who differ from them, gets F = 1 + ⌊5 × 0.75⌋ = 4: the score says where
the customer stands, not that every bin holds a fifth of the base. With one customer, or all
tied, every score is 1. The score is computed from integer counts, so boundaries are exact.

**Segments.** ``fm_score`` is the mean of F and M rounded half up, ``⌊(F + M + 1) / 2⌋``. The
segment is read from the (R, FM) cell of the 5 × 5 map in :data:`SEGMENTS`, which gives every
cell exactly one segment. With ``bins ≠ 5`` the R and FM scores are first mapped linearly onto
1..5, rounded half up: ``1 + round(4 (s − 1) / (bins − 1))``, so 1 stays 1 and ``bins``
becomes 5 (bins = 3: 1, 2, 3 → 1, 3, 5; bins = 10: 1–2 → 1, 3–4 → 2, …, 9–10 → 5).

:func:`score_rfm` is one engine query: per measure a rank and a cumulative distribution over
the same ordering (one sort each), on the summary's rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import ibis
import ibis.expr.types as ir

from mehvar.analytics.errors import InputError, gettext_noop

__all__ = [
    "MAX_BINS",
    "MIN_BINS",
    "SEGMENTS",
    "GridCell",
    "Segment",
    "SegmentCount",
    "check_bins",
    "rfm_grid",
    "score_rfm",
    "segment_by_code",
    "segment_counts",
    "segment_for",
    "to_five_point",
]

MIN_BINS: Final = 2
MAX_BINS: Final = 10


@dataclass(frozen=True)
class Segment:
    """One cell group of the (R, FM) map; ``r_scores``/``fm_scores`` are inclusive ranges."""

    code: str
    label_en: str
    label_fa: str
    r_scores: tuple[int, int]
    fm_scores: tuple[int, int]
    rule_en: str
    rule_fa: str
    action_en: str
    action_fa: str

    def contains(self, r: int, fm: int) -> bool:
        return self.r_scores[0] <= r <= self.r_scores[1] and (
            self.fm_scores[0] <= fm <= self.fm_scores[1]
        )


# Display order: best customers first, then those to grow, then those slipping away.
SEGMENTS: Final[tuple[Segment, ...]] = (
    Segment(
        "champions",
        "Champions",
        "قهرمانان",
        (5, 5),
        (4, 5),
        "R 5, FM 4–5: bought very recently, buy often and spend the most.",
        "R برابر ۵ و FM ۴ تا ۵: به‌تازگی خریده‌اند، زیاد می‌خرند و بیشترین هزینه را می‌کنند.",
        "Reward them; ask for reviews and referrals; offer new products to them first.",
        "پاداششان دهید؛ از آن‌ها نظر و معرفی بخواهید؛ محصولات تازه را اول به آن‌ها عرضه کنید.",
    ),
    Segment(
        "loyal",
        "Loyal",
        "وفاداران",
        (3, 4),
        (4, 5),
        "R 3–4, FM 4–5: buy often and spend well; the last purchase was not the very latest.",
        "R ۳ تا ۴ و FM ۴ تا ۵: زیاد می‌خرند و خوب هزینه می‌کنند، ولی آخرین خریدشان کمی قدیمی‌تر است.",
        "Offer higher-value products; enrol them in the loyalty programme.",
        "محصولات باارزش‌تر پیشنهاد دهید؛ در باشگاه مشتریان عضوشان کنید.",
    ),
    Segment(
        "potential_loyalist",
        "Potential loyalist",
        "وفادارانِ بالقوه",
        (4, 5),
        (2, 3),
        "R 4–5, FM 2–3: recent customers with average frequency and spend.",
        "R ۴ تا ۵ و FM ۲ تا ۳: مشتریان تازه‌ای با تعداد و مبلغ خرید متوسط.",
        "Offer loyalty-programme membership; recommend related products.",
        "عضویت در باشگاه مشتریان و محصولات مرتبط را پیشنهاد دهید.",
    ),
    Segment(
        "new",
        "New",
        "تازه‌واردها",
        (5, 5),
        (1, 1),
        "R 5, FM 1: bought very recently, but rarely and little.",
        "R برابر ۵ و FM برابر ۱: به‌تازگی خریده‌اند، ولی کم و کم‌مبلغ.",
        "Welcome them; help them with the first purchase; build the relationship early.",
        "خوشامد بگویید؛ در نخستین خرید همراهشان باشید؛ رابطه را زود بسازید.",
    ),
    Segment(
        "promising",
        "Promising",
        "امیدوارکننده",
        (4, 4),
        (1, 1),
        "R 4, FM 1: bought fairly recently, but rarely and little.",
        "R برابر ۴ و FM برابر ۱: نسبتاً به‌تازگی خریده‌اند، ولی کم و کم‌مبلغ.",
        "Make the brand known to them; give a small incentive for a second purchase.",
        "برند را به آن‌ها بشناسانید؛ برای خرید دوم انگیزه‌ای کوچک بدهید.",
    ),
    Segment(
        "need_attention",
        "Need attention",
        "نیازمند توجه",
        (3, 3),
        (3, 3),
        "R 3, FM 3: average recency, frequency and spend.",
        "R برابر ۳ و FM برابر ۳: تازگی، تعداد و مبلغ خریدشان متوسط است.",
        "Make limited-time offers based on their past purchases before they slip.",
        "پیش از آنکه دور شوند، بر پایهٔ خریدهای پیشینشان پیشنهاد زمان‌دار بدهید.",
    ),
    Segment(
        "about_to_sleep",
        "About to sleep",
        "در آستانهٔ خواب",
        (3, 3),
        (1, 2),
        "R 3, FM 1–2: below-average recency, frequency and spend.",
        "R برابر ۳ و FM ۱ تا ۲: تازگی، تعداد و مبلغ خریدشان کمتر از میانگین است.",
        "Share popular products and discounts; reconnect before they are lost.",
        "محصولات پرطرفدار و تخفیف‌ها را معرفی کنید؛ پیش از رفتنشان دوباره ارتباط بگیرید.",
    ),
    Segment(
        "at_risk",
        "At risk",
        "در خطر",
        (1, 2),
        (3, 4),
        "R 1–2, FM 3–4: used to buy often and spend well, but not for a long time.",
        "R ۱ تا ۲ و FM ۳ تا ۴: قبلاً زیاد می‌خریدند و خوب هزینه می‌کردند، ولی مدت‌هاست نخریده‌اند.",
        "Win them back with personal messages and offers; find out what changed.",
        "با پیام و پیشنهاد شخصی برشان گردانید؛ بپرسید چه چیزی تغییر کرده است.",
    ),
    Segment(
        "cant_lose",
        "Can't lose them",
        "نباید از دستشان داد",
        (1, 2),
        (5, 5),
        "R 1–2, FM 5: were among the biggest and most frequent buyers, but long gone.",
        "R ۱ تا ۲ و FM برابر ۵: از بزرگ‌ترین و پرتکرارترین خریداران بودند، ولی مدت‌هاست برنگشته‌اند.",
        "Follow up personally (call them); do not lose them to a competitor.",
        "شخصاً پیگیری کنید (تماس بگیرید)؛ نگذارید سراغ رقیب بروند.",
    ),
    Segment(
        "hibernating",
        "Hibernating",
        "خواب زمستانی",
        (2, 2),
        (1, 2),
        "R 2, FM 1–2: last bought long ago, rarely and little.",
        "R برابر ۲ و FM ۱ تا ۲: آخرین خریدشان قدیمی است و کم و کم‌مبلغ خریده‌اند.",
        "Offer relevant products and special discounts; do not overspend on them.",
        "محصولات مرتبط و تخفیف ویژه پیشنهاد دهید؛ هزینهٔ زیادی صرفشان نکنید.",
    ),
    Segment(
        "lost",
        "Lost",
        "از دست رفته",
        (1, 1),
        (1, 2),
        "R 1, FM 1–2: the oldest last purchase, rare and small.",
        "R برابر ۱ و FM ۱ تا ۲: قدیمی‌ترین خرید آخر، کم و کم‌مبلغ.",
        "Try one low-cost win-back campaign; otherwise leave them out of paid campaigns.",
        "یک کمپین کم‌هزینه برای بازگرداندن امتحان کنید؛ وگرنه در کمپین‌های پرهزینه کنارشان بگذارید.",
    ),
)

_BY_CODE: Final = {s.code: s for s in SEGMENTS}


@dataclass(frozen=True)
class SegmentCount:
    code: str
    label_en: str
    label_fa: str
    customers: int
    revenue: float


@dataclass(frozen=True)
class GridCell:
    """One cell of the R × FM grid (scores on the ``bins`` scale) and the segment it maps to."""

    r_score: int
    fm_score: int
    segment: str
    customers: int
    revenue: float


def check_bins(bins: int) -> int:
    if isinstance(bins, bool) or not isinstance(bins, int) or not MIN_BINS <= bins <= MAX_BINS:
        raise InputError(
            gettext_noop("The number of RFM score bins must be from %(low)s to %(high)s."),
            low=MIN_BINS,
            high=MAX_BINS,
        )
    return bins


def to_five_point(score: int, bins: int) -> int:
    """A 1..``bins`` score on the 5-point scale of the segment map (identity when bins = 5)."""
    # round(4 (s − 1) / (bins − 1)) half up, in integers: ⌊(8 (s − 1) + bins − 1) / (2 (bins − 1))⌋
    return 1 + (8 * (score - 1) + bins - 1) // (2 * (bins - 1))


def segment_for(r: int, fm: int) -> Segment:
    """The segment of a 5-point (R, FM) cell."""
    for segment in SEGMENTS:
        if segment.contains(r, fm):
            return segment
    raise InputError(
        gettext_noop("RFM scores must be from 1 to 5, not R=%(r)s, FM=%(fm)s."), r=r, fm=fm
    )


def _ranks(key: ir.Value, worse_first: bool, n: ir.IntegerValue) -> tuple[ir.Value, ir.Value]:
    order = key if worse_first else ibis.desc(key)
    # ibis.rank() is the 0-based min rank: how many customers come strictly before, i.e. are
    # strictly worse. cume_dist × n counts those up to and including the customer's tie group;
    # both windows share one sort, which a count partitioned by value would not.
    worse = ibis.rank().over(order_by=order)
    worse_or_tied = (ibis.cume_dist().over(order_by=order) * n).round().cast("int64")
    return worse, worse_or_tied


def _score(
    worse: ir.IntegerValue, worse_or_tied: ir.IntegerValue, n: ir.IntegerValue, bins: int
) -> ir.IntegerValue:
    others = n - (worse_or_tied - worse)
    quantile = 1 + (bins * worse) // ibis.greatest(others, 1)
    return ibis.ifelse(others > 0, ibis.least(quantile, bins), 1).cast("int64")


def _five_point_expr(score: ir.IntegerValue, bins: int) -> ir.IntegerValue:
    # to_five_point, on a column.
    return score if bins == 5 else 1 + (8 * (score - 1) + bins - 1) // (2 * (bins - 1))


def _segment_expr(r5: ir.IntegerValue, fm5: ir.IntegerValue) -> ir.StringValue:
    branches = [
        (
            r5.between(*s.r_scores) & fm5.between(*s.fm_scores),
            ibis.literal(s.code),
        )
        for s in SEGMENTS
    ]
    return ibis.cases(*branches)


def score_rfm(summary: ibis.Table, *, bins: int = 5) -> ibis.Table:
    """``summary`` with r_score, f_score, m_score, fm_score (1..bins) and segment (a code)."""
    check_bins(bins)
    t = summary
    n = t.customer_id.count().over()
    # Windows first, each once, in their own projection: written inside the score expressions
    # they would be repeated per use, and DuckDB evaluates every repetition (seconds at 1M).
    keys = {"r": (t.days_since_last, False), "f": (t.frequency, True), "m": (t.total_amount, True)}
    windows: dict[str, ir.Value] = {"_n": n}
    for name, (key, worse_first) in keys.items():
        windows[f"_{name}_worse"], windows[f"_{name}_upto"] = _ranks(key, worse_first, n)
    ranked = t.mutate(**windows)
    scored = ranked.mutate(
        **{
            f"{name}_score": _score(
                ranked[f"_{name}_worse"], ranked[f"_{name}_upto"], ranked._n, bins
            )
            for name in keys
        }
    ).drop(*windows)
    scored = scored.mutate(fm_score=((scored.f_score + scored.m_score + 1) // 2).cast("int64"))
    r5 = _five_point_expr(scored.r_score, bins)
    fm5 = _five_point_expr(scored.fm_score, bins)
    return scored.mutate(segment=_segment_expr(r5, fm5))


def segment_counts(scored: ibis.Table) -> list[SegmentCount]:
    """Customers and revenue (``total_amount``) per segment, every segment in display order."""
    rows = (
        scored.group_by("segment")
        .aggregate(customers=scored.count(), revenue=scored.total_amount.sum())
        .to_pyarrow()
        .to_pylist()
    )
    found = {row["segment"]: row for row in rows}
    return [
        SegmentCount(
            code=s.code,
            label_en=s.label_en,
            label_fa=s.label_fa,
            customers=int(found.get(s.code, {}).get("customers") or 0),
            revenue=float(found.get(s.code, {}).get("revenue") or 0.0),
        )
        for s in SEGMENTS
    ]


def rfm_grid(scored: ibis.Table, *, bins: int = 5) -> list[GridCell]:
    """Every (r_score, fm_score) cell of the ``bins × bins`` grid, R then FM ascending.

    ``bins`` must be the value given to :func:`score_rfm`; empty cells have zero customers.
    """
    check_bins(bins)
    rows = (
        scored.group_by("r_score", "fm_score")
        .aggregate(customers=scored.count(), revenue=scored.total_amount.sum())
        .to_pyarrow()
        .to_pylist()
    )
    found = {(row["r_score"], row["fm_score"]): row for row in rows}
    cells = []
    for r in range(1, bins + 1):
        for fm in range(1, bins + 1):
            row = found.get((r, fm), {})
            segment = segment_for(to_five_point(r, bins), to_five_point(fm, bins))
            cells.append(
                GridCell(
                    r_score=r,
                    fm_score=fm,
                    segment=segment.code,
                    customers=int(row.get("customers") or 0),
                    revenue=float(row.get("revenue") or 0.0),
                )
            )
    return cells


def segment_by_code(code: str) -> Segment:
    """The :class:`Segment` with this code (``KeyError`` for an unknown one)."""
    return _BY_CODE[code]
