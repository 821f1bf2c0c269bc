"""Find anyone among a million customers: mehvar's search against a naive full scan, in one run.

    .venv/bin/python bench/search_customers.py                       # 1,000,000 on SQLite
    .venv/bin/python bench/search_customers.py --customers 20000     # a quick run
    .venv/bin/python bench/search_customers.py --database-url postgres://postgres@127.0.0.1:5432/test

"Ours" is what the customer list, the API and the search box run:
``customer_list(viewer, CustomerFilters(q=...))[:25]``, i.e. prefix ranges on indexed, normalised
columns. The peer, measured on the same rows in the same run, is what a spreadsheet-like CRM does:
``icontains`` over the raw name, mobile, email and national-code columns, which no index can
serve. The database is built once per size and reused (SQLite: bench/out/search-N/; PostgreSQL:
a database mehvar_bench_N, dropped at the end unless --keep). Figures go to bench/out/search.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
KINDS = (
    "name_prefix",
    "last_name",
    "full_name",
    "mobile_prefix",
    "mobile_full",
    "email_prefix",
    "national_code",
)
PAGE = 25


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=500, help="queries of each kind (ours)")
    parser.add_argument("--naive-queries", type=int, default=30, help="of each kind, naive scan")
    parser.add_argument("--database-url", default="", help="a PostgreSQL server to run it on")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument("--rebuild", action="store_true", help="build the data again")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--explain", action="store_true", help="print a query plan per kind")
    parser.add_argument(
        "--analyze",
        action="store_true",
        help="SQLite: gather planner statistics first (ANALYZE); PostgreSQL always has them",
    )
    parser.add_argument(
        "--budget", type=float, default=120, help="seconds at most per kind and approach"
    )
    return parser.parse_args()


# --- the database ----------------------------------------------------------------------------


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _pg_count(url: str) -> int | None:
    """Customers in an existing bench database; None when it does not exist or is unfinished."""
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            row = conn.execute(
                "SELECT count(*) FROM customers_customer WHERE EXISTS "
                "(SELECT 1 FROM pg_class WHERE relname = 'bench_complete')"
            ).fetchone()
            return int(row[0]) if row and row[0] else None
    except psycopg.Error:
        return None


def _pg_admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(_with_db(url, "postgres"), autocommit=True) as conn:
        conn.execute(sql)


def prepare_database(args: argparse.Namespace) -> tuple[str, bool]:
    """Point Django at the bench database; True when it already holds the customers."""
    n = args.customers
    data_dir = OUT / f"search-{n}"
    os.environ["MEHVAR_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "mehvar.settings"
    os.environ["DEBUG"] = "false"  # no query log: time what production runs
    if args.database_url:
        name = f"mehvar_bench_{n}"
        url = _with_db(args.database_url, name)
        ready = not args.rebuild and _pg_count(url) == n
        if not ready:
            _pg_admin(args.database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            _pg_admin(args.database_url, f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = url
        return f"postgresql ({name})", ready
    os.environ.pop("DATABASE_URL", None)
    marker = data_dir / "complete"
    ready = not args.rebuild and marker.exists()
    if not ready and data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite ({data_dir / 'mehvar.sqlite3'})", ready


def drop_database(args: argparse.Namespace) -> None:
    from django.db import connections

    connections.close_all()
    name = f"mehvar_bench_{args.customers}"
    _pg_admin(args.database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- building a million customers ------------------------------------------------------------


def _zipf(pairs: tuple[tuple[str, str], ...]) -> list[float]:
    """Real names are skewed: the first names on our lists are the most common ones."""
    return [1 / (rank + 4) for rank in range(len(pairs))]


def customer_rows(n: int, seed: int, owners: list[int]) -> Iterator[dict[str, Any]]:
    """Rows with the values the services would store, search keys by the same code."""
    from mehvar.core.national_id import national_code_check_digit
    from mehvar.core.provinces import MAJOR_CITIES
    from mehvar.customers import demo
    from mehvar.customers.models import Customer, CustomerKind
    from mehvar.customers.services import refresh_search_keys

    rnd = random.Random(seed)
    female, male, last = demo.FEMALE_NAMES, demo.MALE_NAMES, demo.LAST_NAMES
    weights = {id(p): _zipf(p) for p in (female, male, last)}
    provinces = [p[0] for p in demo._PROVINCE_PLAN]
    province_weights = [p[1] for p in demo._PROVINCE_PLAN]
    operators = ("912", "919", "990", "935", "936", "937", "938", "939", "901", "902", "921")
    operators += ("913", "915", "917", "914", "911", "916", "918")
    keys: dict[tuple[str, str], tuple[str, str]] = {}
    mobiles: set[str] = set()
    codes: set[str] = set()
    now = datetime.now(UTC)

    def name_keys(first: str, last_name: str) -> tuple[str, str]:
        if (first, last_name) not in keys:
            probe = Customer(kind=CustomerKind.PERSON, first_name=first, last_name=last_name)
            refresh_search_keys(probe)
            keys[first, last_name] = (probe.name_key, probe.name_key_rev)
        return keys[first, last_name]

    for i in range(n):
        province = rnd.choices(provinces, weights=province_weights)[0]
        row: dict[str, Any] = {
            "kind": "person",
            "province": province,
            "city": MAJOR_CITIES[province][0 if rnd.random() < 0.7 else rnd.randrange(1, 4)],
            "owner_id": rnd.choice(owners) if rnd.random() < 0.8 else None,
            "created_at": now - timedelta(days=rnd.uniform(0, 3 * 365)),
            "birth_date": date(1960, 1, 1) + timedelta(days=rnd.randrange(45 * 365)),
            "lifecycle_stage": rnd.choice(("lead", "customer", "customer", "former")),
            "acquisition_source": rnd.choice(("walk_in", "website", "instagram", "referral")),
        }
        if rnd.random() < 0.02:
            brand = rnd.choice(demo.BRAND_WORDS)
            name = rnd.choice(demo.COMPANY_KINDS)[0].format(brand=brand[0], last=last[0][0])
            probe = Customer(kind=CustomerKind.COMPANY, company_name=f"{name} {row['city']}")
            refresh_search_keys(probe)
            row.update(kind="company", company_name=probe.company_name)
            row.update(name_key=probe.name_key, name_key_rev=probe.name_key_rev)
            first_en, last_en = brand[1], f"co{i}"
        else:
            names = female if rnd.random() < 0.6 else male
            first, first_en = rnd.choices(names, weights=weights[id(names)])[0]
            family, last_en = rnd.choices(last, weights=weights[id(last)])[0]
            row.update(first_name=first, last_name=family)
            row["name_key"], row["name_key_rev"] = name_keys(first, family)
        while (mobile := f"+98{rnd.choice(operators)}{rnd.randrange(10_000_000):07d}") in mobiles:
            pass
        mobiles.add(mobile)
        row["mobile"] = mobile
        if rnd.random() < 0.85:
            while True:
                body = f"{rnd.randrange(1_000_000_000):09d}"
                code = body + str(national_code_check_digit(body))
                if code not in codes and len(set(code)) > 1:
                    break
            codes.add(code)
            row["national_id"] = code
        if rnd.random() < 0.35:
            domain = rnd.choice(("gmail.com", "gmail.com", "yahoo.com", "outlook.com", "chmail.ir"))
            row["email"] = f"{first_en}.{last_en}{rnd.randrange(1, 10_000)}@{domain}"
            row["email_key"] = row["email"].lower()
        yield row


def build(n: int, seed: int) -> float:
    """Insert n customers in big batches: executemany on SQLite, COPY on PostgreSQL."""
    from django.db import connection, transaction

    from mehvar.core.models import User
    from mehvar.customers.models import Customer

    started = time.perf_counter()
    User.objects.get_or_create(username="bench-admin", defaults={"role": "admin"})
    owners = []
    for i in range(20):
        user, _ = User.objects.get_or_create(
            username=f"bench-sales-{i}", defaults={"role": "sales"}
        )
        owners.append(user.pk)
    fields = [f for f in Customer._meta.concrete_fields if not f.primary_key]
    defaults = {}
    for f in fields:
        value = f.get_default() if f.has_default() else (None if f.null else "")
        if f.attname in {"created_at", "updated_at"}:
            continue
        defaults[f.attname] = f.get_db_prep_save(value, connection)
    columns = [f.column for f in fields]
    table = Customer._meta.db_table
    postgres = connection.vendor == "postgresql"
    when_now = datetime.now(UTC)
    adapt = connection.ops.adapt_datetimefield_value
    batch: list[tuple[Any, ...]] = []

    def flush() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            if postgres:
                sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
                with cursor.cursor.copy(sql) as copy:
                    for row in batch:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                # Table and column names come from the model, never from input.
                insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
                cursor.executemany(insert, batch)
        batch.clear()

    indexes = drop_indexes(table)
    for i, row in enumerate(customer_rows(n, seed, owners), start=1):
        row["updated_at"] = when_now
        values = []
        for f in fields:
            if f.attname in row:
                value = row[f.attname]
                if f.attname in {"created_at", "updated_at"} and not postgres:
                    value = adapt(value)
                elif f.attname == "birth_date" and not postgres:
                    value = value.isoformat()
                values.append(value)
            else:
                values.append(defaults[f.attname])
        batch.append(tuple(values))
        if len(batch) == 50_000:
            flush()
            rate = i / (time.perf_counter() - started)
            print(f"  {i:>9,} customers  ({rate:,.0f}/s)", flush=True)
    if batch:
        flush()
    print(f"  creating {len(indexes)} indexes again", flush=True)
    with connection.cursor() as cursor:
        for sql in indexes:
            cursor.execute(sql)
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE bench_complete ()")
    return time.perf_counter() - started


def drop_indexes(table: str) -> list[str]:
    """Drop the plain indexes for the load (rebuilding them once is much faster); return them.

    Those behind UNIQUE constraints stay, so the load still proves mobiles are unique.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s"
                " AND indexname NOT IN (SELECT conname FROM pg_constraint)",
                [table],
            )
        else:
            cursor.execute("PRAGMA cache_size = -262144")  # 256 MiB while sorting the indexes
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s"
                " AND sql IS NOT NULL",
                [table],
            )
        found = cursor.fetchall()
        for name, _sql in found:
            cursor.execute(f'DROP INDEX "{name}"')
    return [sql for _name, sql in found]


