"""The table engine: one Ibis backend per run.

Every table step is an Ibis expression, so the same code runs on DuckDB here and on Spark
(``ibis.pyspark.connect(session)``) for retailers beyond one machine; only ``connect`` differs.
"""

from __future__ import annotations

import logging
import os

import ibis
from ibis.backends.duckdb import Backend as DuckDBBackend

# sqlglot logs a warning for every 1-based list index it translates; on a terminal that is noise.
logging.getLogger("sqlglot").setLevel(logging.ERROR)


def connect(*, threads: int | None = None, memory_limit: str | None = None) -> DuckDBBackend:
    """An in-memory DuckDB backend using ``threads`` cores (default: all this process may use)."""
    config: dict[str, object] = {"threads": threads or len(os.sched_getaffinity(0))}
    if memory_limit:
        config["memory_limit"] = memory_limit
    return ibis.duckdb.connect(**config)
