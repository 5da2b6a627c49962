"""The department's rooms page; API docs served offline; SITE_URL follows PORT."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.staticfiles import finders

from tests.factories import at, make_room, session_queries
from tests.meetings.conftest import book


def test_rooms_page_lists_shared_rooms_filtered_with_the_days_free_busy(org, client, day, django_assert_num_queries):
    make_room(org.cdc, "Hội trường CDC", capacity=150, equipment=["vc", "projector"], shared=True)
    book(org.dept_secretary, org.dept, at(day, 9), at(day, 11), [(org.hall, 40)], title="Hội nghị Sở")
    client.force_login(org.secretary)
    html = client.get("/rooms/", {"d": day.isoformat()}).content.decode()
    assert "Hội trường Sở" in html and "Hội trường CDC" in html
    assert "Phòng họp A" in html  # the viewer's own rooms too
    assert "Phòng giao ban CDC" not in html  # not shared
    assert "09:00–11:00" in html  # busy time of the hall, shown as text too
    r = client.get("/rooms/", {"d": day.isoformat(), "capacity": "100", "equipment": ["vc"]})
    html = r.content.decode()
    assert "Hội trường Sở" in html and "Hội trường CDC" in html and "Phòng họp A" not in html
    html = client.get("/rooms/", {"d": day.isoformat(), "unit": "cdc"}).content.decode()
    assert "Hội trường CDC" in html and "Hội trường Sở" not in html
    with django_assert_num_queries(7 + session_queries()) as small:
        client.get("/rooms/", {"d": day.isoformat()})
    for i in range(4):
        room = make_room(org.dept, f"Phòng Sở {i}", shared=True, equipment=["projector"])
        book(org.dept_secretary, org.dept, at(day, 13), at(day, 13) + timedelta(minutes=30), [room], title=f"S{i}")
    with django_assert_num_queries(len(small.captured_queries)):
        client.get("/rooms/", {"d": day.isoformat()})


def test_rooms_filter_errors_are_in_vietnamese(org, client):
    client.force_login(org.secretary)
    r = client.get("/rooms/", {"capacity": "nhiều"})
    assert r.status_code == 400
    assert "Nhập một số nguyên." in r.content.decode()


def test_api_docs_come_from_files_installed_with_the_app(org, client):
    client.force_login(org.secretary)
    for url in ("/api/docs/", "/api/redoc/"):
        html = client.get(url).content.decode()
        assert "cdn" not in html.lower() and "googleapis" not in html
        assert "/static/drf_spectacular_sidecar/" in html
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert finders.find("drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js")
    script = client.get("/api/docs/?script").content.decode()
    assert "SwaggerUIBundle" in script
    profile = client.get("/profile/").content.decode()
    assert 'href="/api/docs/"' in profile and 'href="/api/redoc/"' in profile
    # D10: not in every user's header
    calendar = client.get("/calendar/").content.decode()
    assert "/api/docs/" not in calendar


def test_site_url_follows_port_unless_set():
    code = "import django; django.setup(); from django.conf import settings; print(settings.SITE_URL)"
    import subprocess
    import sys

    from tests.config.test_settings import ROOT

    def site(env):
        import os

        clean = {k: v for k, v in os.environ.items() if k not in {"SITE_URL", "PORT", "HOST", "DATABASE_URL", "REDIS_URL"}}
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**clean, **env, "DJANGO_SETTINGS_MODULE": "config.settings"},
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()

    assert site({"PORT": "8104"}) == "http://127.0.0.1:8104"
    assert site({"PORT": "8104", "HOST": "0.0.0.0"}) == "http://127.0.0.1:8104"  # noqa: S104 - a value, not a bind
    assert site({}) == "http://127.0.0.1:8000"
    assert site({"PORT": "8104", "SITE_URL": "https://lichhop.soyte.vn/"}) == "https://lichhop.soyte.vn"
