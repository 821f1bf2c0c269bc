"""Importing customers and orders: reading files, matching, the error report, dry runs,
re-imports, resuming after a crash, and the totals that must always add up."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from mehvar.core.errors import PermissionDenied, ValidationFailed
from mehvar.core.models import EventKind, TimelineEvent
from mehvar.customers.fields import clean_customer
from mehvar.customers.imports import sample
from mehvar.customers.imports.base import Context
from mehvar.customers.imports.columns import detect_mapping, mapping_from_names, validate_mapping
from mehvar.customers.imports.customers import CustomerProcessor, complete_record
from mehvar.customers.imports.jobs import import_job_create, import_job_map, import_job_start
from mehvar.customers.imports.readers import ImportFileError, open_sheet
from mehvar.customers.imports.runner import SimulatedCrash, import_run, import_sweep
from mehvar.customers.imports.state import mapping_of, options_of
from mehvar.customers.models import (
    Consent,
    ConsentChange,
    Customer,
    ImportJob,
    ImportKind,
    ImportStatus,
    Order,
    Product,
)
from mehvar.customers.services import consent_set, customer_create

pytestmark = pytest.mark.django_db

HEADERS = ["شناسه", "نام", "نام خانوادگی", "موبایل", "کد ملی", "استان", "شهر", "تاریخ تولد"]


def national_code(seed: int) -> str:
    from mehvar.core.national_id import national_code_check_digit

    first = f"{seed:09d}"
    return first + str(national_code_check_digit(first))


def csv_bytes(
    headers: list[str], rows: list[list[Any]], *, encoding: str = "utf-8-sig", delimiter: str = ","
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(headers: list[Any], rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def run(users: dict[str, Any]) -> Callable[..., ImportJob]:
    """Upload ``content`` as ``filename``, map it (detected, or ``targets``), run it here."""

    def run(
        content: bytes,
        filename: str = "customers.csv",
        *,
        kind: str = ImportKind.CUSTOMERS,
        actor: Any = None,
        dry_run: bool = False,
        targets: list[str] | None = None,
        chunk_rows: int = 500,
        **options: Any,
    ) -> ImportJob:
        actor = actor or users["admin"]
        job = import_job_create(
            actor=actor,
            kind=kind,
            upload=io.BytesIO(content),
            filename=filename,
            size=len(content),
            language="en",
            **options,
        )
        if targets is not None:
            job = import_job_map(actor=actor, job=job, targets=targets)
        import_job_start(actor=actor, job=job, dry_run=dry_run, enqueue=lambda _id: None)
        import_run(job_id=job.pk, chunk_rows=chunk_rows)
        job.refresh_from_db()
        assert job.status == ImportStatus.DONE, job.failure
        return job

    return run


def errors_of(job: ImportJob) -> list[tuple[int, str, str]]:
    return list(job.row_errors.order_by("row", "column").values_list("row", "column", "value"))


def counts(job: ImportJob) -> tuple[int, int, int, int, int]:
    return (
        job.total_rows,
        job.created_count,
        job.updated_count,
        job.unchanged_count,
        job.rejected_count,
    )


def snapshot() -> tuple[int, int, int, int]:
    return (
        Customer.objects.count(),
        TimelineEvent.objects.count(),
        Customer.history.count(),
        Order.objects.count(),
    )


# --- columns ----------------------------------------------------------------------------------


def test_persian_and_english_headers_are_recognised() -> None:
    headers = [
        "نام",
        "نام‌خانوادگی",
        "تلفن همراه",
        "کد ملی",
        "E-mail",
        "Postal Code",
        "یادداشت",
        "شناسه",
    ]
    assert detect_mapping(headers, ImportKind.CUSTOMERS) == [
        "first_name",
        "last_name",
        "mobile",
        "national_id",
        "email",
        "postal_code",
        "",
        "external_id",
    ]
    # Arabic ي/ك, a trailing asterisk and a remark in parentheses do not hide a header.
    assert detect_mapping(["كد ملي*", "Unit price (Toman)", "شماره سفارش"], ImportKind.ORDERS) == [
        "national_id",
        "unit_price",
        "order_number",
    ]
    # A second column for a field already taken is ignored, not merged.
    assert detect_mapping(["موبایل", "mobile"], ImportKind.CUSTOMERS) == ["mobile", ""]


def test_user_mapping_overrides_detection() -> None:
    headers = ["نام", "تلفن", "کد"]
    mapping = mapping_from_names(
        headers, ImportKind.CUSTOMERS, {"تلفن": "mobile", "کد": "external_id"}
    )
    assert mapping == ["first_name", "mobile", "external_id"]
    mapping = mapping_from_names(headers, ImportKind.CUSTOMERS, {"نام": "ignore"})
    assert mapping == ["", "other_phones", ""]
    with pytest.raises(KeyError):
        mapping_from_names(headers, ImportKind.CUSTOMERS, {"nope": "mobile"})


def test_a_mapping_needs_an_identifier_and_no_field_twice() -> None:
    problems = validate_mapping(["first_name", "last_name"], ImportKind.CUSTOMERS)
    assert [p.column for p in problems] == [None]
    problems = validate_mapping(["mobile", "mobile", "bogus"], ImportKind.CUSTOMERS)
    assert sorted(p.column for p in problems if p.column is not None) == [1, 2]
    problems = validate_mapping(["mobile"], ImportKind.ORDERS)
    assert len(problems) == 2  # the order number, and a price


@pytest.mark.parametrize(
    "raw",
    [
        {"mobile": "09121112233"},
        {"mobile": "09121112233", "first_name": "علی"},
        {"kind": "company", "mobile": "09121112233"},
        {"kind": "company", "company_name": "شرکت", "lifecycle_stage": ""},
        {"kind": "Person", "last_name": "رضایی", "lifecycle_stage": "customer"},
        {"first_name": "  ", "last_name": "‌"},
    ],
)
def test_complete_record_gives_the_answer_of_a_full_clean(raw: dict[str, str]) -> None:
    partial, partial_errors = clean_customer(raw, partial=True)
    assert partial_errors == {}
    full, full_errors = clean_customer(raw)
    values, errors = complete_record(partial)
    assert values == full
    assert {k: str(v) for k, v in errors.items()} == {k: str(v) for k, v in full_errors.items()}


# --- the error report -------------------------------------------------------------------------


def test_each_bad_row_is_reported_by_row_and_column_and_the_rest_is_kept(
    run: Callable[..., ImportJob], make_customer: Callable[..., Any]
) -> None:
    first = make_customer(mobile="09121110000")
    second = make_customer(mobile="09121110001", national_id=national_code(222))
    rows = [
        ["E1", "علی", "رضایی", "09120000001", national_code(1), "تهران", "تهران", "1370/05/12"],
        ["E2", "مریم", "کریمی", "0912000", "", "فارس", "شیراز", ""],  # bad mobile
        ["E3", "سارا", "نوری", "09120000003", "0012345678", "", "", ""],  # bad national code
        ["E4", "رضا", "احمدی", "09120000004", "", "آتلانتیس", "", ""],  # unknown province
        ["E5", "", "", "09120000005", "", "", "", ""],  # missing name
        ["E6", "نرگس", "موسوی", "09120000006", "", "", "", "1399/13/40"],  # bad date
        ["E7", "حسین", "صادقی", "09121110000", national_code(222), "", "", ""],  # two customers
        ["E8", "امیر", "جعفری", "09120000008", national_code(8), "Isfahan", "اصفهان", "2001-02-03"],
    ]
    job = run(csv_bytes(HEADERS, rows))
    assert counts(job) == (8, 2, 0, 0, 6)
    assert errors_of(job) == [
        (3, "موبایل", "0912000"),
        (4, "کد ملی", "0012345678"),
        (5, "استان", "آتلانتیس"),
        (6, "نام خانوادگی", ""),
        (7, "تاریخ تولد", "1399/13/40"),
        (8, "کد ملی", national_code(222)),
    ]
    reason = job.row_errors.get(row=8).message
    assert f"#{first.pk}" in reason
    assert f"#{second.pk}" in reason
    kept = Customer.objects.get(external_id="E8")
    assert (kept.mobile, kept.province, kept.birth_date) == (
        "+989120000008",
        "isfahan",
        date(2001, 2, 3),
    )
    assert Customer.objects.get(external_id="E1").birth_date == date(1991, 8, 3)
    assert not Customer.objects.filter(
        external_id__in=["E2", "E3", "E4", "E5", "E6", "E7"]
    ).exists()
    # The two customers the bad row pointed at are untouched.
    first.refresh_from_db()
    assert first.national_id is None


def test_reimport_changes_nothing(run: Callable[..., ImportJob], tmp_path: Path) -> None:
    path = sample.write_customers(tmp_path / "c.csv", 60, bad_every=7)
    content = path.read_bytes()
    job = run(content, chunk_rows=25)
    assert counts(job) == (60, 52, 0, 0, 8)
    before = snapshot()
    again = run(content, chunk_rows=25)
    assert counts(again) == (60, 0, 0, 52, 8)
    assert snapshot() == before


def test_an_update_changes_only_what_changed_and_blank_cells_keep_values(
    run: Callable[..., ImportJob], make_customer: Callable[..., Any]
) -> None:
    customer = make_customer(mobile="09125550000", email="old@example.com", city="کرج")
    events, history = TimelineEvent.objects.count(), Customer.history.count()
    content = csv_bytes(
        ["mobile", "first_name", "email", "city"], [["۰۹۱۲۵۵۵۰۰۰۰", "علی", "", "قزوين"]]
    )
    job = run(content)
    assert counts(job) == (1, 0, 1, 0, 0)
    customer.refresh_from_db()
    assert (customer.city, customer.email) == ("قزوین", "old@example.com")
    event = TimelineEvent.objects.order_by("-id").first()
    assert event is not None
    assert (event.kind, event.data) == (EventKind.CUSTOMER_UPDATED, {"fields": ["city"]})
    assert TimelineEvent.objects.count() == events + 1
    assert Customer.history.count() == history + 1
    assert Customer.history.order_by("-history_id").first().history_user.username == "admin"


def test_a_created_customer_has_its_timeline_event_and_audit_row(
    run: Callable[..., ImportJob], users: dict[str, Any]
) -> None:
    content = csv_bytes(["mobile", "first_name", "tags"], [["09121234567", "Ali", "VIP، عمده"]])
    job = run(content, actor=users["sales"])
    customer = Customer.objects.get(mobile="+989121234567")
    assert customer.owner == users["sales"]
    assert customer.created_by == users["sales"]
    assert sorted(customer.tags.values_list("name", flat=True)) == ["VIP", "عمده"]
    assert customer.name_key == "ali"
    event = TimelineEvent.objects.get(customer=customer)
    assert event.kind == EventKind.CUSTOMER_CREATED
    assert event.actor == users["sales"]
    assert f"import #{job.pk}" in event.summary
    history = customer.history.get()
    assert (history.history_type, history.history_user) == ("+", users["sales"])


def test_the_import_acts_as_the_employee_who_started_it(users: dict[str, Any]) -> None:
    content = csv_bytes(["mobile", "first_name"], [["09121234567", "Ali"]])
    job = import_job_create(
        actor=users["sales"],
        kind="customers",
        upload=io.BytesIO(content),
        filename="c.csv",
        size=len(content),
    )
    import_job_start(actor=users["manager"], job=job, dry_run=False, enqueue=lambda _id: None)
    import_run(job_id=job.pk)
    customer = Customer.objects.get()
    assert (customer.created_by, customer.owner) == (users["manager"], None)
    assert customer.history.get().history_user == users["manager"]
    assert TimelineEvent.objects.get(customer=customer).actor == users["manager"]


def test_sales_cannot_update_someone_elses_customer_by_import(
    run: Callable[..., ImportJob], make_customer: Callable[..., Any], users: dict[str, Any]
) -> None:
    make_customer(mobile="09127770000", owner=users["sales2"], actor=users["admin"])
    content = csv_bytes(["mobile", "city"], [["09127770000", "رشت"]])
    job = run(content, actor=users["sales"])
    assert counts(job) == (1, 0, 0, 0, 1)
    assert errors_of(job) == [(2, "", "")]
    assert Customer.objects.get(mobile="+989127770000").city == ""


# --- formats ----------------------------------------------------------------------------------


def test_xlsx_with_persian_headers_digits_and_number_cells(run: Callable[..., ImportJob]) -> None:
    rows = [
        ["محمد", "حسینی", 9121234567, int(national_code(12345678)), "۱۳۶۵/۰۲/۰۳", "تهران"],
        [
            "زهرا",
            "كريمي",
            "۰۹۱۲ ۷۶۵ ۴۳۲۱",
            "۰" + national_code(7654321)[1:],
            date(1990, 1, 2),
            "البرز",
        ],
        [None, None, None, None, None, None],  # an empty row is skipped, not counted
        ["رضا", "", "+98 912 000 1111", None, None, "خراسان رضوی"],
    ]
    content = xlsx_bytes(
        ["نام", "نام خانوادگی", "تلفن همراه", "کد ملی", "تاریخ تولد", "استان"], rows
    )
    job = run(content, filename="مشتریان.xlsx")
    assert counts(job) == (3, 3, 0, 0, 0)
    first = Customer.objects.get(mobile="+989121234567")
    assert (first.national_id, first.birth_date) == (national_code(12345678), date(1986, 4, 23))
    second = Customer.objects.get(mobile="+989127654321")
    assert (second.last_name, second.birth_date, second.province) == (
        "کریمی",
        date(1990, 1, 2),
        "alborz",
    )
    assert Customer.objects.get(mobile="+989120001111").province == "razavi-khorasan"


def test_xlsx_with_a_wrong_declared_size_is_read_to_the_end(run: Callable[..., ImportJob]) -> None:
    import zipfile

    good = xlsx_bytes(["mobile", "first_name"], [[f"0912000000{i}", "Ali"] for i in range(5)])
    broken = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1"', data)
            target.writestr(item, data)
    job = run(broken.getvalue(), filename="c.xlsx")
    assert counts(job) == (5, 5, 0, 0, 0)


def test_cp1256_csv_from_old_windows_tools(run: Callable[..., ImportJob]) -> None:
    # Windows-1256 has no Persian ی; old files carry the Arabic ي and ك, stored as ی and ک.
    content = csv_bytes(
        ["نام", "نام خانوادگي", "موبايل"], [["علي", "كاظمي", "09121112233"]], encoding="cp1256"
    )
    job = run(content)
    assert counts(job) == (1, 1, 0, 0, 0)
    customer = Customer.objects.get(mobile="+989121112233")
    assert (customer.first_name, customer.last_name) == ("علی", "کاظمی")


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_csv_delimiters_are_sniffed(run: Callable[..., ImportJob], delimiter: str) -> None:
    content = csv_bytes(
        ["mobile", "first_name", "city"],
        [["09121112244", "Ali", "Tehran, north"]],
        delimiter=delimiter,
    )
    job = run(content)
    assert counts(job) == (1, 1, 0, 0, 0)
    assert Customer.objects.get(mobile="+989121112244").city == "Tehran, north"


@pytest.mark.parametrize(
    ("filename", "content", "code"),
    [
        ("c.txt", b"mobile\n0912", "extension"),
        ("c.xls", b"\xd0\xcf\x11\xe0junk", "old_excel"),
        ("c.xlsx", b"mobile,name\n09121112233,Ali\n", "not_xlsx"),
        ("c.csv", b"PK\x03\x04" + b"\x00" * 50, "not_csv"),
        ("c.csv", b"mobile\n\x00\x01\x02binary", "not_text"),
        ("c.csv", b"", "empty"),
        ("c.csv", b"\n\n,,\n", "empty"),
        ("c.xlsx", b"PK\x03\x04broken zip", "not_xlsx"),
        ("c.csv", b"\xef\xbb\xbfmobile\n\xff\xfe\n", "encoding"),
    ],
)
def test_files_that_are_not_tables_are_refused_with_a_reason(
    users: dict[str, Any], filename: str, content: bytes, code: str
) -> None:
    with pytest.raises(ImportFileError) as reading, open_sheet(io.BytesIO(content), filename):
        pass
    assert reading.value.code == code
    with pytest.raises(ValidationFailed) as caught:
        import_job_create(
            actor=users["admin"],
            kind=ImportKind.CUSTOMERS,
            upload=io.BytesIO(content),
            filename=filename,
            size=len(content),
        )
    assert caught.value.errors == {"file": reading.value.message}
    assert not ImportJob.objects.exists()


def test_oversized_files_are_refused(users: dict[str, Any], settings: Any) -> None:
    settings.MEHVAR_IMPORT_MAX_BYTES = 10
    content = csv_bytes(["mobile"], [["09121112233"]])
    with pytest.raises(ValidationFailed) as caught:
        import_job_create(
            actor=users["admin"],
            kind="customers",
            upload=io.BytesIO(content),
            filename="c.csv",
            size=len(content),
        )
    assert set(caught.value.errors) == {"file"}


def test_roles_without_the_import_permission_store_nothing(users: dict[str, Any]) -> None:
    content = csv_bytes(["mobile", "first_name"], [["09121112233", "Ali"]])
    for role, kind in (("service", "customers"), ("marketing", "orders")):
        with pytest.raises(PermissionDenied):
            import_job_create(
                actor=users[role],
                kind=kind,
                upload=io.BytesIO(content),
                filename="c.csv",
                size=len(content),
            )
    assert not ImportJob.objects.exists()


# --- dry run ----------------------------------------------------------------------------------


def test_a_dry_run_counts_and_previews_but_writes_nothing(
    run: Callable[..., ImportJob], make_customer: Callable[..., Any]
) -> None:
    make_customer(mobile="09120000002", first_name="Sara", last_name="Nouri", city="")
    rows = [
        ["09120000001", "Ali", "Rezaei", "Tehran"],
        ["09120000002", "Sara", "Nouri", "Shiraz"],  # updates the existing customer
        ["09120000002", "Sara", "Nouri", "Shiraz"],  # the same again: unchanged by then
        ["0912", "Bad", "Mobile", ""],
        ["09120000001", "Ali", "Rezaei", "Karaj"],  # updates the customer row 2 would create
    ]
    content = csv_bytes(["mobile", "first_name", "last_name", "city"], rows)
    before = snapshot()
    dry = run(content, dry_run=True)
    assert snapshot() == before
    assert counts(dry) == (5, 1, 2, 1, 1)
    assert errors_of(dry) == [(5, "mobile", "0912")]
    preview = options_of(dry).preview
    assert [(p.row, p.action) for p in preview] == [
        (2, "created"),
        (3, "updated"),
        (4, "unchanged"),
        (5, "rejected"),
        (6, "updated"),
    ]
    assert preview[0].values["mobile"] == "+989120000001"
    assert preview[1].changed == ["city"]
    real = run(content)
    assert counts(real) == counts(dry)
    assert Customer.objects.get(mobile="+989120000001").city == "Karaj"


def test_preview_shows_the_first_twenty_rows_only(
    run: Callable[..., ImportJob], tmp_path: Path
) -> None:
    content = sample.write_customers(tmp_path / "c.csv", 45).read_bytes()
    dry = run(content, dry_run=True, chunk_rows=10)
    assert [p.row for p in options_of(dry).preview] == list(range(2, 22))
    assert Customer.objects.count() == 0


# --- resuming ---------------------------------------------------------------------------------


def test_a_crashed_import_resumes_without_losing_or_repeating_rows(
    users: dict[str, Any], tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    path = sample.write_customers(tmp_path / "c.csv", 130, bad_every=10)
    content = path.read_bytes()
    actor = users["admin"]
    job = import_job_create(
        actor=actor,
        kind="customers",
        upload=io.BytesIO(content),
        filename="c.csv",
        size=len(content),
    )
    import_job_start(actor=actor, job=job, dry_run=False, enqueue=lambda _id: None)
    with pytest.raises(SimulatedCrash):
        import_run(job_id=job.pk, chunk_rows=50, crash_after=70)
    job.refresh_from_db()
    # The first chunk is in; the second was rolled back with the "dead" worker.
    assert (job.status, job.processed_rows) == (ImportStatus.RUNNING, 50)
    assert job.created_count + job.rejected_count == 50
    assert Customer.objects.count() == job.created_count == 45
    # A second worker does not take a job whose lease is still held...
    assert import_run(job_id=job.pk) is None
    assert import_sweep() == []
    # ...but the sweeper hands it on once the lease has run out.
    with django_capture_on_commit_callbacks(execute=True):
        assert import_sweep(now=timezone.now() + timedelta(minutes=6)) == [job.pk]
    resumed = import_run(job_id=job.pk, chunk_rows=50)
    assert resumed is not None
    assert counts(resumed) == (130, 117, 0, 0, 13)
    assert resumed.status == ImportStatus.DONE
    assert Customer.objects.count() == 117
    assert TimelineEvent.objects.filter(kind=EventKind.CUSTOMER_CREATED).count() == 117
    assert Customer.history.count() == 117
    assert resumed.row_errors.count() == 13
    # Running it once more does nothing: it is done.
    assert import_run(job_id=job.pk) is None


def test_the_background_task_runs_the_job_after_commit(
    users: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    content = csv_bytes(["mobile", "first_name"], [["09121112233", "Ali"]])
    job = import_job_create(
        actor=users["admin"],
        kind="customers",
        upload=io.BytesIO(content),
        filename="c.csv",
        size=len(content),
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        import_job_start(actor=users["admin"], job=job, dry_run=False)
    job.refresh_from_db()
    assert job.status == ImportStatus.PENDING
    assert not Customer.objects.exists()
    for callback in callbacks:
        callback()
    job.refresh_from_db()
    assert (job.status, job.created_count) == (ImportStatus.DONE, 1)


# --- totals -----------------------------------------------------------------------------------

_mobiles = st.sampled_from(["09120000001", "09120000002", "09120000003", "0912", ""])
_codes = st.sampled_from([national_code(1), national_code(2), "0012345678", ""])
_names = st.sampled_from(["علی", "", "Sara"])
_provinces = st.sampled_from(["تهران", "", "Atlantis"])
_externals = st.sampled_from(["X1", "X2", ""])
_rows = st.lists(
    st.tuples(_externals, _mobiles, _codes, _names, _provinces).map(list), min_size=1, max_size=12
)


@hypothesis_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=_rows, chunk=st.integers(min_value=1, max_value=5))
def test_totals_always_add_up_and_the_dry_run_predicts_the_import(
    run: Callable[..., ImportJob], rows: list[list[str]], chunk: int
) -> None:
    content = csv_bytes(["external_id", "mobile", "national_id", "first_name", "province"], rows)
    non_empty = sum(1 for row in rows if any(row))
    dry = run(content, dry_run=True, chunk_rows=chunk)
    real = run(content, chunk_rows=chunk)
    for job in (dry, real):
        assert job.total_rows == job.processed_rows == non_empty
        assert (
            job.created_count + job.updated_count + job.unchanged_count + job.rejected_count
            == non_empty
        )
        assert job.row_errors.values("row").distinct().count() == job.rejected_count
    assert counts(real) == counts(dry)


# --- concurrency ------------------------------------------------------------------------------


class _RacingProcessor(CustomerProcessor):
    """Another import creates the chunk's first customer right after this one read the chunk."""

    def _prefetch(self, rows: list[Any]) -> None:
        super()._prefetch(rows)
        if rows and not Customer.objects.filter(mobile="+989120000001").exists():
            customer_create(
                actor=self.context.actor, data={"mobile": "09120000001", "last_name": "Other"}
            )