def planner_statistics(analyze: bool) -> str:
    """PostgreSQL's autovacuum gathers statistics by itself; SQLite only when asked to."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE customers_customer")
            return "ANALYZE (as autovacuum does)"
        if analyze:
            cursor.execute("ANALYZE")
            return "ANALYZE"
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone():
            cursor.execute("DELETE FROM sqlite_stat1")
    connection.close()  # the planner reads statistics when a connection opens
    return "none (as mehvar leaves a SQLite database)"


# --- the queries -----------------------------------------------------------------------------


def arabic_keyboard(text: str) -> str:
    return text.replace("ی", "ي").replace("ک", "ك")


def make_queries(per_kind: int, seed: int) -> dict[str, list[tuple[str, int]]]:
    """Realistic search-box input built from random existing customers: (query, their id)."""
    from django.db.models import Max, Min

    from mehvar.core.persian import to_persian_digits
    from mehvar.customers.models import Customer

    rnd = random.Random(seed + 1)
    bounds = Customer.objects.aggregate(lo=Min("id"), hi=Max("id"))
    ids = [rnd.randint(bounds["lo"], bounds["hi"]) for _ in range(per_kind * 6)]
    sample = list(
        Customer.objects.filter(pk__in=ids, kind="person").values(
            "id", "first_name", "last_name", "mobile", "email", "national_id"
        )
    )
    rnd.shuffle(sample)

    def maybe_arabic(text: str) -> str:
        return arabic_keyboard(text) if rnd.random() < 0.3 else text

    def national_mobile(c: dict[str, Any]) -> str:
        return "0" + c["mobile"][3:]

    builders: dict[str, Callable[[dict[str, Any]], str | None]] = {
        "name_prefix": lambda c: maybe_arabic(
            c["first_name"][: rnd.randint(3, max(3, len(c["first_name"])))]
        ),
        "last_name": lambda c: maybe_arabic(c["last_name"]),
        "full_name": lambda c: maybe_arabic(f"{c['first_name']} {c['last_name']}"),
        "mobile_prefix": lambda c: (to_persian_digits if rnd.random() < 0.5 else str)(
            national_mobile(c)[: rnd.randint(6, 9)]
        ),
        "mobile_full": lambda c: rnd.choice(
            (
                national_mobile(c),
                to_persian_digits(national_mobile(c)),
                " ".join((national_mobile(c)[:4], national_mobile(c)[4:7], national_mobile(c)[7:])),
            )
        ),
        "email_prefix": lambda c: c["email"][: rnd.randint(4, 8)] if c["email"] else None,
        "national_code": lambda c: (
            (to_persian_digits if rnd.random() < 0.3 else str)(c["national_id"])
            if c["national_id"]
            else None
        ),
    }
    queries: dict[str, list[tuple[str, int]]] = {}
    for kind, make in builders.items():
        made = []
        for c in sample:
            query = make(c)
            if query:
                made.append((query, c["id"]))
            if len(made) == per_kind:
                break
        queries[kind] = made
    return queries


def ours(viewer: Any, query: str) -> list[Any]:
    from mehvar.customers.selectors import CustomerFilters, customer_list

    return list(customer_list(viewer=viewer, filters=CustomerFilters(q=query))[:PAGE])


def naive_queryset(query: str) -> Any:
    """A spreadsheet's search: a substring anywhere in the raw columns, sorted by name."""
    from django.db.models import Q, Value
    from django.db.models.functions import Concat

    from mehvar.customers.models import Customer

    condition = Q()
    for column in ("full_name", "company_name", "mobile", "email", "national_id"):
        condition |= Q(**{f"{column}__icontains": query})
    return (
        Customer.objects.filter(merged_into__isnull=True)
        .annotate(full_name=Concat("first_name", Value(" "), "last_name"))
        .filter(condition)
        .select_related("owner")
        .order_by("last_name", "first_name", "id")
    )


