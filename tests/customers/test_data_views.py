"""The import pages: upload, mapping, dry run, progress polling, errors; who may see what."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from mehvar.customers.imports.jobs import import_job_create, import_job_start
from mehvar.customers.imports.runner import import_run
from mehvar.customers.imports.state import mapping_of, options_of
from mehvar.customers.models import Customer, ImportJob, ImportRowError, ImportStatus

pytestmark = pytest.mark.django_db

CSV = "موبایل,نام,نام خانوادگی,شهر\n09121110001,علی,رضایی,تهران\n0912,بد,ردیف,=cmd()\n".encode()


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def client_for(user: Any, language: str = "en") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def upload(content: bytes = CSV, name: str = "مشتریان.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def job_of(user: Any, *, run: bool = True, dry_run: bool = False) -> ImportJob:
    job = import_job_create(
        actor=user,
        kind="customers",
        upload=io.BytesIO(CSV),
        filename="c.csv",
        size=len(CSV),
        language="en",
    )
    import_job_start(actor=user, job=job, dry_run=dry_run, enqueue=lambda _id: None)
    if run:
        import_run(job_id=job.pk)
    job.refresh_from_db()
    return job


def state() -> tuple[int, int, int]:
    return ImportJob.objects.count(), Customer.objects.count(), ImportRowError.objects.count()


@pytest.mark.parametrize(
    ("role", "status"),
    [("admin", 200), ("manager", 200), ("sales", 200), ("marketing", 200), ("service", 403)],
)
def test_the_import_page_by_role(users: dict[str, Any], role: str, status: int) -> None:
    response = client_for(users[role]).get(reverse("data:imports"))
    assert response.status_code == status


def test_anonymous_visitors_go_to_login() -> None:
    for name in ("data:imports", "data:export_customers"):
        response = Client().get(reverse(name))
        assert response.status_code == 302
    response = Client().get(reverse("data:import_job", args=[1]))
    assert response["Location"].startswith(reverse("login"))


def test_upload_map_dry_run_then_import(
    users: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(users["sales"])
    response = client.post(
        reverse("data:imports"),
        {"kind": "customers", "file": upload(), "unit": "toman", "calendar": "auto"},
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("data:import_mapping", args=[job.pk])
    assert (job.created_by, job.original_name) == (users["sales"], "مشتریان.csv")
    assert not job.file.name.endswith("مشتریان.csv")  # stored under a random name

    page = client.get(response["Location"]).content.decode()
    assert re.search(r'<option value="mobile" selected>', page)
    assert "09121110001" in page  # a sample value

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("data:import_mapping", args=[job.pk]),
            {
                "column_0": "mobile",
                "column_1": "first_name",
                "column_2": "last_name",
                "column_3": "city",
                "action": "preview",
            },
        )
    assert response.status_code == 302
    job.refresh_from_db()
    assert (options_of(job).phase, job.status) == ("preview", ImportStatus.DONE)
    assert (job.created_count, job.rejected_count) == (1, 1)
    assert not Customer.objects.exists()
    page = client.get(reverse("data:import_job", args=[job.pk])).content.decode()
    assert 'id="count-created"' in page
    assert reverse("data:import_start", args=[job.pk]) in page
    assert "+989121110001" in page  # the preview shows the value as it would be stored

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("data:import_start", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert (options_of(job).phase, job.status, job.created_count) == (
        "import",
        ImportStatus.DONE,
        1,
    )
    assert Customer.objects.get().owner == users["sales"]
    # A finished import cannot be started again.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("data:import_start", args=[job.pk]))
    assert Customer.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("notes.txt", b"x", "Only CSV and Excel"),
        ("c.csv", b"\x00\x01\x02\x03", "binary"),
        ("c.xlsx", b"mobile\n0912", "not an Excel"),
    ],
)
def test_bad_files_are_refused_next_to_the_field(
    users: dict[str, Any], name: str, content: bytes, fragment: str
) -> None:
    response = client_for(users["admin"]).post(
        reverse("data:imports"), {"kind": "customers", "file": upload(content, name)}
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert re.search(r'id="id_file_error">[^<]*' + re.escape(fragment), page)
    assert "is-invalid" in page
    assert state() == (0, 0, 0)


def test_too_large_files_are_refused(users: dict[str, Any], settings: Any) -> None:
    settings.MEHVAR_IMPORT_MAX_BYTES = 20
    response = client_for(users["admin"]).post(
        reverse("data:imports"), {"kind": "customers", "file": upload()}
    )
    assert response.status_code == 422
    assert state() == (0, 0, 0)


def test_denied_uploads_store_nothing(users: dict[str, Any]) -> None:
    response = client_for(users["service"]).post(
        reverse("data:imports"), {"kind": "customers", "file": upload()}
    )
    assert response.status_code == 403
    # Marketing imports customers but may not write orders.
    response = client_for(users["marketing"]).post(
        reverse("data:imports"), {"kind": "orders", "file": upload()}
    )
    assert response.status_code == 403
    assert state() == (0, 0, 0)


def test_mapping_errors_are_shown_next_to_the_column(users: dict[str, Any]) -> None:
    job = import_job_create(
        actor=users["admin"],
        kind="customers",
        upload=io.BytesIO(CSV),
        filename="c.csv",
        size=len(CSV),
    )
    client = client_for(users["admin"])
    url = reverse("data:import_mapping", args=[job.pk])
    response = client.post(
        url, {"column_0": "mobile", "column_1": "mobile", "column_2": "", "column_3": ""}
    )
    assert response.status_code == 422
    assert "Another column already goes to this field." in response.content.decode()
    response = client.post(
        url, {"column_0": "", "column_1": "first_name", "column_2": "", "column_3": ""}
    )
    assert response.status_code == 422
    assert "Choose a column for the mobile" in response.content.decode()
    assert mapping_of(ImportJob.objects.get()).targets == [
        "mobile",
        "first_name",
        "last_name",
        "city",
    ]


def test_jobs_are_private_to_their_owner_and_leads(
    users: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    job = job_of(users["sales"], run=True, dry_run=True)
    before = state(), options_of(job).phase
    other = client_for(users["sales2"])
    for name, method in [
        ("data:import_job", "get"),
        ("data:import_mapping", "get"),
        ("data:import_mapping", "post"),
        ("data:import_start", "post"),
        ("data:import_errors_csv", "get"),
    ]:
        with django_capture_on_commit_callbacks(execute=True):
            response = getattr(other, method)(reverse(name, args=[job.pk]), {"action": "import"})
        assert response.status_code == 403, name
    job.refresh_from_db()
    assert (state(), options_of(job).phase) == before
    assert "c.csv" not in other.get(reverse("data:imports")).content.decode()
    manager = client_for(users["manager"])
    assert manager.get(reverse("data:import_job", args=[job.pk])).status_code == 200
    assert "c.csv" in manager.get(reverse("data:imports")).content.decode()


def test_progress_is_polled_while_running_and_the_page_reloads_at_the_end(
    users: dict[str, Any],
) -> None:
    job = job_of(users["admin"], run=False)
    client = client_for(users["admin"])
    url = reverse("data:import_job", args=[job.pk])
    htmx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "job-progress"}
    partial = client.get(url, **htmx)
    body = partial.content.decode()
    assert "<html" not in body
    assert 'hx-trigger="every 1s"' in body
    assert "HX-Refresh" not in partial
    import_run(job_id=job.pk)
    finished = client.get(url + "?was=running", **htmx)
    assert finished["HX-Refresh"] == "true"
    assert 'hx-trigger="every 1s"' not in finished.content.decode()
    page = client.get(url).content.decode()
    assert 'hx-trigger="every 1s"' not in page


def test_error_pages_and_the_downloadable_report(users: dict[str, Any]) -> None:
    job = job_of(users["admin"])
    client = client_for(users["admin"])
    partial = client.get(
        reverse("data:import_job", args=[job.pk]),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="job-errors",
    )
    body = partial.content.decode()
    assert body.startswith('<div id="job-errors">')
    assert "0912" in body
    report = client.get(reverse("data:import_errors_csv", args=[job.pk]))
    content = b"".join(report.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff")
    assert content.splitlines()[1:] == [
        "3,موبایل,0912,Not an Iranian mobile number (expected like 09121234567): 0912"
    ]


def test_pages_are_persian_right_to_left_and_without_inline_scripts(users: dict[str, Any]) -> None:
    job = job_of(users["admin"], dry_run=True)
    client = client_for(users["admin"], "fa")
    for url in (
        reverse("data:imports"),
        reverse("data:import_mapping", args=[job.pk]),
        reverse("data:import_job", args=[job.pk]),
    ):
        response = client.get(url)
        page = response.content.decode()
        assert response.status_code == 200
        assert 'dir="rtl"' in page
        assert re.findall(r"<script(?![^>]*\bsrc=)", page) == []
        assert not re.search(r"<[^>]+\son[a-z]+=", page)
        assert "script-src 'self'" in response["Content-Security-Policy"]