def test_a_customer_created_concurrently_is_matched_not_duplicated(users: dict[str, Any]) -> None:
    context = Context(
        job_id=0,
        actor=users["admin"],
        kind="customers",
        headers=["mobile", "last_name"],
        targets=["mobile", "last_name"],
        dry_run=False,
    )
    processor = _RacingProcessor(context)
    outcomes = processor.flush([(2, ["09120000001", "Rezaei"]), (3, ["09120000002", "Karimi"])])
    assert [(o.row, o.action) for o in outcomes] == [(2, "updated"), (3, "created")]
    assert Customer.objects.filter(mobile="+989120000001").count() == 1
    assert Customer.objects.get(mobile="+989120000001").last_name == "Rezaei"
    assert Customer.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_imports_of_the_same_mobiles_at_once_make_one_customer_each(
    users: dict[str, Any], tmp_path: Path, settings: Any
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises them)")
    import threading

    from django.db import connections

    content = sample.write_customers(tmp_path / "c.csv", 300).read_bytes()
    jobs = []
    for _ in range(2):
        job = import_job_create(
            actor=users["admin"],
            kind="customers",
            upload=io.BytesIO(content),
            filename="c.csv",
            size=len(content),
        )
        import_job_start(actor=users["admin"], job=job, dry_run=False, enqueue=lambda _id: None)
        jobs.append(job.pk)

    def work(job_id: int) -> None:
        try:
            import_run(job_id=job_id, chunk_rows=40)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(job_id,)) for job_id in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Customer.objects.count() == 300
    done = ImportJob.objects.filter(pk__in=jobs)
    assert all(job.status == ImportStatus.DONE for job in done), [job.failure for job in done]
    assert sum(job.created_count for job in done) == 300
    assert all(job.created_count + job.updated_count + job.unchanged_count == 300 for job in done)


