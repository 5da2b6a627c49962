"""SITE_URL (the links in e-mails) follows PORT unless it is set explicitly (issue 9)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def site_url(env: dict[str, str]) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in {"SITE_URL", "PORT", "DATABASE_URL", "REDIS_URL"}}
    code = "import django; django.setup(); from django.conf import settings; print(settings.SITE_URL)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         env={**clean, **env, "DJANGO_SETTINGS_MODULE": "config.settings"})
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_site_url_follows_port_unless_set():
    assert site_url({}) == "http://127.0.0.1:8000"
    assert site_url({"PORT": "8104"}) == "http://127.0.0.1:8104"
    assert site_url({"PORT": "8104", "SITE_URL": "https://lich.soyte.example.vn/"}) == "https://lich.soyte.example.vn"
