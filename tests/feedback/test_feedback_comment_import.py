"""Importing customers' comments from a file, and retraining the sentiment model from the wall."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mehvar.core.errors import ValidationFailed
from mehvar.core.jalali import TEHRAN
from mehvar.core.models import EventKind, TimelineEvent
from mehvar.feedback import comment_import, voice
from mehvar.feedback.models import Comment, CommentSource, SentimentTraining
from mehvar.feedback.voice import ImportedComment, company_model_path

pytestmark = pytest.mark.django_db

IMPORT = reverse("feedback:comment_import")
COLUMNS = reverse("feedback:comment_import_columns")
WALL = reverse("feedback:wall")


@pytest.fixture(autouse=True)
def _data_dir(settings: Any, tmp_path: Path) -> None:
    # Kept uploads and the company's model go to a scratch folder, never the real DATA_DIR.
    settings.DATA_DIR = tmp_path


def login(client: Client, user: Any) -> Client:
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


def page(response: Any) -> str:
    return str(response.content.decode())


def csv_file(text: str, name: str = "comments.csv", encoding: str = "utf-8-sig") -> Any:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def upload(client: Client, file: Any) -> Any:
    return client.post(IMPORT, {"file": file})


def choose(client: Client, token: str, **columns: Any) -> Any:
    data = {
        "token": token,
        "match_by": "auto",
        "customer": "",
        "date": "",
        "reference": "",
        "source": "",
    }
    data.update({name: str(value) for name, value in columns.items()})
    return client.post(COLUMNS, data)


def count(html: str, name: str) -> int:
    found = re.search(rf'data-count="{name}">([^<]*)<', html)
    assert found, name
    return int(found[1])


COMMENTS_CSV = (
    "موبایل,تاریخ,نظر\r\n"
    "۰۹۱۲۱۱۱۲۲۳۳,۱۴۰۳/۰۱/۰۵,خیلی عالی بود، از پشتیبانی ممنونم\r\n"
    "+98 935 123 4567,1403/02/10,ارسال خیلی دیر بود و بسته خراب رسید\r\n"
    "09990000000,,معمولی بود\r\n"
    "09121112233,1403/01/05,\r\n"
    ",1403/13/40,بد بود\r\n"
)


def test_a_csv_is_imported_with_customers_dates_and_row_errors(
    users: dict[str, Any], client: Client, make_customer: Callable[..., Any]
) -> None:
    first = make_customer(mobile="09121112233")
    second = make_customer(mobile="09351234567", first_name="مریم")
    login(client, users["marketing"])

    response = upload(client, csv_file(COMMENTS_CSV))
    assert response.status_code == 200
    html = page(response)
    assert "نظر" in html
    assert "۰۹۱۲۱۱۱۲۲۳۳" in html
    kept = response.context["upload"]
    assert kept.columns == ["موبایل", "تاریخ", "نظر"]
    assert kept.rows == 5
    # The header words preselect the columns.
    assert response.context["form"].initial["text"] == "2"
    assert response.context["form"].initial["customer"] == "0"
    assert response.context["form"].initial["date"] == "1"

    response = choose(client, kept.token, text=2, customer=0, date=1)
    assert response.status_code == 200
    html = page(response)
    assert count(html, "read") == 5
    assert count(html, "stored") == 3
    assert count(html, "duplicates") == 0
    assert count(html, "unmatched") == 1
    assert count(html, "rejected") == 2
    problems = re.findall(r"<tr><td class=\"num\">(\d+)</td><td dir=\"auto\">([^<]*)</td>", html)
    assert problems[0] == ("5", "The text is empty.")
    assert problems[1][0] == "6"
    assert "1403/13/40" in problems[1][1]
    assert "not a date" in problems[1][1]
    assert f'href="{WALL}?source=import"' in html

    stored = {c.text: c for c in Comment.objects.filter(source=CommentSource.IMPORT)}
    assert set(stored) == {
        "خیلی عالی بود، از پشتیبانی ممنونم",
        "ارسال خیلی دیر بود و بسته خراب رسید",
        "معمولی بود",
    }
    happy = stored["خیلی عالی بود، از پشتیبانی ممنونم"]
    assert happy.customer == first
    assert happy.occurred_at.astimezone(TEHRAN).date().isoformat() == "2024-03-24"
    assert happy.ref_type == "import"
    assert re.fullmatch(r"[0-9a-f]{16}:2", happy.ref_id)
    assert stored["ارسال خیلی دیر بود و بسته خراب رسید"].customer == second
    assert stored["معمولی بود"].customer is None
    # The split shown is the split stored.
    split = dict.fromkeys(("positive", "neutral", "negative"), 0)
    for comment in stored.values():
        split[comment.sentiment] += 1
    for label, shown in split.items():
        assert f'{label.capitalize()}: <span class="num">{shown}</span>' in html
    # A matched customer's comment is on their timeline.
    assert TimelineEvent.objects.filter(customer=first, kind=EventKind.COMMENT).count() == 1

    # The same file again: nothing new, three rows reported as already imported.
    response = upload(client, csv_file(COMMENTS_CSV))
    response = choose(client, response.context["upload"].token, text=2, customer=0, date=1)
    html = page(response)
    assert count(html, "stored") == 0
    assert count(html, "duplicates") == 3
    assert Comment.objects.filter(source=CommentSource.IMPORT).count() == 3
    assert TimelineEvent.objects.filter(customer=first, kind=EventKind.COMMENT).count() == 1


def test_a_reference_column_names_the_comments_and_repeats_are_reported(
    users: dict[str, Any], client: Client
) -> None:
    login(client, users["manager"])
    text = "id\tcomment\nR-1\tgood shop\nR-2\tslow delivery\nR-1\tgood shop again\n"
    response = upload(client, csv_file(text, name="reviews.tsv"))
    assert response.context["upload"].columns == ["id", "comment"]
    html = page(choose(client, response.context["upload"].token, text=1, reference=0))
    assert count(html, "stored") == 2
    assert "The reference “R-1” is already in row 2." in html
    # Without a source name given, the file's name is the source.
    assert set(Comment.objects.values_list("ref_id", flat=True)) == {"reviews:R-1", "reviews:R-2"}


def test_the_same_references_from_two_sources_are_two_comments(
    users: dict[str, Any], client: Client
) -> None:
    login(client, users["manager"])
    text = "id,comment\n1,good shop\n2,slow delivery\n"
    for source in ("دیجی‌کالا", "Instagram"):
        response = upload(client, csv_file(text, name="export.csv"))
        html = page(
            choose(client, response.context["upload"].token, text=1, reference=0, source=source)
        )
        assert count(html, "stored") == 2
    assert set(Comment.objects.values_list("ref_id", flat=True)) == {
        "دیجی‌کالا:1",
        "دیجی‌کالا:2",
        "Instagram:1",
        "Instagram:2",
    }
    # The same file from the same source again: nothing new.
    response = upload(client, csv_file(text, name="other-name.csv"))
    html = page(
        choose(client, response.context["upload"].token, text=1, reference=0, source="Instagram")
    )
    assert count(html, "stored") == 0
    assert count(html, "duplicates") == 2
    assert Comment.objects.count() == 4


def test_a_long_source_and_reference_are_kept_unique_as_a_digest(
    users: dict[str, Any], client: Client
) -> None:
    login(client, users["manager"])
    address = "https://reviews.example/" + "x" * 60
    response = upload(client, csv_file(f"url,comment\n{address},good\n"))
    choose(client, response.context["upload"].token, text=1, reference=0, source="site")
    stored = Comment.objects.get()
    assert stored.ref_id == hashlib.sha256(f"site:{address}".encode()).hexdigest()


def test_control_characters_become_spaces_and_are_counted(
    users: dict[str, Any], client: Client, make_customer: Callable[..., Any]
) -> None:
    customer = make_customer(mobile="09121112233")
    login(client, users["manager"])
    text = (
        'mobile,ref,comment\n0912111\x002233,a\x00b,bad\x00 service\x07!\nok,c,"tab\tand\nline"\n'
    )
    response = upload(client, csv_file(text))
    html = page(choose(client, response.context["upload"].token, text=2, customer=0, reference=1))
    assert count(html, "stored") == 2
    assert count(html, "cleaned") == 3  # text, customer and reference of the first row
    first = Comment.objects.get(ref_id="comments:a b")
    assert first.text == "bad  service !"
    assert "\x00" not in first.text
    # "0912111 2233" still names the customer: a mobile may be written with spaces.
    assert first.customer == customer
    assert Comment.objects.get(ref_id="comments:c").text == "tab\tand\nline"


def test_a_file_without_control_characters_reports_none(
    users: dict[str, Any], client: Client
) -> None:
    login(client, users["manager"])
    response = upload(client, csv_file("comment\nfine\n"))
    html = page(choose(client, response.context["upload"].token, text=0))
    assert 'data-count="cleaned"' not in html


def test_an_xlsx_file_with_number_and_date_cells(
    users: dict[str, Any], client: Client, make_customer: Callable[..., Any]
) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    customer = make_customer(mobile="09123334455")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Mobile", "Date", "Comment"])
    sheet.append([9123334455, datetime(2024, 5, 1, 10, 30), "کیفیت محصول عالی است"])  # noqa: DTZ001
    buffer = io.BytesIO()
    book.save(buffer)
    login(client, users["sales"])

    response = upload(client, SimpleUploadedFile("export.xlsx", buffer.getvalue()))
    assert response.status_code == 200
    html = page(choose(client, response.context["upload"].token, text=2, customer=0, date=1))
    assert count(html, "stored") == 1
    comment = Comment.objects.get()
    assert comment.customer == customer
    assert comment.text == "کیفیت محصول عالی است"
    assert comment.occurred_at.astimezone(TEHRAN).date().isoformat() == "2024-05-01"


def test_a_windows_1256_csv_is_read(users: dict[str, Any], client: Client) -> None:
    login(client, users["manager"])
    # Windows-1256 has no Persian ی: legacy files use the Arabic ي, which is stored as ی.
    text = "نظر;امتیاز\r\nپشتیبانی خیلی کند بود;2\r\n".replace("ی", "ي")
    response = upload(client, csv_file(text, encoding="cp1256"))
    assert response.context["upload"].columns == ["نظر", "امتياز"]
    choose(client, response.context["upload"].token, text=0)
    assert list(Comment.objects.values_list("text", flat=True)) == ["پشتیبانی خیلی کند بود"]


def test_a_formula_is_stored_as_text_and_escaped_on_the_wall(
    users: dict[str, Any], client: Client
) -> None:
    login(client, users["manager"])
    formula = '=HYPERLINK("http://evil.example/x","<b>click</b>")'
    text = 'comment\n"=HYPERLINK(""http://evil.example/x"",""<b>click</b>"")"\n'
    response = upload(client, csv_file(text))
    choose(client, response.context["upload"].token, text=0)
    assert Comment.objects.get().text == formula
    html = page(client.get(WALL, {"source": "import"}))
    assert (
        "=HYPERLINK(&quot;http://evil.example/x&quot;,&quot;&lt;b&gt;click&lt;/b&gt;&quot;)" in html
    )
    assert "<b>click</b>" not in html


def test_an_upload_sent_twice_is_imported_once(
    users: dict[str, Any], client: Client, make_customer: Callable[..., Any], tmp_path: Path
) -> None:
    customer = make_customer(mobile="09121112233")
    login(client, users["manager"])
    token = upload(client, csv_file("mobile,comment\n09121112233,good\n")).context["upload"].token
    assert count(page(choose(client, token, text=1, customer=0)), "stored") == 1
    response = choose(client, token, text=1, customer=0)
    assert response.status_code == 302
    assert response["Location"] == IMPORT
    # The service itself refuses a claimed upload (the page checks first; a race does not).
    with pytest.raises(ValidationFailed) as caught:
        comment_import.comments_file_import(
            actor=users["manager"], token=token, columns=comment_import.Columns(text=1)
        )
    assert caught.value.errors == {"file": "This upload is no longer here; upload the file again."}
    assert Comment.objects.count() == 1
    assert TimelineEvent.objects.filter(customer=customer, kind=EventKind.COMMENT).count() == 1
    assert not list((tmp_path / "uploads" / "comments").glob("*"))


def test_an_import_refused_for_its_columns_keeps_the_upload(
    users: dict[str, Any], client: Client
) -> None:
    login(client, users["manager"])
    token = upload(client, csv_file("comment\ngood\n")).context["upload"].token
    with pytest.raises(ValidationFailed):
        comment_import.comments_file_import(
            actor=users["manager"], token=token, columns=comment_import.Columns(text=3)
        )
    report = comment_import.comments_file_import(
        actor=users["manager"], token=token, columns=comment_import.Columns(text=0)
    )
    assert report.stored == 1


def test_an_import_holds_its_sources_lock_until_it_commits(
    users: dict[str, Any], make_customer: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL a second import of the same rows waits for the first to commit, then finds
    them stored: no row is returned (and put on a timeline) by both."""
    if connection.vendor != "postgresql":
        pytest.skip("the lock is PostgreSQL's; SQLite has one writer at a time")
    customer = make_customer(mobile="09121112233")
    real_model = voice.current_model
    held: list[bool] = []

    def model_while_storing() -> Any:
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_try_advisory_lock(hashtext(%s))", ["mehvar.comment:import"]
                )
                got = cursor.fetchone()[0]
                if got:
                    cursor.execute(
                        "SELECT pg_advisory_unlock(hashtext(%s))", ["mehvar.comment:import"]
                    )
                held.append(not got)
        finally:
            other.close()
        return real_model()

    monkeypatch.setattr(voice, "current_model", model_while_storing)
    rows = [
        ImportedComment(customer=customer, text="good", occurred_at=timezone.now(), reference="x:1")
    ]
    assert [c.ref_id for c in voice.comments_import(actor=users["manager"], rows=rows)] == ["x:1"]
    assert held == [True]
    # Stored already: the same rows again are not returned, so no second timeline event.
    assert voice.comments_import(actor=users["manager"], rows=rows) == []
    assert TimelineEvent.objects.filter(customer=customer, kind=EventKind.COMMENT).count() == 1


