"""Equipment is shown by its label in the reader's language, never by its code ("projector",
"vc"), on the rooms page, in the composer's equipment choices and in its room finder."""

from __future__ import annotations

import re

from django.test import Client

from tests.factories import make_room

CODES = re.compile(r"[>·,]\s*(projector|vc)\s*[<·,]")


def _pages(org, client) -> dict[str, str]:
    client.force_login(org.secretary)
    return {
        "rooms": client.get("/rooms/").content.decode(),
        "composer": client.get("/meetings/new/").content.decode(),
    }


def test_equipment_codes_show_as_vietnamese_labels(org, db):
    make_room(org.hospital, "Phòng trình chiếu", 30, equipment=["projector", "vc"])
    for name, html in _pages(org, Client()).items():
        assert "Máy chiếu" in html and "Điểm cầu truyền hình" in html, name
        assert not CODES.search(html), (name, CODES.search(html))


def test_equipment_labels_follow_the_users_language(org, db):
    make_room(org.hospital, "Phòng trình chiếu", 30, equipment=["projector", "vc"])
    org.secretary.language = "en"
    org.secretary.save(update_fields=["language"])
    for name, html in _pages(org, Client()).items():
        assert "Projector" in html and "Video-conference endpoint" in html, name
        assert not CODES.search(html), (name, CODES.search(html))


def test_room_finder_lists_equipment_labels(org, db):
    from datetime import timedelta

    from django.utils import timezone

    from meetings.web import checks

    room = make_room(org.hospital, "Phòng trình chiếu", 30, equipment=["projector", "vc"])
    start = timezone.now() + timedelta(days=3)
    groups = checks.room_finder(org.secretary, org.hospital, start, start + timedelta(hours=1), 10, ["projector"], None)
    listed = {r.pk: r.equipment_names for g in groups for r, _free in g.rooms}
    assert sorted(listed[room.pk]) == ["Máy chiếu", "Điểm cầu truyền hình"]
