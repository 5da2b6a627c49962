"""E-mail that people won't learn to ignore: one message per person per real change, and an
update that says what changed."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from integrations.calendar import reminders
from integrations.calendar.tests.checks import mime_ok, parse
from meetings import actions
from meetings.actions import AttendeeInput, MeetingInput, RoomChoice, Scope
from meetings.formatting import vn_day_month, vn_time_on_day
from meetings.models import Booking, Membership
from tests.factories import at, make_user


def hall_admin(org):
    """The department's room admin (the hall belongs to the department)."""
    return make_user("quantri@soyte.vn", org.dept, Membership.Role.UNIT_ADMIN, full_name="Quản Trị Sở")


def body(received) -> str:
    return received.message.get_body(("plain",)).get_content()


def subjects(smtp, email: str) -> list[str]:
    return [m.message["Subject"] for m in smtp.to(email)]


def test_urgent_online_meeting_minutes_away_gets_one_invitation_with_its_link(smtp, org, run_commit):
    start = (timezone.now() + timedelta(minutes=10)).replace(second=0, microsecond=0)
    meeting = run_commit(actions.create_meeting, org.secretary, MeetingInput(
        title="Họp khẩn ứng phó ngộ độc", organizing_unit=org.hospital, start=start, end=start + timedelta(hours=1),
        is_urgent=True, urgent_reason="Ngộ độc thực phẩm tập thể", mode="online", online_provider="link",
        # Online only: "ten minutes from now" must not depend on a room's opening hours (a run
        # at 21:00 would be refused as outside 07:00–18:00).
        online_details={"url": "https://vc.soyte.vn/khan", "passcode": "9999"}, rooms=[],
        attendees=[AttendeeInput(email=org.member.email)], chair=org.leader,
    ))
    # The reminder task runs every minute; neither the "soon" nor any later run adds a mail.
    for minutes in (0, 1, 5):
        reminders.run(timezone.now() + timedelta(minutes=minutes))
    for person in (org.member, org.leader):
        [received] = smtp.to(person.email)
        assert received.message["Subject"].startswith("Mời họp:")
        assert "9999" in body(received) and "/j/" in body(received)
    assert meeting.sequence == 0


def test_repeating_a_change_sends_nothing_and_updates_say_what_changed(smtp, make_meeting, org, run_commit):
    meeting = make_meeting(rrule="FREQ=WEEKLY;COUNT=4;BYDAY=MO")
    occs = list(meeting.occurrences.order_by("index"))
    smtp.clear()
    second = occs[1]
    new_start = timezone.localtime(second.start).replace(hour=14, minute=0) + timedelta(days=1)
    change = {"start": new_start, "end": new_start + timedelta(hours=1)}
    for _ in range(2):  # a double submit
        run_commit(actions.update_meeting, org.secretary, meeting, dict(change), scope=Scope.OCCURRENCE, occurrence=second)
    [received] = smtp.to(org.member.email)
    line = f"Buổi họp {vn_day_month(second.start)} dời sang {vn_time_on_day(new_start)}"
    assert line in body(received)
    assert received.message["Subject"] == f"Thay đổi lịch họp: Giao ban tuần – {line}"
    smtp.clear()

    run_commit(actions.update_meeting, org.secretary, meeting, {"rooms": [RoomChoice(org.room_b)]})
    run_commit(actions.update_meeting, org.secretary, meeting, {"rooms": [RoomChoice(org.room_b)]})
    [received] = smtp.to(org.member.email)
    assert "Đổi phòng: Phòng họp B (BVĐK tỉnh, Tầng 3) (trước đây: Phòng họp A (BVĐK tỉnh, Tầng 2))" in body(received)
    smtp.clear()

    third = occs[2]
    run_commit(actions.cancel_meeting, org.secretary, meeting, scope=Scope.OCCURRENCE, occurrence=third,
               reason="Trùng hội nghị tỉnh")
    [received] = smtp.to(org.member.email)
    assert f"Hủy buổi {vn_day_month(third.start)}: Trùng hội nghị tỉnh" in body(received)
    assert received.message["Subject"].startswith("Hủy một buổi họp:")
    smtp.clear()

    run_commit(actions.update_meeting, org.secretary, meeting, {"title": "Giao ban tuần (mở rộng)"})
    [received] = smtp.to(org.member.email)
    assert "Đổi tên cuộc họp: Giao ban tuần (mở rộng) (trước đây: Giao ban tuần)" in body(received)
    # RFC 5546's choice: a rename keeps SEQUENCE; its later DTSTAMP makes it the newer message.
    meeting.refresh_from_db()
    ev = parse(mime_ok(received.data)[1]).walk("VEVENT")[0]
    assert int(ev["SEQUENCE"]) == meeting.sequence == 3


def test_a_refused_room_updates_attendees_only_when_their_place_changed(smtp, org, run_commit):
    day = timezone.localdate() + timedelta(days=20)
    meeting = run_commit(actions.create_meeting, org.secretary, MeetingInput(
        title="Hội nghị sơ kết", organizing_unit=org.hospital, start=at(day, 8), end=at(day, 10),
        rooms=[RoomChoice(org.room_a), RoomChoice(org.hall)], chair=org.leader,
        attendees=[AttendeeInput(email=org.member.email)],
    ))
    assert "Hội trường Sở" in body(smtp.to(org.member.email)[0])
    smtp.clear()
    booking = Booking.objects.get(occurrence__meeting=meeting, room=org.hall)
    run_commit(actions.reject_booking, hall_admin(org), booking, "Hội trường sửa chữa")
    [received] = smtp.to(org.member.email)
    text = body(received)
    assert "Đổi phòng: Phòng họp A (BVĐK tỉnh, Tầng 2) (trước đây:" in text and "Hội trường" in text
    ev = parse(mime_ok(received.data)[1]).walk("VEVENT")[0]
    assert "Hội trường" not in str(ev["LOCATION"]) and int(ev["SEQUENCE"]) == 1


def test_an_approved_room_already_named_sends_nothing(smtp, org, run_commit):
    day = timezone.localdate() + timedelta(days=20)
    meeting = run_commit(actions.create_meeting, org.secretary, MeetingInput(
        title="Hội nghị sơ kết", organizing_unit=org.hospital, start=at(day, 8), end=at(day, 10),
        rooms=[RoomChoice(org.hall)], chair=org.leader, attendees=[AttendeeInput(email=org.member.email)],
    ))
    smtp.clear()
    run_commit(actions.approve_booking, hall_admin(org), Booking.objects.get(occurrence__meeting=meeting))
    # No invitation update: the room was already in the invitation. The one mail is the room
    # admin's decision to whoever booked (workspace/notify.py), without a calendar part.
    assert smtp.to(org.member.email) == [] and smtp.to(org.leader.email) == []
    [decision] = smtp.messages
    assert decision.rcpt_tos == [org.secretary.email] and b"text/calendar" not in decision.data


def test_a_series_moved_as_a_whole_is_one_line(smtp, make_meeting, org, run_commit):
    meeting = make_meeting(rrule="FREQ=WEEKLY;COUNT=5;BYDAY=MO")
    smtp.clear()
    first = meeting.start
    run_commit(actions.update_meeting, org.secretary, meeting,
               {"start": first + timedelta(hours=1), "end": meeting.end + timedelta(hours=1)})
    [received] = smtp.to(org.member.email)
    line = f"Buổi họp {vn_day_month(first)} dời sang {vn_time_on_day(first + timedelta(hours=1))}; 4 buổi sau cũng dời như vậy"
    assert line in body(received)