def test_importing_many_rows_costs_one_timeline_insert_per_row(
    users: dict[str, Any],
    client: Client,
    make_customer: Callable[..., Any],
    django_assert_max_num_queries: Any,
) -> None:
    rows = 30
    for i in range(rows):
        make_customer(mobile=f"091211100{i:02d}")
    login(client, users["manager"])
    lines = [f"091211100{i:02d},1400/01/01,نظر شماره {i}" for i in range(rows)]
    token = (
        upload(client, csv_file("mobile,date,comment\n" + "\n".join(lines))).context["upload"].token
    )
    # Per row, only its timeline event (old dates: no follow-up is opened). The rest is a fixed
    # cost, 13 queries measured on SQLite and PostgreSQL: the session and user, the customer
    # lookup, the lock, the check, the insert, the re-read and the savepoints; 2 to spare.
    # Loading each comment's customer on its own (no select_related) made it 72.
    with django_assert_max_num_queries(rows + 15):
        response = choose(client, token, text=2, customer=0, date=1)
    assert count(page(response), "stored") == rows
    assert TimelineEvent.objects.filter(kind=EventKind.COMMENT).count() == rows


def test_an_xlsx_with_a_far_cell_is_refused(users: dict[str, Any], client: Client) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"], sheet["XFD1"], sheet["A20001"] = "comment", "x", "late"
    buffer = io.BytesIO()
    book.save(buffer)
    login(client, users["manager"])
    response = upload(client, SimpleUploadedFile("wide.xlsx", buffer.getvalue()))
    assert response.status_code == 422
    assert "The file has more than 200 columns." in page(response)


