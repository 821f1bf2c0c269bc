"""Retraining the company's sentiment model: one run at a time, and every run ends."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from mehvar.core.errors import ErrorCode, ServiceError
from mehvar.feedback import tasks, voice
from mehvar.feedback.models import Comment, CommentSource, SentimentTraining

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _data_dir(settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path  # the company's model goes to a scratch folder


def corrections(count: int = 12) -> None:
    for i in range(count):
        Comment.objects.create(
            text=f"نظر شماره {i} درباره‌ی {'ارسال سریع' if i % 2 else 'بسته‌بندی خراب'}",
            source=CommentSource.NOTE,
            ref_type="customers.note",
            ref_id=str(i),
            sentiment="neutral",
            corrected="positive" if i % 2 else "negative",
        )


def test_a_second_retraining_is_refused_while_one_runs(users: dict[str, Any]) -> None:
    corrections()
    running = SentimentTraining.objects.create(labels=12)
    with override("en"), pytest.raises(ServiceError) as refused:
        voice.sentiment_retrain(actor=users["manager"])
    assert refused.value.code == ErrorCode.CONFLICT
    assert str(refused.value) == "A retraining is already running; its result shows here soon."
    assert list(SentimentTraining.objects.all()) == [running]
    assert not voice.company_model_path().exists()

    # The task behind the wall's button and the weekly one skip quietly.
    tasks.retrain_sentiment_now(users["manager"].pk)
    tasks.retrain_sentiment()
    assert SentimentTraining.objects.count() == 1


def test_the_database_itself_holds_one_unfinished_run() -> None:
    SentimentTraining.objects.create()
    with pytest.raises(IntegrityError), transaction.atomic():
        SentimentTraining.objects.create()
    SentimentTraining.objects.create(finished_at=timezone.now())  # finished ones are many


def test_a_run_left_unfinished_by_a_dead_worker_stops_blocking(users: dict[str, Any]) -> None:
    corrections()
    dead = SentimentTraining.objects.create(started_at=timezone.now() - timedelta(minutes=31))
    run = voice.sentiment_retrain(actor=users["manager"])
    assert run.succeeded
    dead.refresh_from_db()
    assert dead.finished_at is not None
    assert not dead.succeeded
    assert dead.data["template"].startswith("The retraining stopped before it finished")


def test_a_failing_training_ends_the_run_and_keeps_the_model(
    users: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from mehvar.text import sentiment

    corrections()

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise MemoryError("the machine ran out of memory")

    monkeypatch.setattr(sentiment, "train_company_model", broken)
    run = voice.sentiment_retrain(actor=users["manager"])
    run.refresh_from_db()
    assert run.finished_at is not None
    assert not run.succeeded
    assert "MemoryError: the machine ran out of memory" in run.message
    assert run.data == {
        "template": "The retraining failed; the current model stays in use.",
        "params": {},
    }
    assert not voice.training_state().running
    assert not voice.company_model_path().exists()


def test_the_wall_reports_the_failure_and_allows_the_next_run(
    users: dict[str, Any], client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mehvar.text import sentiment

    corrections()
    real = sentiment.train_company_model

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(sentiment, "train_company_model", broken)
    client.force_login(users["manager"])
    client.cookies["django_language"] = "en"
    assert client.post(reverse("feedback:sentiment_retrain")).status_code == 302
    page = client.get(reverse("feedback:wall")).content.decode()
    assert "The retraining failed; the current model stays in use." in page
    assert "boom" not in page  # the details are for the log, not the page

    monkeypatch.setattr(sentiment, "train_company_model", real)
    client.post(reverse("feedback:sentiment_retrain"))
    assert [r.succeeded for r in SentimentTraining.objects.order_by("pk")] == [False, True]


def test_a_failing_save_leaves_the_old_model_and_no_partial_file(
    users: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from mehvar.text.sentiment import SentimentModel

    corrections()
    first = voice.sentiment_retrain(actor=users["manager"])
    path = voice.company_model_path()
    assert first.succeeded
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no .partial left behind
    before = path.read_bytes()

    def half_written(self: SentimentModel, target: Path) -> None:
        target.write_bytes(b"half a model")
        raise OSError("No space left on device")

    monkeypatch.setattr(SentimentModel, "save", half_written)
    second = voice.sentiment_retrain(actor=users["manager"])
    assert (second.succeeded, second.finished_at is not None) == (False, True)
    assert "No space left on device" in second.message
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_two_runs_write_to_different_temporary_files(
    users: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from mehvar.text.sentiment import SentimentModel

    corrections()
    targets: list[Path] = []
    real_save = SentimentModel.save

    def recording(self: SentimentModel, target: Path) -> None:
        targets.append(target)
        real_save(self, target)

    monkeypatch.setattr(SentimentModel, "save", recording)
    voice.sentiment_retrain(actor=users["manager"])
    voice.sentiment_retrain(actor=users["manager"])
    assert len(set(targets)) == 2
    assert all(t.parent == voice.company_model_path().parent for t in targets)
    assert all(t != voice.company_model_path() for t in targets)


def test_the_command_says_when_a_retraining_is_already_running() -> None:
    from django.core.management import CommandError, call_command

    SentimentTraining.objects.create(labels=3)  # started, not finished
    with pytest.raises(CommandError, match="mehvar sentiment"):
        call_command("sentiment_retrain")
    corrections()
    SentimentTraining.objects.update(finished_at=timezone.now())
    call_command("sentiment_retrain")
    assert SentimentTraining.objects.filter(succeeded=True).count() == 1
