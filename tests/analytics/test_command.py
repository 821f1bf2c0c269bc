"""``mehvar analytics <what>`` on files, as a user runs it: no database, CSV and JSON out."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import warnings
from datetime import date
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

CDNOW = [
    "--customer-col",
    "1",
    "--date-col",
    "3",
    "--amount-col",
    "5",
    "--observation-end",
    "1997-09-30",
]


def _run(*args: str, lang: str = "en") -> str:
    out = StringIO()
    call_command("analytics", *args, "--lang", lang, stdout=out)
    return out.getvalue()


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def test_clv_on_cdnow_writes_the_published_parameters(cdnow_path: Path, tmp_path: Path) -> None:
    out, doc = tmp_path / "clv.csv", tmp_path / "clv.json"
    printed = _run(
        "clv", "--transactions", str(cdnow_path), *CDNOW, "--out", str(out), "--json", str(doc)
    )
    result = json.loads(doc.read_text(encoding="utf-8"))
    bg, gg = result["bgnbd"], result["gamma_gamma"]
    assert [round(bg[k], 3) for k in ("r", "alpha", "a", "b")] == [0.243, 4.414, 0.793, 2.426]
    assert [round(gg[k], 2) for k in ("p", "q", "v")] == [6.25, 3.74, 15.44]
    assert result["n_customers"] == 2357
    assert result["log_likelihood"] == pytest.approx(-9582.43, abs=0.01)
    rows = _csv_rows(out)
    assert list(rows[0]) == [
        "customer_id",
        "frequency",
        "recency",
        "T",
        "monetary_value",
        "p_alive",
        "expected_purchases",
        "clv",
    ]
    assert len(rows) == 2357
    assert all(0 <= float(r["p_alive"]) <= 1 for r in rows)
    assert "0.2426, 4.414, 0.7929, 2.426" in printed


def test_summary_command_matches_lifetimes_file(
    cdnow_path: Path, datasets: Path, tmp_path: Path
) -> None:
    out = tmp_path / "summary.csv"
    _run("summary", "--transactions", str(cdnow_path), *CDNOW, "--freq", "W", "--out", str(out))
    ours = sorted(
        (int(r["frequency"]), round(float(r["recency"]), 2), round(float(r["T"]), 2))
        for r in _csv_rows(out)
    )
    with (datasets / "cdnow_customers_summary.csv").open() as handle:
        theirs = sorted(
            (int(r["frequency"]), float(r["recency"]), float(r["T"]))
            for r in csv.DictReader(handle)
        )
    assert ours == theirs


def test_calibration_compares_predictions_with_the_holdout(
    cdnow_path: Path, tmp_path: Path
) -> None:
    doc, out = tmp_path / "holdout.json", tmp_path / "holdout.csv"
    printed = _run(
        "clv",
        "--transactions",
        str(cdnow_path),
        "--customer-col",
        "1",
        "--date-col",
        "3",
        "--amount-col",
        "5",
        "--calibration-end",
        "1997-09-30",
        "--observation-end",
        "1998-06-30",
        "--json",
        str(doc),
        "--out",
        str(out),
    )
    holdout = json.loads(doc.read_text(encoding="utf-8"))["holdout"]
    # Counted independently: distinct purchase days in the 39 holdout weeks, per customer.
    days: dict[str, set[str]] = {}
    for line in cdnow_path.read_text().split("\n"):
        if line.strip():
            customer, _, day, *_ = line.split()
            days.setdefault(customer, set()).add(day)
    actual = sum(
        sum(1 for d in seen if "19970930" < d <= "19980630")
        for seen in days.values()
        if min(seen) <= "19970930"
    )
    assert holdout["holdout_periods"] == pytest.approx(39.0)
    assert holdout["actual_total"] == actual
    error = (holdout["predicted_total"] - actual) / actual * 100
    assert holdout["total_error_pct"] == pytest.approx(error)
    assert {b["frequency"] for b in holdout["by_frequency"]} >= {"0", "1", "7+"}
    rows = _csv_rows(out)
    assert sum(int(r["actual_purchases"]) for r in rows) == actual
    assert sum(float(r["expected_purchases"]) for r in rows) == pytest.approx(
        holdout["predicted_total"], rel=1e-6
    )
    assert f"Actual purchases in the holdout: {actual}" in printed
    # The predictions are lifetimes' own, fitted on the same calibration summary.
    x, tx, age = (np.array([float(r[c]) for r in rows]) for c in ("frequency", "recency", "T"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lifetimes import BetaGeoFitter

        theirs = BetaGeoFitter().fit(x, tx, age)
    predicted = theirs.conditional_expected_number_of_purchases_up_to_time(39.0, x, tx, age)
    assert holdout["predicted_total"] == pytest.approx(float(predicted.sum()), rel=1e-4)


def test_rfm_pareto_churn_cohorts_write_their_tables(cdnow_path: Path, tmp_path: Path) -> None:
    expected_columns = {
        "rfm": {"customer_id", "r_score", "f_score", "m_score", "segment", "segment_fa"},
        "pareto": {"customer_id", "total_amount", "revenue_rank", "is_top"},
        "churn": {"customer_id", "days_since_last", "total_amount"},
        "cohorts": {"cohort", "k", "retention", "revenue"},
    }
    for what, columns in expected_columns.items():
        out, doc = tmp_path / f"{what}.csv", tmp_path / f"{what}.json"
        _run(what, "--transactions", str(cdnow_path), *CDNOW, "--out", str(out), "--json", str(doc))
        rows = _csv_rows(out)
        assert columns <= set(rows[0]), what
        payload = json.loads(doc.read_text(encoding="utf-8"))
        assert payload["cleaning"]["rows_read"] == 6919, what
    pareto = json.loads((tmp_path / "pareto.json").read_text(encoding="utf-8"))
    assert 0.2 < pareto["revenue_share_of_top"] <= 1
    assert pareto["lorenz"][-1] == [1.0, 1.0]


def test_jalali_invoice_lines_with_dirty_rows(tmp_path: Path) -> None:
    source = tmp_path / "فروش.csv"
    source.write_text(
        "فاکتور,مشتری,تاریخ,تعداد,فی\n"
        '1,علی,1403/01/05,2,"۱۵۰٬۰۰۰"\n'
        "1,علی,1403/01/05,-1,150000\n"  # a return netted in its invoice
        "2,علي,1403/02/10,1,90000\n"  # Arabic yeh: the same customer
        "C3,علی,1403/02/11,-1,90000\n"  # a cancellation
        ",,1403/02/12,1,5\n"  # no customer
        "4,مریم,1403/13/01,1,5\n"  # no such month
        "5,مریم,1403/03/01,1,70000\n",
        encoding="utf-8",
    )
    out, doc = tmp_path / "s.csv", tmp_path / "s.json"
    printed = _run(
        "summary",
        "--transactions",
        str(source),
        "--customer-col",
        "مشتری",
        "--date-col",
        "تاریخ",
        "--quantity-col",
        "تعداد",
        "--price-col",
        "فی",
        "--invoice-col",
        "فاکتور",
        "--calendar",
        "jalali",
        "--freq",
        "D",
        "--out",
        str(out),
        "--json",
        str(doc),
    )
    rows = {r["customer_id"]: r for r in _csv_rows(out)}
    assert set(rows) == {"علی", "مریم"}
    # 1403/01/05 = 2024-03-24 and 1403/02/10 = 2024-04-29: 36 days apart; the end is 1403/03/01.
    assert rows["علی"]["frequency"] == "1"
    assert float(rows["علی"]["recency"]) == 36
    assert float(rows["علی"]["monetary_value"]) == 90000
    cleaning = {
        r["code"]: r["rows"]
        for r in json.loads(doc.read_text(encoding="utf-8"))["cleaning"]["rules"]
    }
    assert cleaning["missing_customer"] == 1
    assert cleaning["bad_date"] == 1
    assert cleaning["cancelled"] == 1
    assert cleaning["returns_netted"] == 1
    assert "rows of cancelled invoices: 1" in printed


def test_bad_input_is_a_clear_error_in_persian_and_english(
    cdnow_path: Path, tmp_path: Path
) -> None:
    with pytest.raises(CommandError, match="Column\\(s\\) not found: nope"):
        _run(
            "summary",
            "--transactions",
            str(cdnow_path),
            "--customer-col",
            "nope",
            "--date-col",
            "3",
            "--amount-col",
            "5",
        )
    few = tmp_path / "few.csv"
    few.write_text("c,d,a\nx,2024-01-01,1\ny,2024-01-02,2\n", encoding="utf-8")
    args = ["clv", "--transactions", str(few), "--customer-col", "c", "--date-col", "d"]
    with pytest.raises(CommandError, match="Too few repeat buyers"):
        _run(*args, "--amount-col", "a")
    with pytest.raises(CommandError) as persian:
        _run(*args, "--amount-col", "a", lang="fa")
    assert "خرید" in str(persian.value)


def test_the_command_needs_no_database(cdnow_path: Path, tmp_path: Path) -> None:
    # A separate process with a database URL that cannot work: the command must not touch it.
    out = tmp_path / "s.csv"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mehvar",
            "analytics",
            "summary",
            "--transactions",
            str(cdnow_path),
            *CDNOW,
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        env={
            "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
        },
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert len(_csv_rows(out)) == 2357


@pytest.mark.parametrize(
    ("content", "name", "extra", "message"),
    [
        ("", "empty.csv", [], "The file is empty"),
        ("not parquet", "bad.parquet", [], "as Parquet"),
        ("not a workbook", "bad.xlsx", [], "as an Excel workbook"),
        ("c,d,a\nx,2024-01-01,1\n", "ok.csv", ["--horizon", "-5"], "horizon must be a positive"),
        ("c,d,a\nx,2024-01-01,1\n", "ok.csv", ["--p-alive-threshold", "1.5"], "between 0 and 1"),
        (
            "c,d,a\nx,2024-01-01,1\n",
            "ok.csv",
            ["--observation-end", "2023-01-01"],
            "before the first purchase",
        ),
        ("c,d,a\nx,2024-01-01,1\n", "ok.csv", ["--calendar", "jalali"], "is the calendar right"),
    ],
)
def test_unusable_files_and_options_are_clear_errors(
    tmp_path: Path, content: str, name: str, extra: list[str], message: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    args = ["--customer-col", "c", "--date-col", "d", "--amount-col", "a", *extra]
    with pytest.raises(CommandError, match=message):
        _run("summary", "--transactions", str(path), *args)


def test_jalali_copy_of_cdnow_gives_the_same_model(cdnow_path: Path, tmp_path: Path) -> None:
    # The same purchases with Jalali dates in Persian digits, and the observation end given in
    # Jalali too (1376/07/08 = 1997-09-30): the calendar is an input concern, the fit must not
    # move.
    import jdatetime

    from mehvar.core.persian import to_persian_digits

    lines = ["مشتری,تاریخ,مبلغ"]
    for line in cdnow_path.read_text().split("\n"):
        if line.strip():
            customer, _, day, _, amount = line.split()
            gregorian = date(int(day[:4]), int(day[4:6]), int(day[6:]))
            jalali = jdatetime.date.fromgregorian(date=gregorian).strftime("%Y/%m/%d")
            lines.append(f"{customer},{to_persian_digits(jalali)},{amount}")
    source = tmp_path / "cdnow-jalali.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    doc = tmp_path / "j.json"
    _run(
        "clv",
        "--transactions",
        str(source),
        "--customer-col",
        "مشتری",
        "--date-col",
        "تاریخ",
        "--amount-col",
        "مبلغ",
        "--calendar",
        "jalali",
        "--observation-end",
        "1997-09-30",
        "--json",
        str(doc),
    )
    bg = json.loads(doc.read_text(encoding="utf-8"))["bgnbd"]
    assert [round(bg[k], 3) for k in ("r", "alpha", "a", "b")] == [0.243, 4.414, 0.793, 2.426]
