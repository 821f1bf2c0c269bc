"""Fixtures for the pure analytics library: the CDNOW sample that ships with lifetimes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import lifetimes
import pytest

from mehvar.analytics.engine import connect
from mehvar.analytics.transactions import Purchases, TransactionSpec, load_transactions

DATASETS = Path(lifetimes.__file__).parent / "datasets"
CDNOW_END = date(1997, 9, 30)
# CDNOW_sample.txt has no header: customer id, a second id, yyyymmdd, quantity, dollars.
CDNOW_SPEC = TransactionSpec(customer_col="1", date_col="3", amount_col="5")


@pytest.fixture(scope="session")
def datasets() -> Path:
    return DATASETS


@pytest.fixture(scope="session")
def cdnow_end() -> date:
    return CDNOW_END


@pytest.fixture(scope="session")
def cdnow_path() -> Path:
    return DATASETS / "CDNOW_sample.txt"


@pytest.fixture(scope="session")
def cdnow(cdnow_path: Path) -> Purchases:
    return load_transactions(
        cdnow_path, CDNOW_SPEC, con=connect(threads=1), observation_end=CDNOW_END
    )