# --- consents ---------------------------------------------------------------------------------


def test_consent_columns_are_recorded_once_and_a_customers_own_opt_out_holds(
    run: Callable[..., ImportJob], make_customer: Callable[..., Any]
) -> None:
    opted_out = make_customer(mobile="09126660000")
    consent_set(
        actor=None, customer=opted_out, channel="sms", status="withdrawn", source="customer_link"
    )
    content = csv_bytes(
        ["mobile", "first_name", "رضایت پیامک"],
        [
            ["09126660001", "Ali", "بله"],
            ["09126660000", "Sara", "بله"],
            ["09126660002", "Reza", "شاید"],
        ],
    )
    job = run(content)
    assert counts(job) == (3, 1, 0, 0, 2)
    assert errors_of(job) == [(3, "رضایت پیامک", "بله"), (4, "رضایت پیامک", "شاید")]
    granted = Consent.objects.get(customer__mobile="+989126660001", channel="sms")
    assert (granted.status, granted.source) == ("granted", "import")
    assert Consent.objects.get(customer=opted_out, channel="sms").status == "withdrawn"
    changes = ConsentChange.objects.count()
    again = run(content)
    assert counts(again) == (3, 0, 0, 1, 2)
    assert ConsentChange.objects.count() == changes


# --- orders -----------------------------------------------------------------------------------

