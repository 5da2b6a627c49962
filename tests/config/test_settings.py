"""Settings are driven by the environment; production refuses the development secret."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _load_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "QUORUM_EMBEDDED", "DATABASE_URL", "REDIS_URL"}}
    clean.update(env)
    code = "import django; django.setup(); from django.conf import settings; print(settings.DATABASES['default']['ENGINE'], settings.TIME_ZONE, settings.LANGUAGE_CODE)"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True, text=True, timeout=60,
    )


def test_production_refuses_the_development_secret_key():
    result = _load_settings({"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/quorum"})
    assert result.returncode != 0
    assert "SECRET_KEY is the development key" in result.stderr


def test_production_starts_with_a_real_secret_key():
    result = _load_settings({"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/quorum", "SECRET_KEY": "a" * 50})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "django.db.backends.postgresql"


def test_embedded_default_is_sqlite_in_vietnamese_and_local_time():
    result = _load_settings({})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "Asia/Ho_Chi_Minh", "vi"]


def test_a_malformed_boolean_is_a_clear_error():
    result = _load_settings({"DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr
