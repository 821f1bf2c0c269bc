"""Production settings: secrets from the environment, `check --deploy` clean (SECURITY.md #11)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

MEHVAR = [sys.executable, "-m", "mehvar"]


def _run(env: dict[str, str], *args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    clean.update({"MEHVAR_DATA_DIR": str(tmp_path), "MEHVAR_TESTING": "false", **env})
    return subprocess.run(
        [*MEHVAR, *args], env=clean, capture_output=True, text=True, timeout=120, check=False
    )


def test_production_passes_check_deploy(tmp_path: Path) -> None:
    env = {
        "MEHVAR_ENV": "production",
        "SECRET_KEY": "k" * 20 + "-Zx9!q" * 8,
        "ALLOWED_HOSTS": "crm.example.ir",
    }
    result = _run(env, "check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout


def test_production_refuses_to_start_without_a_secret(tmp_path: Path) -> None:
    result = _run(
        {"MEHVAR_ENV": "production", "ALLOWED_HOSTS": "crm.example.ir"}, "check", tmp_path=tmp_path
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_a_malformed_flag_fails_loudly(tmp_path: Path) -> None:
    result = _run({"DEBUG": "maybe"}, "check", tmp_path=tmp_path)
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


def test_the_embedded_database_runs_in_wal_mode(tmp_path: Path) -> None:
    probe = (
        "from django.db import connection; c = connection.cursor(); "
        "c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])"
    )
    env = {"DATABASE_URL": ""}
    result = _run(env, "shell", "-c", probe, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "wal"