ORDER_HEADERS = [
    "شماره سفارش",
    "تاریخ",
    "موبایل",
    "کد کالا",
    "نام کالا",
    "تعداد",
    "قیمت واحد",
    "تخفیف",
    "کانال",
]


def test_orders_are_grouped_by_number_with_totals_in_rials(
    run: Callable[..., ImportJob], make_customer: Callable[..., Any]
) -> None:
    ali = make_customer(mobile="09121000001")
    sara = make_customer(mobile="09121000002")
    Product.objects.create(sku="TEA", name="چای", price=0)
    rows = [
        ["S-1", "1403/01/05 14:30", "09121000001", "TEA", "چای", "2", "150,000", "10000", "سایت"],
        ["S-2", "۱۴۰۳/۰۲/۱۰", "۰۹۱۲۱۰۰۰۰۰۲", "SAF", "زعفران", "1", "900000", "", "حضوری"],
        ["S-1", "", "", "SAF", "زعفران", "1", "900000", "10000", ""],  # S-1's second line, apart
    ]
    job = run(csv_bytes(ORDER_HEADERS, rows), kind=ImportKind.ORDERS, unit="toman")
    assert counts(job) == (3, 3, 0, 0, 0)
    first = Order.objects.get(number="S-1")
    assert first.customer == ali
    assert [(line.quantity, line.unit_price) for line in first.lines.all()] == [
        (2, 1_500_000),
        (1, 9_000_000),
    ]
    assert (first.discount, first.total) == (100_000, 12_000_000 - 100_000)
    assert first.channel == "website"
    assert timezone.localtime(first.placed_at).strftime("%Y-%m-%d %H:%M") == "2024-03-24 14:30"
    second = Order.objects.get(number="S-2")
    assert (second.customer, second.total, second.channel) == (sara, 9_000_000, "in_store")
    assert Product.objects.get(sku="SAF").name == "زعفران"
    assert Product.objects.get(sku="TEA").name == "چای"
    assert TimelineEvent.objects.filter(kind=EventKind.ORDER_PLACED).count() == 2
    before = snapshot(), TimelineEvent.objects.count()
    again = run(csv_bytes(ORDER_HEADERS, rows), kind=ImportKind.ORDERS, unit="toman")
    assert counts(again) == (3, 0, 0, 3, 0)
    assert (snapshot(), TimelineEvent.objects.count()) == before