def naive(query: str) -> list[Any]:
    return list(naive_queryset(query)[:PAGE])


def measure(
    run: Callable[[str], list[Any]], queries: list[tuple[str, int]], budget: float
) -> dict[str, Any]:
    """Latency of each query in turn, until all ran or ``budget`` seconds are spent."""
    timings, found, hit = [], 0, 0
    deadline = time.perf_counter() + budget
    for query, target in queries:
        started = time.perf_counter()
        rows = run(query)
        timings.append((time.perf_counter() - started) * 1000)
        found += bool(rows)
        hit += any(r.pk == target for r in rows)
        if time.perf_counter() > deadline and len(timings) >= 2:
            break
    cuts = statistics.quantiles(timings, n=100, method="inclusive")
    return {
        "n": len(timings),
        "p50_ms": round(cuts[49], 3),
        "p95_ms": round(cuts[94], 3),
        "p99_ms": round(cuts[98], 3),
        "max_ms": round(max(timings), 3),
        "found_share": round(found / len(timings), 3),
        "target_in_first_page": round(hit / len(timings), 3),
    }


def main() -> None:
    args = parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    label, ready = prepare_database(args)
    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    from mehvar.core.models import User
    from mehvar.customers.models import Customer

    print(f"mehvar search benchmark: {args.customers:,} customers on {label}")
    call_command("migrate", verbosity=0)
    build_seconds = None
    if ready and Customer.objects.count() == args.customers:
        print("  reusing the customers built earlier")
    else:
        print("  building (once per size; reused by later runs)")
        build_seconds = build(args.customers, args.seed)
        print(f"  built in {build_seconds:,.0f} s")
        if connection.vendor == "sqlite":
            (OUT / f"search-{args.customers}" / "complete").write_text("ok\n")
    stats = planner_statistics(args.analyze)
    print(f"  planner statistics: {stats}")
    viewer = User.objects.get(username="bench-admin")
    queries = make_queries(args.queries, args.seed)
    for query, _target in queries["name_prefix"][:20] + queries["mobile_full"][:20]:
        ours(viewer, query)  # warm the caches the same way for both
    results: dict[str, Any] = {}
    for kind in KINDS:
        mine = measure(lambda q: ours(viewer, q), queries[kind], args.budget)
        peer = measure(naive, queries[kind][: args.naive_queries], args.budget)
        results[kind] = {
            "ours": mine,
            "naive": peer,
            "ratio_p50": round(peer["p50_ms"] / max(mine["p50_ms"], 1e-6), 1),
            "ratio_p95": round(peer["p95_ms"] / max(mine["p95_ms"], 1e-6), 1),
            "examples": [q for q, _ in queries[kind][:3]],
        }
        if args.explain:
            from mehvar.customers.selectors import CustomerFilters, customer_list

            sample = queries[kind][0][0]
            plan = customer_list(viewer=viewer, filters=CustomerFilters(q=sample))[:PAGE].explain()
            results[kind]["plan"] = plan
            print(f"\n{kind} {sample!r}:\n{plan}\n")
        print(
            f"  {kind:<14} ours p50 {mine['p50_ms']:8.2f} ms  p95 {mine['p95_ms']:8.2f}"
            f" (n={mine['n']})  | naive p50 {peer['p50_ms']:9.1f} ms (n={peer['n']})",
            flush=True,
        )
    print_table(args, f"{label}, statistics: {stats}", results)
    report = {
        "benchmark": "search_customers",
        "database": connection.vendor,
        "database_version": database_version(connection),
        "customers": args.customers,
        "page": PAGE,
        "build_seconds": build_seconds,
        "planner_statistics": stats,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "python": platform.python_version(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "kinds": results,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report, ensure_ascii=False, indent=2)
    (OUT / "search.json").write_text(text)
    (OUT / f"search-{connection.vendor}-{args.customers}.json").write_text(text)
    print(f"\n  written to {OUT / 'search.json'}")
    if args.database_url and not args.keep:
        drop_database(args)


def database_version(connection: Any) -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return str(cursor.fetchone()[0])
    import sqlite3

    return sqlite3.sqlite_version


def print_table(args: argparse.Namespace, label: str, results: dict[str, Any]) -> None:
    print(f"\nSearch among {args.customers:,} customers, {label}; first page of {PAGE}, ms")
    print(
        f"{'query kind':<14} {'ours p50':>9} {'p95':>8} {'p99':>8} {'found':>6} │"
        f" {'naive p50':>10} {'p95':>9} {'found':>6} │ {'×p50':>7} {'×p95':>7}"
    )
    print("─" * 96)
    for kind, r in results.items():
        mine, peer = r["ours"], r["naive"]
        print(
            f"{kind:<14} {mine['p50_ms']:9.2f} {mine['p95_ms']:8.2f} {mine['p99_ms']:8.2f}"
            f" {mine['found_share']:6.0%} │ {peer['p50_ms']:10.1f} {peer['p95_ms']:9.1f}"
            f" {peer['found_share']:6.0%} │ {r['ratio_p50']:7.0f} {r['ratio_p95']:7.0f}"
        )
    print(
        f"ours: up to {args.queries} queries per kind; naive icontains scan: up to"
        f" {args.naive_queries}. found = share of queries that returned anyone."
    )


if __name__ == "__main__":
    main()
