from datetime import timedelta

from meetings import actions
from meetings.formatting import vn_datetime
from tests.factories import at, working_day
from tests.meetings.mine_helpers import page_queries


def _book(org, n, first=0):
    day = working_day(5)
    for i in range(first, first + n):
        start = at(day, 7) + timedelta(minutes=45 * i)
        actions.create_meeting(org.secretary, actions.MeetingInput(
            title=f"Họp {i}", organizing_unit=org.hospital, start=start, end=start + timedelta(minutes=30),
            rooms=[actions.RoomChoice(org.room_a if i % 2 else org.room_b, 2)], attendees=[actions.AttendeeInput(email=org.member.email)],
            is_urgent=True, urgent_reason="test"))


def test_vn_datetime_writes_weekday_date_and_time():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    assert vn_datetime(datetime(2026, 9, 7, 8, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))) == "Thứ Hai, 07/09/2026, 08:30"


def test_home_sends_a_member_to_my_meetings_which_lists_upcoming_meetings_with_constant_queries(
        org, client, django_assert_num_queries):
    # "/" became a redirect (secretaries → calendar, everyone else → My meetings) when those pages
    # landed; the upcoming list lives on My meetings now.
    client.force_login(org.member)
    _book(org, 2)
    r = client.get("/")
    assert (r.status_code, r["Location"]) == (302, "/me/")
    with django_assert_num_queries(page_queries()) as small:
        r = client.get("/me/")
    assert "Họp 0" in r.content.decode() and "Phòng họp B" in r.content.decode()
    _book(org, 6, first=2)  # more meetings must not mean more queries
    with django_assert_num_queries(len(small.captured_queries)):
        client.get("/me/")


def test_home_sends_a_secretary_to_the_calendar(org, client):
    client.force_login(org.secretary)
    assert client.get("/")["Location"] == "/calendar/"


def test_outsider_sees_none_of_the_hospitals_meetings(org, client):
    _book(org, 1)
    client.force_login(org.outsider)
    assert "Họp 0" not in client.get("/").content.decode()