def test_a_bad_line_rejects_its_whole_order_and_unknown_customers_need_a_name(
    run: Callable[..., ImportJob], make_customer: Callable[..., Any]
) -> None:
    make_customer(mobile="09121000001")
    rows = [
        ["S-1", "1403/01/05", "09121000001", "TEA", "چای", "2", "150000", "", ""],
        ["S-1", "1403/01/05", "09121000001", "SAF", "زعفران", "دو", "900000", "", ""],
        ["S-2", "1403/01/06", "09129999999", "TEA", "چای", "1", "150000", "", ""],
        ["S-3", "1403/01/07", "09121000001", "TEA", "چای", "1", "150000", "", "کشتی"],
        ["S-4", "1403/01/07", "09121000001", "TEA", "چای", "1", "150000", "", ""],
        ["", "1403/01/07", "09121000001", "TEA", "چای", "1", "150000", "", ""],
    ]
    job = run(csv_bytes(ORDER_HEADERS, rows), kind=ImportKind.ORDERS)
    assert counts(job) == (6, 1, 0, 0, 5)
    assert errors_of(job) == [
        (2, "", ""),
        (3, "تعداد", "دو"),
        (4, "موبایل", "09129999999"),
        (5, "کانال", "کشتی"),
        (7, "شماره سفارش", ""),
    ]
    assert list(Order.objects.values_list("number", flat=True)) == ["S-4"]
    assert not Product.objects.filter(sku="SAF").exists()


