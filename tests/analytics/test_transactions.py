"""Loading and cleaning: every dirty-data rule, each on a small file, and every input format."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from mehvar.analytics.engine import connect
from mehvar.analytics.errors import InputError
from mehvar.analytics.transactions import Purchases, TransactionSpec, load_transactions

TODAY = date(2025, 1, 1)
SPEC = TransactionSpec(customer_col="customer", date_col="date", amount_col="amount")


def _load(path: Path, spec: TransactionSpec = SPEC, **kwargs: object) -> Purchases:
    return load_transactions(path, spec, con=connect(threads=1), today=TODAY, **kwargs)  # type: ignore[arg-type]


def _rows(purchases: Purchases) -> list[tuple[object, date, float]]:
    table = purchases.table.order_by(["customer_id", "date"]).to_pyarrow()
    return [(r["customer_id"], r["date"], r["amount"]) for r in table.to_pylist()]


def _csv(tmp_path: Path, text: str, name: str = "tx.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def test_clean_file_becomes_one_row_per_customer_day(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "customer,date,amount\n"
        "a,2024-01-01,10\n"
        "a,2024-01-01,5\n"  # same day: one purchase day worth 15
        "a,2024-02-01,7.5\n"
        "b,2024-01-03,20\n",
    )
    purchases = _load(path)
    assert _rows(purchases) == [
        ("a", date(2024, 1, 1), 15.0),
        ("a", date(2024, 2, 1), 7.5),
        ("b", date(2024, 1, 3), 20.0),
    ]
    report = purchases.report
    assert (report.rows_read, report.rows_used, report.customers) == (4, 4, 2)
    assert purchases.observation_end == date(2024, 2, 1)  # the last date by default
    assert all(rule.rows == 0 for rule in report.rules)


def test_missing_customer_bad_date_and_bad_amount_are_dropped_and_counted(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "customer,date,amount\n"
        ",2024-01-01,10\n"
        "   ,2024-01-01,10\n"
        "a,,10\n"
        "a,not a date,10\n"
        "a,2024-02-30,10\n"
        "a,2024-01-05,\n"
        "a,2024-01-05,ten\n"
        "a,2024-01-06,12\n",
    )
    purchases = _load(path)
    report = purchases.report
    assert report.count("missing_customer") == 2
    assert report.count("bad_date") == 3
    assert report.count("bad_amount") == 2
    assert _rows(purchases) == [("a", date(2024, 1, 6), 12.0)]
    assert report.rows_used == 1


def test_exact_duplicates_of_an_invoice_are_dropped(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "invoice,customer,date,amount\n"
        "1001,a,2024-01-01,10\n"
        "1001,a,2024-01-01,10\n"  # the export appended twice
        "1002,a,2024-01-01,10\n",  # another invoice with the same value is a real purchase
    )
    spec = TransactionSpec(
        customer_col="customer", date_col="date", amount_col="amount", invoice_col="invoice"
    )
    purchases = _load(path, spec)
    assert purchases.report.count("duplicate") == 1
    assert _rows(purchases) == [("a", date(2024, 1, 1), 20.0)]


def test_identical_rows_without_invoice_are_kept(tmp_path: Path) -> None:
    # Without invoice numbers, two equal rows may be two equal purchases on one day.
    path = _csv(tmp_path, "customer,date,amount\na,2024-01-01,10\na,2024-01-01,10\n")
    purchases = _load(path)
    assert purchases.report.count("duplicate") == 0
    assert _rows(purchases) == [("a", date(2024, 1, 1), 20.0)]


def test_cancelled_invoices_by_status_and_by_prefix(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "invoice,customer,date,amount,status\n"
        "1,a,2024-01-01,10,paid\n"
        "2,a,2024-01-02,30,لغو شده\n"
        "2,a,2024-01-02,5,paid\n"  # a cancelled invoice goes whole, every line
        "C3,a,2024-01-03,-10,\n"
        "4,b,2024-01-04,8,Cancelled\n",
    )
    spec = TransactionSpec(
        customer_col="customer",
        date_col="date",
        amount_col="amount",
        invoice_col="invoice",
        status_col="status",
    )
    purchases = _load(path, spec)
    assert purchases.report.count("cancelled") == 4
    assert _rows(purchases) == [("a", date(2024, 1, 1), 10.0)]


def test_future_dates_are_dropped(tmp_path: Path) -> None:
    path = _csv(
        tmp_path, "customer,date,amount\na,2024-06-01,10\na,2025-01-02,10\nb,2031-01-01,5\n"
    )
    purchases = _load(path)
    assert purchases.report.count("future") == 2
    assert _rows(purchases) == [("a", date(2024, 6, 1), 10.0)]
    assert purchases.report.customers == 1


def test_returns_are_netted_and_negative_transactions_dropped(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "invoice,customer,date,quantity,price\n"
        "1,a,2024-01-01,3,100\n"
        "1,a,2024-01-01,-1,100\n"  # returned one of three: the invoice is worth 200
        "2,a,2024-01-05,-2,100\n"  # a return booked on its own invoice is not a purchase
        "3,b,2024-01-06,1,100\n"
        "3,b,2024-01-06,-1,100\n"  # fully returned: nets to zero, not a purchase
        "4,c,2024-01-07,1,0\n",  # a free item with no return is still a visit
    )
    spec = TransactionSpec(
        customer_col="customer",
        date_col="date",
        quantity_col="quantity",
        price_col="price",
        invoice_col="invoice",
    )
    purchases = _load(path, spec)
    report = purchases.report
    assert report.count("returns_netted") == 1
    assert report.count("non_positive") == 3
    assert _rows(purchases) == [("a", date(2024, 1, 1), 200.0), ("c", date(2024, 1, 7), 0.0)]


def test_cost_is_per_unit_with_quantities(tmp_path: Path) -> None:
    path = _csv(tmp_path, "c,d,q,p,cost\na,2024-01-01,2,100,60\na,2024-01-01,1,50,20\n")
    spec = TransactionSpec(
        customer_col="c", date_col="d", quantity_col="q", price_col="p", cost_col="cost"
    )
    table = _load(path, spec).table.to_pyarrow().to_pylist()
    assert table == [{"customer_id": "a", "date": date(2024, 1, 1), "amount": 250.0, "cost": 140.0}]


def test_rows_after_the_observation_end_are_kept_for_holdout_but_counted(tmp_path: Path) -> None:
    path = _csv(tmp_path, "customer,date,amount\na,2024-01-01,10\na,2024-03-01,10\n")
    purchases = _load(path, observation_end=date(2024, 2, 1))
    assert purchases.observation_end == date(2024, 2, 1)
    assert purchases.report.count("after_observation_end") == 1
    assert len(_rows(purchases)) == 2


def test_persian_digits_separators_and_arabic_letters_in_values(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "مشتری,تاریخ,مبلغ\n"
        '۱۲۳,۲۰۲۴-۰۱-۰۱,"۱۲۰٬۰۰۰"\n'
        '123,2024/01/02,"1,500.5"\n'  # the same customer in Latin digits
        "٤٥,2024-01-03 10:30:00,٣٠٠\n",
    )
    spec = TransactionSpec(customer_col="مشتری", date_col="تاریخ", amount_col="مبلغ")
    assert _rows(_load(path, spec)) == [
        ("123", date(2024, 1, 1), 120000.0),
        ("123", date(2024, 1, 2), 1500.5),
        ("45", date(2024, 1, 3), 300.0),
    ]


def test_jalali_dates(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "customer,date,amount\n"
        "a,1402/12/29,10\n"  # the last day of 1402 is 2024-03-19
        "a,۱۴۰۳/۰۱/۰۱,10\n"  # Nowruz 1403 is 2024-03-20
        "a,1403-1-5 08:00,10\n"
        "a,1403/13/01,10\n",  # no 13th month: a bad date, reported
    )
    spec = TransactionSpec(
        customer_col="customer", date_col="date", amount_col="amount", calendar="jalali"
    )
    purchases = _load(path, spec)
    assert [row[1] for row in _rows(purchases)] == [
        date(2024, 3, 19),
        date(2024, 3, 20),
        date(2024, 3, 24),
    ]
    assert purchases.report.count("bad_date") == 1


def test_jalali_dates_the_csv_reader_took_for_gregorian(tmp_path: Path) -> None:
    # Uniform "1403/01/05" values look like dates to DuckDB's sniffer (year 1403 AD).
    path = _csv(tmp_path, "customer,date,amount\na,1403/01/05,10\nb,1403/02/10,10\n")
    spec = TransactionSpec(
        customer_col="customer", date_col="date", amount_col="amount", calendar="jalali"
    )
    assert [row[1] for row in _rows(_load(path, spec))] == [date(2024, 3, 24), date(2024, 4, 29)]


def test_windows_1256_csv_with_arabic_letters_is_read(tmp_path: Path) -> None:
    # Windows-1256 has no Persian yeh: Excel saves the Arabic one, in the header and the data.
    path = _csv(tmp_path, "مشتري;تاريخ;مبلغ\nعلي;2024-01-01;10\n", encoding="cp1256")
    spec = TransactionSpec(customer_col="مشتری", date_col="تاریخ", amount_col="مبلغ")
    assert _rows(_load(path, spec)) == [("علی", date(2024, 1, 1), 10.0)]


def test_whitespace_separated_file_without_header_by_position(tmp_path: Path) -> None:
    path = _csv(
        tmp_path, " 00004 0001 19970101  2   29.33\n 00004 0001 19970118  2   29.73\n", "s.txt"
    )
    spec = TransactionSpec(customer_col="1", date_col="3", amount_col="5")
    assert _rows(_load(path, spec)) == [
        ("00004", date(1997, 1, 1), 29.33),
        ("00004", date(1997, 1, 18), 29.73),
    ]


def test_excel_and_parquet_inputs(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["customer", "date", "amount"])
    sheet.append([7, date(2024, 1, 1), 10])
    sheet.append([7, "2024-01-09", "12"])  # a text cell among dates: parsed, not dropped
    book.save(tmp_path / "tx.xlsx")
    assert _rows(_load(tmp_path / "tx.xlsx")) == [
        (7, date(2024, 1, 1), 10.0),
        (7, date(2024, 1, 9), 12.0),
    ]
    table = pa.table(
        {"customer": ["x", "y"], "date": [date(2024, 1, 1), date(2024, 1, 2)], "amount": [1.0, 2.0]}
    )
    pq.write_table(table, tmp_path / "tx.parquet")
    assert _rows(_load(tmp_path / "tx.parquet")) == [
        ("x", date(2024, 1, 1), 1.0),
        ("y", date(2024, 1, 2), 2.0),
    ]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (TransactionSpec(customer_col="who", date_col="date", amount_col="amount"), "who"),
        (TransactionSpec(customer_col="customer", date_col="date"), "amount column"),
        (
            TransactionSpec(
                customer_col="customer", date_col="date", amount_col="amount", quantity_col="q"
            ),
            "amount column",
        ),
    ],
)
def test_unusable_columns_give_a_clear_error(
    tmp_path: Path, spec: TransactionSpec, message: str
) -> None:
    path = _csv(tmp_path, "customer,date,amount\na,2024-01-01,1\n")
    with pytest.raises(InputError, match=message):
        _load(path, spec)


def test_nothing_usable_is_an_error_not_a_crash(tmp_path: Path) -> None:
    path = _csv(tmp_path, "customer,date,amount\n,2024-01-01,1\na,bad,1\n")
    with pytest.raises(InputError, match="No usable purchase"):
        _load(path)


def test_unknown_file_type_and_missing_file(tmp_path: Path) -> None:
    (tmp_path / "tx.doc").write_text("x")
    with pytest.raises(InputError, match="Unsupported file type"):
        _load(tmp_path / "tx.doc")
    with pytest.raises(InputError, match="File not found"):
        _load(tmp_path / "nope.csv")
