"""Reading and writing tables, label mapping and evaluation of ``mehvar.text.files``."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from mehvar.text import files
from mehvar.text.errors import TextInputError
from mehvar.text.files import (
    TOO_LARGE_UNPACKED,
    TOO_MANY_COLUMNS,
    TOO_MANY_ROWS,
    Table,
    add_sentiment,
    column_index,
    evaluate,
    map_labels,
    read_table,
    write_csv,
)


def test_read_csv_tsv_semicolon_keep_rows_and_columns(tmp_path: Path) -> None:
    rows = [["id", "نظر", "extra"], ["1", "عالی بود", "x"], ["2", "", "y"], ["3", "بد بود"]]
    for name, delimiter in (("a.csv", ","), ("b.tsv", "\t"), ("c.txt", ";")):
        path = tmp_path / name
        with path.open("w", encoding="utf-8-sig", newline="") as stream:
            csv.writer(stream, delimiter=delimiter).writerows(rows)
        table = read_table(path)
        assert table.columns == ["id", "نظر", "extra"]
        assert table.rows == [["1", "عالی بود", "x"], ["2", "", "y"], ["3", "بد بود", ""]]


def test_read_windows_1256(tmp_path: Path) -> None:
    # Windows-1256 has no Persian yeh: legacy files carry the Arabic ي, which normalising folds.
    comment = "پيک خيلي مودب بود"
    path = tmp_path / "legacy.csv"
    path.write_bytes(f"متن,برچسب\r\n{comment},مثبت\r\n".encode("cp1256"))
    table = read_table(path)
    assert table.columns == ["متن", "برچسب"]
    assert table.rows == [[comment, "مثبت"]]
    assert add_sentiment(table, "متن").rows[0][2] == "positive"


def test_read_xlsx(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["comment", "stars"])
    sheet.append(["خیلی خوب بود", 5])
    sheet.append([None, 1.0])
    book.save(tmp_path / "in.xlsx")
    table = read_table(tmp_path / "in.xlsx")
    assert table.columns == ["comment", "stars"]
    assert table.rows == [["خیلی خوب بود", "5"], ["", "1"]]


def _sparse_sheet(path: Path, cells: dict[str, object]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for coordinate, value in cells.items():
        sheet[coordinate] = value
    book.save(path)
    return path


def test_an_xlsx_with_a_far_cell_is_refused_without_reading_its_stated_size(
    tmp_path: Path,
) -> None:
    # 4.8 KB: A1, XFD1 and A20001; read as its stated dimensions, 327 million cells.
    path = _sparse_sheet(tmp_path / "wide.xlsx", {"A1": "comment", "XFD1": "x", "A20001": "z"})
    for limits in ({}, {"max_rows": 20_000, "max_columns": 200}):
        with pytest.raises(TextInputError) as caught:
            read_table(path, **limits)  # type: ignore[arg-type]
        assert caught.value.template == TOO_MANY_COLUMNS
        assert caught.value.params["max"] == limits.get("max_columns", files.MAX_COLUMNS)


def test_an_xlsx_is_read_by_its_cells_not_its_row_numbers(tmp_path: Path) -> None:
    # A gap of 20,000 blank rows is no row at all: the two rows with values are read.
    path = _sparse_sheet(tmp_path / "gap.xlsx", {"A1": "comment", "C1": "n", "A20001": "late"})
    table = read_table(path, max_rows=1, max_columns=3)
    assert table.columns == ["comment", "", "n"]
    assert table.rows == [["late", "", ""]]
    # One data row too many stops the reading; the sheet's rows are not counted to the end.
    path = _sparse_sheet(tmp_path / "long.xlsx", {"A1": "c", "A2": "1", "A3": "2", "A9": "3"})
    with pytest.raises(TextInputError) as caught:
        read_table(path, max_rows=2)
    assert caught.value.template == TOO_MANY_ROWS
    assert caught.value.params == {"path": str(path), "max": 2, "rows": None}
    assert len(read_table(path, max_rows=3).rows) == 3


def test_an_xlsx_that_unpacks_too_large_is_refused_before_it_is_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _sparse_sheet(tmp_path / "big.xlsx", {"A1": "comment", "A2": "خوب " * 2000})
    assert read_table(path).rows[0][0].startswith("خوب")
    monkeypatch.setattr(files, "MAX_UNPACKED_BYTES", 10_000)

    def never(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr("openpyxl.load_workbook", never)
    with pytest.raises(TextInputError) as caught:
        read_table(path)
    assert caught.value.template == TOO_LARGE_UNPACKED


def test_a_csv_past_the_limits_is_refused_and_its_rows_counted(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("comment\na\n\nb\nc\n", encoding="utf-8")
    assert [row[0] for row in read_table(path, max_rows=3).rows] == ["a", "b", "c"]
    with pytest.raises(TextInputError) as caught:
        read_table(path, max_rows=2)
    assert caught.value.template == TOO_MANY_ROWS
    assert caught.value.params["rows"] == 3  # blank rows are not counted
    path.write_text("a,b,c\n1,2,3,4\n", encoding="utf-8")
    assert read_table(path, max_columns=4).columns == ["a", "b", "c", "column_4"]
    with pytest.raises(TextInputError) as caught:
        read_table(path, max_columns=3)
    assert caught.value.template == TOO_MANY_COLUMNS
    # Without limits (``mehvar text``) the columns are still bounded.
    path.write_text(",".join(["x"] * (files.MAX_COLUMNS + 1)) + "\n", encoding="utf-8")
    with pytest.raises(TextInputError) as caught:
        read_table(path)
    assert caught.value.template == TOO_MANY_COLUMNS


def test_column_by_name_case_or_position_else_error_naming_columns() -> None:
    table = Table(["id", "Comment"], [["1", "x"]])
    assert column_index(table, "Comment") == 1
    assert column_index(table, "comment") == 1
    assert column_index(table, "2") == 1
    assert column_index(table, "۱") == 0
    with pytest.raises(TextInputError) as caught:
        column_index(table, "text")
    assert "'text'" in str(caught.value)
    assert "'id', 'Comment'" in str(caught.value)


def test_write_csv_guards_formulas_but_not_numbers_or_our_score(tmp_path: Path) -> None:
    table = Table(
        ["text", "amount", "sentiment", "score"],
        [
            ['=HYPERLINK("http://x","y")', "-12.5", "negative", "-0.800"],
            ["+98912", "+3", "positive", "0.900"],
            ["@SUM(A1)", "-x", "neutral", "0.000"],
            ["\tTAB", "5", "neutral", "-0.100"],
        ],
    )
    out = tmp_path / "out.csv"
    write_csv(table, out)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM, so Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[1] == ['\'=HYPERLINK("http://x","y")', "-12.5", "negative", "-0.800"]
    assert rows[2] == ["+98912", "+3", "positive", "0.900"]  # numbers are not formulas
    assert rows[3] == ["'@SUM(A1)", "'-x", "neutral", "0.000"]
    assert rows[4] == ["'\tTAB", "5", "neutral", "-0.100"]


def test_write_csv_guards_the_inputs_own_score_and_sentiment_columns() -> None:
    table = Table(
        ["score", "sentiment", "text"],
        [['=HYPERLINK("x")', "@cmd", "افتضاح بود، پولم هدر رفت"], ["-3", "+x", "عالی بود"]],
    )
    out = io.StringIO()
    write_csv(add_sentiment(table, "text"), out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == ["score", "sentiment", "text", "sentiment", "score"]
    assert rows[1][:2] == ['\'=HYPERLINK("x")', "'@cmd"]
    assert rows[2][:2] == ["-3", "'+x"]
    # Ours, appended, are written as they are: a label, and a number even when negative.
    assert rows[1][3] == "negative"
    assert rows[1][4].startswith("-")
    assert float(rows[1][4]) < 0


def test_add_sentiment_keeps_order_and_empty_rows() -> None:
    table = Table(["n", "t"], [["1", "خیلی عالی بود، ممnون"], ["2", "   "], ["3", "افتضاح بود"]])
    result = add_sentiment(table, "t")
    assert result.columns == ["n", "t", "sentiment", "score"]
    assert [row[0] for row in result.rows] == ["1", "2", "3"]
    assert result.rows[1][2:] == ["neutral", "0.000"]
    assert result.rows[0][2] == "positive"
    assert result.rows[2][2] == "negative"


@pytest.mark.parametrize(
    ("values", "positive_label", "expected", "mapping"),
    [
        (["HAPPY", "sad", ""], None, ["positive", "negative", None], "label names"),
        (["pos", "neg", "neu"], None, ["positive", "negative", "neutral"], "label names"),
        (["مثبت", "منفی", "خنثی"], None, ["positive", "negative", "neutral"], "label names"),
        (["1", "0", "1"], None, ["positive", "negative", "positive"], "1 = positive"),
        (["1", "0", "۱"], "0", ["negative", "positive", "negative"], "'0' = positive"),
        (
            ["5", "3", "1", "4", "2"],
            None,
            ["positive", "neutral", "negative", "positive", "negative"],
            "star ratings",
        ),
        (["-1", "0", "1"], None, ["negative", "neutral", "positive"], "the sign"),
        (
            ["-2", "-1", "0", "1", "2"],
            None,
            ["negative", "negative", "neutral", "positive", "positive"],
            "the sign",
        ),
        (["Mixed", "POSITIVE"], None, ["neutral", "positive"], "label names"),
        (["2", "0", "1"], None, ["positive", "negative", "neutral"], "0 = negative"),
        (["yes", "no"], "yes", ["positive", "negative"], "'yes' = positive"),
    ],
)
def test_label_mapping(
    values: list[str], positive_label: str | None, expected: list[str | None], mapping: str
) -> None:
    mapped, used = map_labels(values, column="label", positive_label=positive_label)
    assert mapped == expected
    assert used.startswith(mapping)


def test_unknown_labels_are_named() -> None:
    with pytest.raises(TextInputError) as caught:
        map_labels(["positive", "meh", "so-so"], column="gold")
    assert "'meh', 'so-so'" in str(caught.value)
    with pytest.raises(TextInputError):
        map_labels(["1", "0"], column="gold", positive_label="yes")


def test_evaluate_binary_gold_uses_the_plain_decision() -> None:
    table = Table(
        ["text", "label"],
        [
            ["خیلی عالی بود، ممنون", "HAPPY"],
            ["افتضاح بود، پولم هدر رفت", "SAD"],
            ["سفارشم کی میرسه؟", "SAD"],  # a question: neutral with the band, polar here
            ["", "HAPPY"],  # skipped
        ],
    )
    result = evaluate(table, "text", "label")
    assert result.binary
    assert result.labels == ["positive", "negative"]
    assert result.n == 3
    assert result.skipped == 1
    assert sum(map(sum, result.confusion)) == 3
