"""``mehvar text sentiment|evaluate --in FILE --text-col T ...``

Runs ``mehvar.text`` on a CSV, TSV or Excel file — no database is touched.

- ``sentiment`` writes the input rows, in order, with ``sentiment`` (positive / neutral /
  negative) and ``score`` (−1…1) columns added, to ``--out`` or to standard output.
- ``evaluate`` compares the model with a labelled column and prints accuracy, macro-F1, the
  per-class table, the confusion matrix and how the labels were read.

Messages are in Persian unless ``--lang en``. Columns may be names or 1-based positions.
Exit status 0 on success, 1 when the input or the options cannot be used.
"""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from mehvar.text.errors import TextInputError
from mehvar.text.files import Evaluation, add_sentiment, evaluate, read_table, write_csv
from mehvar.text.sentiment import SentimentModel, load_model

# The label names as the report shows them (marked here so makemessages finds them).
LABEL_NAMES = {
    "positive": gettext_noop("positive"),
    "neutral": gettext_noop("neutral"),
    "negative": gettext_noop("negative"),
}


class Command(BaseCommand):
    help = "Sentiment of a column of Persian or English text, or its accuracy on labelled text."
    requires_system_checks: list[str] = []  # runs on a file; the database may not even exist
    requires_migrations_checks = False

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("what", choices=["sentiment", "evaluate"])
        parser.add_argument("--in", dest="input", required=True, type=Path, help="CSV/TSV/XLSX")
        parser.add_argument("--text-col", required=True, help="name or 1-based position")
        parser.add_argument("--label-col", help="evaluate: the gold labels' column")
        parser.add_argument(
            "--positive-label", help="evaluate: the label value that means positive (e.g. 0)"
        )
        parser.add_argument("--out", type=Path, help="sentiment: CSV to write (default: stdout)")
        parser.add_argument("--model", type=Path, help="a saved model (default: the shipped one)")
        parser.add_argument("--lang", default="fa", choices=["fa", "en"])

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(options["lang"]):
            try:
                model = load_model(options["model"])
                if options["what"] == "sentiment":
                    self._sentiment(options, model)
                else:
                    if not options["label_col"]:
                        raise CommandError(_("evaluate needs --label-col."))
                    self._evaluate(options, model)
            except TextInputError as error:
                raise CommandError(_(error.template) % error.params) from error

    def _sentiment(self, options: dict[str, Any], model: SentimentModel) -> None:
        table = add_sentiment(read_table(options["input"]), options["text_col"], model=model)
        counts = dict.fromkeys(("positive", "neutral", "negative"), 0)
        for row in table.rows:
            counts[row[-2]] += 1
        summary = _("Rows: %(rows)d; positive: %(positive)d; neutral: %(neutral)d; "
                    "negative: %(negative)d") % {"rows": len(table.rows), **counts}  # fmt: skip
        if options["out"]:
            write_csv(table, options["out"])
            self.stdout.write(summary)
            self.stdout.write(_("Written to %(path)s") % {"path": options["out"]})
        else:
            write_csv(table, self.stdout)  # the CSV is the output; the summary goes aside
            self.stderr.write(summary)

    def _evaluate(self, options: dict[str, Any], model: SentimentModel) -> None:
        result = evaluate(
            read_table(options["input"]),
            options["text_col"],
            options["label_col"],
            positive_label=options["positive_label"],
            model=model,
        )
        self._report(result, model)

    def _report(self, result: Evaluation, model: SentimentModel) -> None:
        write = self.stdout.write
        write(_("Model: %(version)s") % {"version": model.version})
        write(_("Label mapping: %(mapping)s") % {"mapping": result.mapping})
        if result.binary:
            write(_("Gold labels have no neutral class: scored as positive vs negative "
                    "(p(positive) ≥ 0.5, no neutral band)."))  # fmt: skip
        else:
            write(_("Gold labels include neutral: scored on three classes with the neutral band."))
        write(_("Rows evaluated: %(n)d; skipped (no text or no label): %(skipped)d")
              % {"n": result.n, "skipped": result.skipped})  # fmt: skip
        write(_("Accuracy: %(value).3f") % {"value": result.accuracy})
        write(_("Macro-F1: %(value).3f") % {"value": result.macro_f1})
        names = {label: _(LABEL_NAMES[label]) for label in result.labels}
        width = max(len(name) for name in names.values()) + 2
        write("")
        header = [_("precision"), _("recall"), "F1", _("count")]
        write(" " * width + "".join(f"{h:>11}" for h in header))
        for c in result.classes:
            figures = [f"{c.precision:.3f}", f"{c.recall:.3f}", f"{c.f1:.3f}", str(c.support)]
            write(f"{names[c.label]:<{width}}" + "".join(f"{f:>11}" for f in figures))
        write("")
        write(_("Confusion matrix (rows: gold, columns: predicted)"))
        write(" " * width + "".join(f"{names[label]:>11}" for label in result.labels))
        for label, row in zip(result.labels, result.confusion, strict=True):
            write(f"{names[label]:<{width}}" + "".join(f"{count:>11}" for count in row))


if __name__ == "__main__":  # pragma: no cover - run through `mehvar text`
    sys.exit("run as: mehvar text ...")
