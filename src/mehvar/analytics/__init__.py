"""Customer-base analytics as a pure library: RFM, Pareto, churn, CLV, cohorts, NPS/CSAT.

Tables go in and come out as Ibis expressions (executed by DuckDB here, portable to Spark);
the model fits work on NumPy arrays. Nothing in this package imports Django: the `insights`
app reads the database into a table, calls these functions and stores snapshots, and the
``mehvar analytics`` command runs the same code on a CSV, Excel or Parquet file.
"""
