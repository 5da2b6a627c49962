"""Every response carries a request id, and every log record of the request carries it."""

from __future__ import annotations

import json
import logging

import pytest

from config.logs import JsonFormatter, RequestIdFilter, request_id

pytestmark = pytest.mark.django_db


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.addFilter(RequestIdFilter())
        self.setFormatter(JsonFormatter())
        self.lines: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def access_log():
    logger = logging.getLogger("quorum.request")
    handler = Capture()
    old = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(old)


def test_a_request_id_from_the_proxy_is_kept_and_logged(client, access_log):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abc123def4567890")
    assert response["X-Request-ID"] == "abc123def4567890"
    (line,) = [x for x in access_log.lines if x.get("path") == "/healthz"]
    assert line["request_id"] == "abc123def4567890"
    assert line["status"] == 200 and line["method"] == "GET" and line["duration_ms"] >= 0
    assert line["logger"] == "quorum.request" and line["level"] == "INFO"


def test_a_missing_or_unsafe_request_id_is_replaced(client, access_log):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz", HTTP_X_REQUEST_ID='x"\n<script>')["X-Request-ID"]
    assert len(first) == 32 and len(second) == 32 and first != second
    assert [x["request_id"] for x in access_log.lines] == [first, second]


def test_json_lines_carry_extra_fields_and_the_exception():
    formatter = JsonFormatter()
    token = request_id.set("rid-0000000001")
    try:
        try:
            raise ValueError("hỏng")
        except ValueError:
            record = logging.getLogger("x").makeRecord(
                "x", logging.ERROR, __file__, 1, "Lỗi %s", ("đặt phòng",), __import__("sys").exc_info(),
                extra={"meeting_id": 7},
            )
        line = json.loads(formatter.format(record))
    finally:
        request_id.reset(token)
    assert line["msg"] == "Lỗi đặt phòng" and line["meeting_id"] == 7
    assert line["request_id"] == "rid-0000000001" and "ValueError: hỏng" in line["exc"]