def test_orders_create_their_customer_when_the_row_names_them(
    run: Callable[..., ImportJob],
) -> None:
    headers = ["order number", "date", "mobile", "full name", "product", "amount"]
    rows = [
        ["1001", "2024-05-01", "09123334455", "محمد رضا کریمی", "کتاب", "2500000"],
        ["1002", "2024-05-02", "09123334455", "", "دفتر", "100000"],
    ]
    job = run(csv_bytes(headers, rows), kind=ImportKind.ORDERS, unit="rial")
    assert counts(job) == (2, 2, 0, 0, 0)
    customer = Customer.objects.get(mobile="+989123334455")
    assert (customer.first_name, customer.last_name) == ("محمد رضا", "کریمی")
    assert sorted(customer.orders.values_list("total", flat=True)) == [100_000, 2_500_000]
    assert Order.objects.get(number="1001").lines.get().description == "کتاب"


def test_orders_dry_run_predicts_the_import(run: Callable[..., ImportJob], tmp_path: Path) -> None:
    customers = sample.write_customers(tmp_path / "c.csv", 20).read_bytes()
    run(customers)
    orders = sample.write_csv(
        tmp_path / "o.csv", sample.ORDER_HEADERS, sample.order_rows(15, customers=25)
    ).read_bytes()
    before = snapshot()
    dry = run(orders, kind=ImportKind.ORDERS, dry_run=True, chunk_rows=4)
    assert snapshot() == before
    real = run(orders, kind=ImportKind.ORDERS, chunk_rows=4)
    assert counts(real) == counts(dry)
    assert real.created_count + real.rejected_count == real.total_rows
    assert Order.objects.count() == len(set(Order.objects.values_list("number", flat=True)))


