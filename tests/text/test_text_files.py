"""Reading and writing tables, label mapping and evaluation of ``mehvar.text.files``."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from mehvar.text.errors import TextInputError
from mehvar.text.files import (
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
