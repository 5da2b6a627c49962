"""A lost database answers 503 with a Vietnamese page (or JSON for the API), then recovers."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def db_down(monkeypatch):
    """Every query fails as it does when PostgreSQL is away."""
    from django.db.backends.utils import CursorWrapper

    state = {"down": True}
    real = CursorWrapper.execute

    def execute(self, sql, params=None):
        if state["down"]:
            raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")
        return real(self, sql, params)

    monkeypatch.setattr(CursorWrapper, "execute", execute)
    return state


def test_pages_answer_503_in_vietnamese_and_work_again_afterwards(org, db_down):
    db_down["down"] = False
    client = Client(raise_request_exception=False)
    client.force_login(org.secretary)
    db_down["down"] = True
    response = client.get("/", HTTP_ACCEPT="text/html")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    body = response.content.decode()
    assert "Hệ thống tạm thời gián đoạn" in body and "không truy cập được cơ sở dữ liệu" in body
    assert response["X-Request-ID"] in body

    db_down["down"] = False
    # "/" sends a secretary on to the calendar (issue 15); that page must work again too.
    assert client.get("/", follow=True).status_code == 200


def test_an_outage_outside_the_view_reaches_handler500_and_still_answers_503(rf):
    from django.db import InterfaceError

    from config.middleware import server_error

    request = rf.get("/")
    try:
        raise InterfaceError("connection already closed")  # e.g. saving the session afterwards
    except InterfaceError:
        response = server_error(request)
    assert response.status_code == 503 and "Hệ thống tạm thời gián đoạn" in response.content.decode()
    try:
        raise ValueError("a real bug")
    except ValueError:
        assert server_error(request).status_code == 500


def test_the_api_answers_json_503(org, db_down):
    db_down["down"] = False
    client = Client(raise_request_exception=False)
    client.force_login(org.secretary)
    db_down["down"] = True
    response = client.get("/api/v1/meetings/")
    assert response.status_code == 503
    assert response.json()["error"] == "database_unavailable"
    assert "cơ sở dữ liệu" in response.json()["message"]
    db_down["down"] = False
    assert client.get("/api/v1/meetings/").status_code == 200


def test_an_outage_logs_one_short_warning_not_an_error_with_a_traceback_per_request(org, db_down, caplog, monkeypatch):
    import logging

    from config.middleware import log_outage

    monkeypatch.setattr(log_outage, "_last", float("-inf"))
    monkeypatch.setattr(log_outage, "_skipped", 0)
    db_down["down"] = False
    signed_in = Client(raise_request_exception=False)
    signed_in.force_login(org.secretary)
    db_down["down"] = True
    with caplog.at_level(logging.INFO):
        statuses = [
            signed_in.get("/", HTTP_ACCEPT="text/html").status_code,
            signed_in.get("/api/v1/meetings/", HTTP_ACCEPT="application/json").status_code,
            signed_in.get("/me/").status_code,
        ]
        # The next line comes once the rate limit's interval has passed (moved back, not waited for).
        log_outage._last -= log_outage.interval
        statuses.append(signed_in.get("/api/v1/rooms/").status_code)
    assert statuses == [503, 503, 503, 503]
    outage = [r for r in caplog.records if "database unavailable" in r.getMessage()]
    assert [r.levelno for r in outage] == [logging.WARNING, logging.WARNING]
    assert "503 for GET / (OperationalError: connection to server at 127.0.0.1 failed" in outage[0].getMessage()
    assert "503 for GET /api/v1/rooms/" in outage[1].getMessage()
    assert "2 more since the previous line" in outage[1].getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]
    assert not [r for r in caplog.records if r.exc_info], "no traceback during an outage"
    assert not [r for r in caplog.records if r.name == "django.request"]


def test_an_outage_outside_the_view_is_not_logged_again_by_django_at_error(rf, caplog, monkeypatch):
    import logging

    from django.core.handlers.exception import response_for_exception
    from django.db import InterfaceError

    from config.middleware import log_outage

    monkeypatch.setattr(log_outage, "_last", float("-inf"))
    request = rf.get("/calendar/")
    with caplog.at_level(logging.INFO):
        try:
            raise InterfaceError("connection already closed")  # e.g. in a middleware, or saving the session
        except InterfaceError as exc:
            response = response_for_exception(request, exc)
    assert response.status_code == 503
    assert [(r.levelno, r.exc_info) for r in caplog.records] == [(logging.WARNING, None)]
    assert "503 for GET /calendar/ (InterfaceError: connection already closed)" in caplog.records[0].getMessage()