# --- the command ------------------------------------------------------------------------------


def test_the_command_prints_the_summary_and_each_rejected_row(
    users: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(csv_bytes(["Tel", "نام"], [["09121112233", "علی"], ["12", "رضا"]]))
    out = io.StringIO()
    call_command(
        "import_data",
        "customers",
        str(path),
        "--user",
        "manager",
        "--dry-run",
        "--map",
        "Tel=mobile",
        "--lang",
        "en",
        stdout=out,
    )
    text = out.getvalue()
    assert "Tel → mobile" in text
    assert (
        "2 rows; would be created 1, would be updated 0, unchanged 0, would be rejected 1" in text
    )
    assert "row 3 [Tel] «12»: Not an Iranian mobile number" in text
    assert not Customer.objects.exists()
    out = io.StringIO()
    call_command(
        "import_data",
        "customers",
        str(path),
        "--user",
        "manager",
        "--map",
        "Tel=mobile",
        stdout=out,
    )
    assert Customer.objects.get().mobile == "+989121112233"


def test_rows_are_read_in_excel_numbering(users: dict[str, Any]) -> None:
    content = b"\n\nmobile;first_name\n09121112233;Ali\n\n0912;Bad\n"
    job = import_job_create(
        actor=users["admin"],
        kind="customers",
        upload=io.BytesIO(content),
        filename="c.csv",
        size=len(content),
    )
    assert mapping_of(job).headers == ["mobile", "first_name"]
    import_job_start(actor=users["admin"], job=job, dry_run=False, enqueue=lambda _id: None)
    import_run(job_id=job.pk)
    job.refresh_from_db()
    assert counts(job) == (2, 1, 0, 0, 1)
    assert errors_of(job) == [(6, "mobile", "0912")]
