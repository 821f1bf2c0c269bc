"""``mehvar analytics <what> --transactions FILE --customer-col C --date-col D --amount-col A``

Runs one analysis of ``mehvar.analytics`` on a CSV, Excel or Parquet file — no database is
touched. Prints what each cleaning rule did and the headline figures (in Persian unless
``--lang en``), writes the per-customer (or per-period) table with ``--out`` and the full result
with ``--json``. Column names may also be 1-based positions (for files without a header).
Exit status 0 on success, 1 when the input or the options cannot be used.
"""

from __future__ import annotations

from argparse import ArgumentParser, ArgumentTypeError
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from mehvar.analytics.errors import AnalyticsError
from mehvar.analytics.io import arrow_rows, write_csv, write_json
from mehvar.analytics.pipeline import ANALYSES, Options, Outcome, run
from mehvar.analytics.transactions import TransactionSpec
from mehvar.core.jalali import InvalidDate, parse_date
from mehvar.core.persian import to_latin_digits


def _day(text: str) -> date:
    """YYYY-MM-DD in either calendar and any digits: a year before 1700 is Jalali (1376-07-08)."""
    try:
        return parse_date(text, calendar="auto")
    except InvalidDate:
        raise ArgumentTypeError(f"not a YYYY-MM-DD date: {text!r}") from None


def _number(text: str) -> float:
    try:
        return float(to_latin_digits(text.strip()).replace("٫", "."))
    except ValueError:
        raise ArgumentTypeError(f"not a number: {text!r}") from None


class Command(BaseCommand):
    help = "Customer analytics (summary, rfm, pareto, churn, clv, cohorts) on a transaction file."
    requires_system_checks: list[str] = []  # runs on a file; the database may not even exist
    requires_migrations_checks = False

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("what", choices=list(ANALYSES))
        parser.add_argument("--transactions", required=True, type=Path, help="CSV, XLSX or Parquet")
        parser.add_argument("--customer-col", required=True)
        parser.add_argument("--date-col", required=True)
        parser.add_argument("--amount-col", help="the transaction's value")
        parser.add_argument("--quantity-col", help="with --price-col, instead of --amount-col")
        parser.add_argument("--price-col")
        parser.add_argument("--invoice-col", help="groups lines into one transaction")
        parser.add_argument("--cost-col", help="cost of the line (per unit with --quantity-col)")
        parser.add_argument("--status-col", help="rows whose status is 'cancelled' are dropped")
        parser.add_argument(
            "--cancelled-prefix",
            default="C",
            help="invoice numbers starting with this are cancellations ('' to turn off)",
        )
        parser.add_argument("--calendar", choices=["gregorian", "jalali"], default="gregorian")
        parser.add_argument("--freq", choices=["D", "W", "M"], default="W", help="time unit")
        parser.add_argument(
            "--observation-end", type=_day, help="default: the last date (1403-01-05 is Jalali)"
        )
        parser.add_argument("--calibration-end", type=_day, help="clv: fit up to here, then test")
        parser.add_argument("--horizon", type=_number, default=52.0, help="in --freq units")
        parser.add_argument(
            "--discount-rate", type=_number, default=0.0, help="per year, e.g. 0.3 for 30%%"
        )
        parser.add_argument("--bins", type=int, default=5, help="rfm: score levels")
        parser.add_argument("--top-share", type=_number, default=0.2, help="pareto: top group")
        parser.add_argument("--inactive-days", type=int, default=180, help="churn: lapse after")
        parser.add_argument(
            "--churn-definition", choices=["inactivity", "p_alive"], default="inactivity"
        )
        parser.add_argument("--p-alive-threshold", type=_number, default=0.5)
        parser.add_argument("--today", type=_day, help="rows after this day are future-dated")
        parser.add_argument("--threads", type=int, help="engine threads (default: all cores)")
        parser.add_argument("--out", type=Path, help="write the table as CSV")
        parser.add_argument("--json", type=Path, help="write the full result as JSON")
        parser.add_argument("--lang", default="fa", choices=["fa", "en"])

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(options["lang"]):
            try:
                outcome = run(options["what"], self._options(options))
            except AnalyticsError as error:
                raise CommandError(_(error.template) % error.params) from error
            self._print(outcome)
            if options["out"] and outcome.table is not None:
                write_csv(options["out"], outcome.table.column_names, arrow_rows(outcome.table))
            if options["json"]:
                write_json(options["json"], outcome.payload)

    def _options(self, options: dict[str, Any]) -> Options:
        spec = TransactionSpec(
            customer_col=options["customer_col"],
            date_col=options["date_col"],
            amount_col=options["amount_col"],
            quantity_col=options["quantity_col"],
            price_col=options["price_col"],
            invoice_col=options["invoice_col"],
            cost_col=options["cost_col"],
            status_col=options["status_col"],
            cancelled_prefix=options["cancelled_prefix"] or None,
            calendar=options["calendar"],
        )
        return Options(
            transactions=options["transactions"],
            spec=spec,
            freq=options["freq"],
            observation_end=options["observation_end"],
            calibration_end=options["calibration_end"],
            horizon=options["horizon"],
            discount_rate=options["discount_rate"],
            bins=options["bins"],
            top_share=options["top_share"],
            inactive_days=options["inactive_days"],
            churn_definition=options["churn_definition"],
            p_alive_threshold=options["p_alive_threshold"],
            today=options["today"],
            threads=options["threads"],
        )

    def _print(self, outcome: Outcome) -> None:
        report = outcome.cleaning
        if report is not None:
            self.stdout.write(
                _("Rows read: %(read)d; used: %(used)d; customers: %(customers)d")
                % {
                    "read": report.rows_read,
                    "used": report.rows_used,
                    "customers": report.customers,
                }
            )
            for rule in report.rules:
                if rule.rows:
                    self.stdout.write(f"  {_(rule.description)}: {rule.rows} ({_(rule.action)})")
        persian = translation.get_language() == "fa"
        for label, value in outcome.headline:
            shown = "—" if value is None else value
            self.stdout.write(f"{self._label(label, persian)}: {shown}")

    @staticmethod
    def _label(label: str | tuple[str, str], persian: bool) -> str:
        if isinstance(label, tuple):  # names that come in both languages (RFM segments)
            return label[1] if persian else label[0]
        return _(label)
