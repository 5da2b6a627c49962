"""The meetings API reads plain dates in Asia/Ho_Chi_Minh, tolerates an unencoded "+07:00",
and filters by ?q= (the web test report's D3)."""

from __future__ import annotations

from datetime import timedelta

from meetings import actions
from tests.factories import at, working_day


def _titles(response) -> set[str]:
    return {m["title"] for m in response.json()["results"]}


def test_plain_dates_unencoded_offsets_and_q(org, api):
    day = working_day(5)
    for title, hour in (("Giao ban tháng", 8), ("Họp chuyên môn", 17)):
        start = at(day, hour)
        actions.create_meeting(org.secretary, actions.MeetingInput(
            title=title, organizing_unit=org.hospital, start=start, end=start + timedelta(minutes=30),
            rooms=[actions.RoomChoice(org.room_a)]))
    c = api(org.secretary)
    iso = day.isoformat()
    # A plain date is the whole local day, 00:00 to 24:00 in Asia/Ho_Chi_Minh.
    assert _titles(c.get(f"/api/v1/meetings/?from={iso}&to={iso}")) == {"Giao ban tháng", "Họp chuyên môn"}
    assert _titles(c.get(f"/api/v1/meetings/?from={(day + timedelta(days=1)).isoformat()}")) == set()
    # "+07:00" typed into a URL arrives as " 07:00": read as meant, not refused.
    assert _titles(c.get(f"/api/v1/meetings/?from={iso}T09:00:00+07:00")) == {"Họp chuyên môn"}
    assert _titles(c.get("/api/v1/meetings/?q=giao ban")) == {"Giao ban tháng"}
    bad = c.get("/api/v1/meetings/?from=30/11/2026")
    assert bad.status_code == 400
    assert c.get("/api/v1/meetings/?from=2026-13-01").status_code == 400
    assert "YYYY-MM-DD" in c.get("/api/v1/meetings/?from=2026-13-01").content.decode()


def test_q_ignores_vietnamese_diacritics_and_case(org, api):
    day = working_day(6)
    for title, hour in (("Họp giao ban tuần", 8), ("Đánh giá chất lượng", 10), ("Họp chuyên môn", 14)):
        start = at(day, hour)
        actions.create_meeting(org.secretary, actions.MeetingInput(
            title=title, organizing_unit=org.hospital, start=start, end=start + timedelta(minutes=30),
            rooms=[actions.RoomChoice(org.room_a)]))
    c = api(org.secretary)
    for q in ("hop giao ban", "HOP GIAO BAN", "Họp giao ban", "giao ban hop", "họp   giao"):
        assert _titles(c.get("/api/v1/meetings/", {"q": q})) == {"Họp giao ban tuần"}, q
    assert _titles(c.get("/api/v1/meetings/", {"q": "danh gia"})) == {"Đánh giá chất lượng"}  # đ folds to d
    assert _titles(c.get("/api/v1/meetings/", {"q": "hop"})) == {"Họp giao ban tuần", "Họp chuyên môn"}
    # LIKE wildcards are text, not patterns.
    assert _titles(c.get("/api/v1/meetings/", {"q": "%"})) == set()
    assert _titles(c.get("/api/v1/meetings/", {"q": "h_p"})) == set()