def test_an_xlsx_with_too_many_rows_is_refused(
    users: dict[str, Any], client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    monkeypatch.setattr(comment_import, "MAX_ROWS", 2)
    book = openpyxl.Workbook()
    sheet = book.active
    for row in (["comment"], ["a"], ["b"], ["c"]):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    login(client, users["manager"])
    response = upload(client, SimpleUploadedFile("long.xlsx", buffer.getvalue()))
    assert response.status_code == 422
    assert "The file has more than 2 rows; import at most 2 at a time." in page(response)


def test_a_file_too_long_or_unreadable_is_refused_with_a_reason(
    users: dict[str, Any], client: Client, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(comment_import, "MAX_ROWS", 2)
    login(client, users["manager"])
    response = upload(client, csv_file("comment\na\nb\nc\n"))
    assert response.status_code == 422
    assert "The file has 3 rows; import at most 2 at a time." in page(response)
    response = upload(client, SimpleUploadedFile("old.xls", b"\xd0\xcf\x11\xe0rest"))
    assert response.status_code == 422
    assert "old Excel format" in page(response)
    response = upload(client, SimpleUploadedFile("fake.xlsx", b"not a workbook"))
    assert response.status_code == 422
    assert "This is not an Excel (.xlsx) file." in page(response)
    assert not list((tmp_path / "uploads" / "comments").glob("*"))  # nothing refused is kept
    assert not Comment.objects.exists()


def test_a_text_too_long_is_a_row_error(users: dict[str, Any], client: Client) -> None:
    login(client, users["manager"])
    response = upload(client, csv_file("comment\n" + "خ" * 5001 + "\nکوتاه\n"))
    html = page(choose(client, response.context["upload"].token, text=0))
    assert "The text is longer than 5000 characters (5001)." in html
    assert list(Comment.objects.values_list("text", flat=True)) == ["کوتاه"]


def test_service_may_not_import(users: dict[str, Any], client: Client, tmp_path: Path) -> None:
    login(client, users["service"])
    assert client.get(IMPORT).status_code == 403
    assert upload(client, csv_file("comment\nhello\n")).status_code == 403
    assert choose(client, "anything", text=0).status_code == 403
    assert not (tmp_path / "uploads").exists()
    assert "Import comments" not in page(client.get(WALL))


def test_an_upload_is_only_its_uploaders(users: dict[str, Any], client: Client) -> None:
    login(client, users["manager"])
    token = upload(client, csv_file("comment\nhello\n")).context["upload"].token
    login(client, users["marketing"])
    response = choose(client, token, text=0)
    assert response.status_code == 302
    assert response["Location"] == IMPORT
    assert not Comment.objects.exists()


# --- retraining from the wall ---------------------------------------------------------------


def test_a_manager_sees_the_panel_and_too_few_corrections_keep_the_shipped_model(
    users: dict[str, Any], client: Client
) -> None:
    login(client, users["manager"])
    html = page(client.get(WALL))
    assert "Retrain now" in html
    assert "Retraining needs at least 10 corrected labels" in html
    shipped = re.search(r"data-model-version>([^<]+)<", html)
    assert shipped

    response = client.post(reverse("feedback:sentiment_retrain"))
    assert response.status_code == 302
    run = SentimentTraining.objects.get()
    assert not run.succeeded
    assert run.labels == 0
    assert not company_model_path().exists()
    html = page(client.get(WALL))
    assert "Retraining started" in html
    assert (
        "Retraining needs at least 10 corrected labels with at least two different labels; got 0"
        in html
    )
    assert f"data-model-version>{shipped[1]}<" in html


def test_a_retraining_with_enough_corrections_changes_the_model(
    users: dict[str, Any], client: Client
) -> None:
    for i in range(12):
        Comment.objects.create(
            text=f"نظر شماره {i} درباره‌ی {'ارسال سریع' if i % 2 else 'بسته‌بندی خراب'}",
            source=CommentSource.NOTE,
            ref_type="customers.note",
            ref_id=str(i),
            sentiment="neutral",
            corrected="positive" if i % 2 else "negative",
        )
    login(client, users["admin"])
    client.post(reverse("feedback:sentiment_retrain"))
    run = SentimentTraining.objects.get()
    assert run.succeeded
    assert run.labels == 12
    assert company_model_path().exists()
    html = page(client.get(WALL))
    assert f"data-model-version>{run.model_version}<" in html
    assert "company-" in run.model_version


def test_sales_may_not_retrain(users: dict[str, Any], client: Client) -> None:
    login(client, users["sales"])
    assert "Retrain now" not in page(client.get(WALL))
    assert client.post(reverse("feedback:sentiment_retrain")).status_code == 403
    assert not SentimentTraining.objects.exists()
