"""``mehvar text sentiment|evaluate`` end to end through ``call_command`` on small files."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from sklearn.metrics import accuracy_score, f1_score

from mehvar.text.sentiment import analyse, load_model

ROWS = [
    ["id", "comment", "label", "note"],
    ["7", "پیک خیلی مودب بود و غذا داغ رسید", "HAPPY", "a"],
    ["3", "The app keeps crashing, terrible support.", "SAD", "b"],
    ["9", "", "HAPPY", "c"],
    ["1", '=HYPERLINK("http://evil")', "SAD", "-5"],
    ["4", "کیفیتش افتضاح بود و پولم هدر رفت", "SAD", "d"],
    ["2", "Great value, friendly staff!", "HAPPY", "e"],
]


def _write(path: Path, rows: list[list[str]], delimiter: str = ",") -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream, delimiter=delimiter).writerows(rows)
    return path


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("text", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_sentiment_writes_rows_in_order_with_columns_added(tmp_path: Path) -> None:
    source = _write(tmp_path / "in.tsv", ROWS, "\t")
    target = tmp_path / "out.csv"
    printed = _run("sentiment", "--in", str(source), "--text-col", "comment", "--out",
                   str(target), "--lang", "en")  # fmt: skip
    assert "Rows: 6" in printed
    with target.open(encoding="utf-8-sig", newline="") as stream:
        written = list(csv.reader(stream))
    assert written[0] == [*ROWS[0], "sentiment", "score"]
    assert [row[0] for row in written[1:]] == ["7", "3", "9", "1", "4", "2"]
    assert [row[2] for row in written[1:]] == ["HAPPY", "SAD", "HAPPY", "SAD", "SAD", "HAPPY"]
    labels = [row[4] for row in written[1:]]
    assert labels[0] == "positive"
    assert labels[1] == "negative"
    assert labels[2] == "neutral"  # empty text
    assert labels[4] == "negative"
    assert labels[5] == "positive"
    assert written[3][5] == "0.000"
    assert written[4][1] == '\'=HYPERLINK("http://evil")'  # formula guarded
    assert written[4][3] == "-5"  # a number stays a number
    assert float(written[2][5]) < 0  # our negative score is not guarded
    expected = analyse([row[1] for row in ROWS[1:]])
    assert [float(row[5]) for row in written[1:]] == [result.score for result in expected]


def test_sentiment_to_stdout_by_column_position(tmp_path: Path) -> None:
    source = _write(tmp_path / "in.csv", ROWS)
    printed = _run("sentiment", "--in", str(source), "--text-col", "2")
    rows = list(csv.reader(io.StringIO(printed)))
    assert rows[0][-2:] == ["sentiment", "score"]
    assert len(rows) == len(ROWS)


def test_bad_column_is_a_command_error_naming_the_columns(tmp_path: Path) -> None:
    source = _write(tmp_path / "in.csv", ROWS)
    with pytest.raises(CommandError, match="'id', 'comment', 'label', 'note'"):
        _run("sentiment", "--in", str(source), "--text-col", "text", "--lang", "en")
    with pytest.raises(CommandError):
        _run("evaluate", "--in", str(source), "--text-col", "comment")  # no --label-col
    with pytest.raises(CommandError, match="not found"):
        _run("sentiment", "--in", str(tmp_path / "nope.csv"), "--text-col", "1", "--lang", "en")


def _figure(printed: str, name: str) -> float:
    found = re.search(rf"{name}: ([0-9.]+)", printed)
    assert found is not None, printed
    return float(found.group(1))


def test_evaluate_binary_gold_matches_a_computation_on_the_same_file(tmp_path: Path) -> None:
    rows = [
        ["text", "gold"],
        ["خیلی عالی بود، ممنونم", "positive"],
        ["کیفیتش افتضاح بود", "negative"],
        ["سفارشم کی میرسه؟", "negative"],  # a question: neutral in three classes
        ["The staff were lovely", "positive"],
        ["Broken on arrival, nobody replies", "negative"],
        ["بسته دیر رسید ولی سالم بود", "positive"],
        ["", "positive"],
    ]
    source = _write(tmp_path / "gold.csv", rows)
    printed = _run("evaluate", "--in", str(source), "--text-col", "text", "--label-col", "gold",
                   "--lang", "en")  # fmt: skip
    texts = [row[0] for row in rows[1:-1]]
    gold = [row[1] for row in rows[1:-1]]
    p = load_model().positive_probability(texts)
    predicted = ["positive" if q >= 0.5 else "negative" for q in p]
    assert "no neutral class" in printed
    assert "Rows evaluated: 6; skipped (no text or no label): 1" in printed
    assert _figure(printed, "Accuracy") == round(accuracy_score(gold, predicted), 3)
    assert _figure(printed, "Macro-F1") == round(f1_score(gold, predicted, average="macro"), 3)
    assert "neutral" not in printed.split("Confusion matrix")[1]


def test_evaluate_three_classes_with_star_ratings(tmp_path: Path) -> None:
    rows = [
        ["stars", "review"],
        ["5", "Excellent service, thank you!"],
        ["1", "Terrible, they lost my parcel."],
        ["3", "What time do you open?"],
        ["4", "خیلی خوب بود"],
    ]
    source = _write(tmp_path / "stars.csv", rows)
    printed = _run("evaluate", "--in", str(source), "--text-col", "review", "--label-col",
                   "stars", "--lang", "en")  # fmt: skip
    assert "star ratings: 1-2 = negative, 3 = neutral, 4-5 = positive" in printed
    assert "three classes" in printed
    results = analyse([row[1] for row in rows[1:]])
    gold = ["positive", "negative", "neutral", "positive"]
    predicted = [result.label for result in results]
    assert _figure(printed, "Macro-F1") == round(f1_score(gold, predicted, average="macro"), 3)


def test_evaluate_zero_one_labels_and_positive_label(tmp_path: Path) -> None:
    rows = [["t", "y"], ["عالی بود", "0"], ["افتضاح بود", "1"], ["خیلی خوب", "0"]]
    source = _write(tmp_path / "01.csv", rows)
    flipped = _run("evaluate", "--in", str(source), "--text-col", "t", "--label-col", "y",
                   "--positive-label", "0", "--lang", "en")  # fmt: skip
    assert "'0' = positive, '1' = negative" in flipped
    assert _figure(flipped, "Accuracy") == 1.0
    default = _run("evaluate", "--in", str(source), "--text-col", "t", "--label-col", "y",
                   "--lang", "en")  # fmt: skip
    assert "1 = positive, 0 = negative" in default
    assert _figure(default, "Accuracy") == 0.0


def test_unknown_labels_fail_with_the_values(tmp_path: Path) -> None:
    source = _write(tmp_path / "odd.csv", [["t", "y"], ["خوب", "great"], ["بد", "awful"]])
    with pytest.raises(CommandError, match="'awful', 'great'"):
        _run("evaluate", "--in", str(source), "--text-col", "t", "--label-col", "y",
             "--lang", "en")  # fmt: skip


def test_persian_output_by_default(tmp_path: Path) -> None:
    source = _write(tmp_path / "in.csv", ROWS)
    with pytest.raises(CommandError) as caught:
        _run("sentiment", "--in", str(source), "--text-col", "متن")
    assert "متن" in str(caught.value)


def test_a_file_that_is_not_a_model_is_refused(tmp_path: Path) -> None:
    source = _write(tmp_path / "in.csv", ROWS)
    bogus = tmp_path / "model.joblib"
    bogus.write_bytes(b"not a pickle")
    with pytest.raises(CommandError, match="Cannot load a sentiment model"):
        _run("sentiment", "--in", str(source), "--text-col", "2", "--model", str(bogus),
             "--lang", "en")  # fmt: skip
