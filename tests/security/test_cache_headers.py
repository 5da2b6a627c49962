"""`Cache-Control: no-store` (and `Pragma: no-cache`) wherever personal or meeting data is
answered: every API response, signed-in pages, error answers (feeds' included). The feeds
themselves keep `private` with ETag/304, and static files stay cacheable."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.test import Client

from meetings import actions
from tests.factories import at, working_day

pytestmark = pytest.mark.django_db


def no_store(response) -> bool:
    return "no-store" in response["Cache-Control"] and response["Pragma"] == "no-cache"


@pytest.fixture
def meeting(org):
    day = working_day(10)
    return actions.create_meeting(org.secretary, actions.MeetingInput(
        title="Giao ban", organizing_unit=org.hospital, start=at(day, 8), end=at(day, 9), chair=org.leader,
        attendees=[actions.AttendeeInput(email=org.member.email)], rooms=[actions.RoomChoice(org.room_a)],
    ))


@pytest.fixture
def signed_in(org):
    client = Client()
    client.force_login(org.secretary)
    return client


@pytest.mark.parametrize("path", ["/api/v1/meetings/", "/api/v1/units/", "/api/v1/feeds/", "/api/v1/rooms/",
                                  "/api/schema/"])
def test_every_api_answer_is_no_store(signed_in, path):
    response = signed_in.get(path)
    assert response.status_code == 200 and no_store(response)
    assert response["Cache-Control"] == "no-store"


def test_an_api_answer_about_a_meeting_and_its_errors_are_no_store(signed_in, meeting, api, org):
    assert no_store(signed_in.get(f"/api/v1/meetings/{meeting.uid}/"))
    assert no_store(Client().get("/api/v1/meetings/"))  # 401/403 for nobody
    bad = signed_in.post(f"/api/v1/meetings/{meeting.uid}/cancel/", {"scope": "x"}, content_type="application/json")
    assert bad.status_code == 400 and no_store(bad)
    assert no_store(api(org.member).get("/api/v1/meetings/"))  # bearer-token style clients too


@pytest.mark.parametrize("path", ["/", "/me/", "/meetings/", "/calendar/", "/profile/", "/minutes/"])
def test_signed_in_pages_are_no_store(signed_in, path):
    response = signed_in.get(path)
    assert response.status_code in (200, 302) and no_store(response)


def test_the_meeting_page_and_the_admin_are_no_store(signed_in, meeting, org):
    assert no_store(signed_in.get(f"/meetings/{meeting.uid}/"))
    from tests.factories import make_user

    admin = Client()
    admin.force_login(make_user("root@quorum.test", is_staff=True, is_superuser=True))
    response = admin.get("/admin/meetings/auditentry/")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]


def test_a_feed_keeps_private_caching_with_etag_and_its_errors_are_no_store(org, api, meeting):
    body = api(org.member).post("/api/v1/feeds/", {"kind": "personal"}, format="json").json()
    path = urlsplit(body["url"]).path
    first = Client().get(path)
    assert first.status_code == 200 and first["Cache-Control"] == "private, max-age=300" and first["ETag"]
    assert not first.has_header("Pragma")
    again = Client().get(path, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again["Cache-Control"] == "private, max-age=300"
    for bad in (Client().get("/feeds/forged.ics"), Client().post(path)):
        assert bad.status_code in (404, 405) and no_store(bad) and not bad.has_header("ETag")
    api(org.member).delete(f"/api/v1/feeds/{body['id']}/")
    revoked = Client().get(path)
    assert revoked.status_code == 404 and no_store(revoked)


def test_token_pages_without_a_session_are_no_store(meeting, org):
    attendee = meeting.attendees.get(email=org.member.email)
    assert no_store(Client().get(f"/j/{attendee.join_token}"))
    assert no_store(Client().get("/j/forged.token"))
    assert no_store(Client().get("/invitations/answer/forged/"))


def test_static_files_stay_cacheable(client):
    response = client.get("/static/quorum/site.css")
    assert response.status_code == 200 and "no-store" not in response.get("Cache-Control", "")
    assert not response.has_header("Pragma")
