"""Small numeric helpers shared by the model fits."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def dot(a: NDArray[np.floating], b: NDArray[np.floating]) -> float:
    """Σ aᵢ·bᵢ without BLAS.

    A 1-D ``a @ b`` goes to OpenBLAS, whose worker threads, on a machine busy with other work
    (a web server, a second job), turn a 40-microsecond sum into ten milliseconds; a fit calls
    it a thousand times. ``einsum`` sums in the calling thread.
    """
    return float(np.einsum("i,i->", a, b))


_BINCOUNT_LIMIT = 1 << 24


def factorize(values: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """The distinct values (sorted) and each value's index into them.

    ``np.unique(..., return_inverse=True)`` sorts with an argsort; whole numbers in a modest
    range (purchase counts) are counted in linear time instead, and other values are sorted
    once and looked up — a third to a fortieth of the time on a million customers.
    """
    if values.size and values.min() >= 0 and values.max() < _BINCOUNT_LIMIT:
        whole = values.astype(np.intp)
        if np.array_equal(whole, values):
            present = np.flatnonzero(np.bincount(whole))
            lookup = np.zeros(int(present[-1]) + 1, dtype=np.intp)
            lookup[present] = np.arange(len(present))
            return present.astype(np.float64), lookup[whole]
    distinct = np.unique(values)
    return distinct, np.searchsorted(distinct, values)
