"""Import N customers from a Persian CSV; compare with creating them one by one through the service.

    python bench/import_customers.py [--rows 100000] [--peer-rows 2000] [--database-url URL]

Ours: the real pipeline (import_job_create → import_job_start → import_run: chunks of 500 rows,
bulk writes, audit and timeline rows). Peer, measured in the same run on the same database: the
straightforward way, one `customer_create` call per row, on a smaller file (it is slow). Then a
re-import of the big file, which must change nothing. Prints rows/s and the ratio.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sys
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


def _setup(database_url: str | None) -> Path:
    data_dir = OUT / "import"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    os.environ["MEHVAR_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "mehvar.settings"
    os.environ["DEBUG"] = "false"
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    if database_url:
        call_command("flush", "--noinput", verbosity=0)
    call_command("migrate", verbosity=0)
    return data_dir


def _import(actor: object, path: Path) -> tuple[float, dict[str, int]]:
    from mehvar.customers.imports.jobs import import_job_create, import_job_start
    from mehvar.customers.imports.runner import import_run

    started = time.perf_counter()
    with path.open("rb") as upload:
        job = import_job_create(
            actor=actor,
            kind="customers",
            upload=upload,
            filename=path.name,  # type: ignore[arg-type]
            size=path.stat().st_size,
        )
    import_job_start(actor=actor, job=job, dry_run=False, enqueue=lambda _id: None)  # type: ignore[arg-type]
    job = import_run(job_id=job.pk) or job
    job.refresh_from_db()
    seconds = time.perf_counter() - started
    counts = {
        "total": job.total_rows,
        "created": job.created_count,
        "updated": job.updated_count,
        "unchanged": job.unchanged_count,
        "rejected": job.rejected_count,
    }
    return seconds, counts


def _peer(actor: object, path: Path) -> tuple[float, int]:
    """One service call per row, as a hand-written import loop would do it."""
    from mehvar.core.errors import ServiceError
    from mehvar.customers.services import customer_create

    fields = [
        "external_id",
        "first_name",
        "last_name",
        "mobile",
        "national_id",
        "email",
        "province",
        "city",
        "birth_date",
        "postal_code",
        "tags",
    ]
    created = 0
    started = time.perf_counter()
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for row in reader:
            try:
                customer_create(actor=actor, data=dict(zip(fields, row, strict=True)))  # type: ignore[arg-type]
                created += 1
            except ServiceError:
                pass
    return time.perf_counter() - started, created


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--peer-rows", type=int, default=2_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    data_dir = _setup(args.database_url)

    from django.db import connection

    from mehvar.core.models import User
    from mehvar.customers.imports.sample import write_customers

    actor = User.objects.create_user("bench", password=None, role="admin")
    big = write_customers(data_dir / "customers.csv", args.rows, seed=1, bad_every=100)
    # The peer's rows get other identifiers (seed and offset) so neither run sees the other's.
    small = write_customers(data_dir / "peer.csv", args.peer_rows, seed=2)
    _rewrite_ids(small, offset=5_000_000)

    ours_s, counts = _import(actor, big)
    again_s, again = _import(actor, big)
    peer_s, peer_created = _peer(actor, small)

    ours_rate = args.rows / ours_s
    peer_rate = args.peer_rows / peer_s
    result = {
        "benchmark": "import_customers",
        "database": connection.vendor,
        "rows": args.rows,
        "ours": {"seconds": round(ours_s, 2), "rows_per_s": round(ours_rate), **counts},
        "reimport": {
            "seconds": round(again_s, 2),
            "rows_per_s": round(args.rows / again_s),
            **again,
        },
        "peer_one_service_call_per_row": {
            "rows": args.peer_rows,
            "seconds": round(peer_s, 2),
            "rows_per_s": round(peer_rate),
            "created": peer_created,
        },
        "ratio_ours_vs_peer": round(ours_rate / peer_rate, 1),
    }
    print(f"import {args.rows:,} customers on {connection.vendor}:")
    print(f"  ours      {ours_s:7.1f} s  {ours_rate:8,.0f} rows/s  {counts}")
    print(f"  re-import {again_s:7.1f} s  {args.rows / again_s:8,.0f} rows/s  {again}")
    print(
        f"  peer      {peer_s:7.1f} s  {peer_rate:8,.0f} rows/s"
        f"  (one customer_create per row, {args.peer_rows:,} rows)"
    )
    print(f"  ratio ours/peer: {result['ratio_ours_vs_peer']}x")
    (OUT / "import.json").write_text(json.dumps(result, indent=1))
    if (
        counts["created"] + counts["updated"] + counts["unchanged"] + counts["rejected"]
        != counts["total"]
    ):
        sys.exit("totals do not add up")
    if again["created"] or again["updated"]:
        sys.exit("re-import changed data")


def _rewrite_ids(path: Path, *, offset: int) -> None:
    from mehvar.core.national_id import national_code_check_digit

    rows = list(csv.reader(path.open(encoding="utf-8-sig", newline="")))
    for index, row in enumerate(rows[1:], start=offset):
        first = f"{index:09d}"
        row[0], row[3] = f"P{index}", f"0935{index % 10**7:07d}"
        row[4] = first + str(national_code_check_digit(first))
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)


if __name__ == "__main__":
    main()
