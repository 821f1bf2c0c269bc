"""``mehvar demo``: fill the database with «نگین», a Persian cosmetics chain; print the logins."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mehvar.customers.demo import (
    COMPANY_NAME,
    DemoResult,
    demo_logins,
    generate,
    reset_demo,
)
from mehvar.customers.models import Customer


class Command(BaseCommand):
    help = "Create demo data: employees for every role, customers, orders and contacts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=2000, help="customer records (2000)")
        parser.add_argument("--seed", type=int, default=7, help="random seed (7)")
        parser.add_argument("--years", type=int, default=2, help="years of history (2)")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing but print the logins when customers already exist",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="first DELETE every customer, order, contact, product and tag",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["customers"] < 10 or not 1 <= options["years"] <= 10:
            raise CommandError("Use --customers 10 or more and --years between 1 and 10.")
        existing = Customer.objects.count()
        if existing and options["if_empty"]:
            self.stdout.write(f"mehvar demo: {existing} customers already exist; nothing to do.")
            self.print_logins()
            return
        if existing and not options["reset"]:
            raise CommandError(
                f"The database already has {existing} customers. Use --if-empty to keep them, "
                "or --reset to delete all customer data and create the demo again."
            )
        if options["reset"]:
            reset_demo()
        self.stdout.write(f"mehvar demo: {COMPANY_NAME}")
        result = generate(
            customers=options["customers"], seed=options["seed"], years=options["years"]
        )
        self.print_result(result)
        self.print_logins()

    def print_result(self, r: DemoResult) -> None:
        rows = [
            ("customers (companies)", f"{r.customers} ({r.companies})"),
            ("customers who bought", f"{r.buyers}, of whom {r.one_time_share:.0%} only once"),
            ("products", str(r.products)),
            ("orders (lines)", f"{r.orders} ({r.order_lines})"),
            (
                "contacts by department",
                ", ".join(f"{k} {v}" for k, v in sorted(r.interactions.items())),
            ),
            ("notes / tasks", f"{r.notes} / {r.tasks}"),
            ("consent changes", str(r.consent_changes)),
            ("timeline events", str(r.timeline_events)),
            ("revenue", f"{r.revenue // 10:,} toman"),
            ("top 20% of buyers bring", f"{r.top20_share:.0%} of revenue (Pareto)"),
            ("time", f"{r.seconds:.1f} s"),
        ]
        width = max(len(label) for label, _ in rows)
        for label, value in rows:
            self.stdout.write(f"  {label:<{width}}  {value}")

    def print_logins(self) -> None:
        logins = demo_logins()
        self.stdout.write("")
        self.stdout.write(f"  {'role':<10} {'username':<10} password")
        for login, exists in logins:
            if exists:
                self.stdout.write(f"  {login.role:<10} {login.username:<10} {login.password}")
        self.stdout.write(
            self.style.WARNING(
                "  These passwords are for the demo only: never use them on a real deployment."
            )
        )
