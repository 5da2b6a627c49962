"""The composer without a browser: prefill, create, bad input next to its field, nothing
half-saved, submit once, partials (room finder, checks, attendee rows), permissions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from meetings.models import Attendee, Booking, Meeting, Occurrence
from meetings.web import once
from tests.factories import at, working_day
from tests.meetings.conftest import book

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def form_data(org: Any, day: Any = None, **over: Any) -> dict[str, Any]:
    day = day or working_day(10)
    data: dict[str, Any] = {
        # A random token: with Redis the cache outlives a test.
        "token": over.pop("token", None) or once.new_token(), "organizing_unit": org.hospital.pk, "title": "Giao ban khoa",
        "agenda": "1. Tình hình\n2. Kế hoạch", "chair": org.leader.pk, "start": f"{day:%Y-%m-%d}T09:00",
        "end": f"{day:%Y-%m-%d}T10:00", "mode": "in_person", "sensitivity": "normal", "rooms": [org.room_a.pk],
        "attendee": [f"u:{org.member.pk}", "e:khach@benhvien.vn"], "attendee_role": ["required", "optional"],
        "repeat": "", "repeat_end": "count", "count": "", "intent": "publish",
    }
    data.update(over)
    return data


def errors_of(response: Any, field: str) -> list[str]:
    return list(response.context["form"].errors.get(field, []))


def test_composer_is_prefilled_from_the_calendar_slot(org):
    day = working_day(5)
    r = client_for(org.secretary).get(reverse("composer"), {"start": f"{day:%Y-%m-%d}T14:00", "end": f"{day:%Y-%m-%d}T15:30", "room": org.room_b.pk})
    assert r.status_code == 200
    body = r.content.decode()
    assert f'value="{day:%Y-%m-%d}T14:00"' in body
    assert f'value="{day:%Y-%m-%d}T15:30"' in body
    assert f'name="rooms" value="{org.room_b.pk}"' in body
    assert body.count("<h1") == 1


def test_a_secretary_books_a_weekly_meeting_with_people_from_the_directory_and_a_guest(org):
    day = working_day(10)
    while day.weekday() != 1:
        day += timedelta(days=1)
    data = form_data(org, day, repeat="WEEKLY", weekdays=["TU"], count="4")
    r = client_for(org.secretary).post(reverse("composer"), data)
    meeting = Meeting.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("meeting_detail", args=[meeting.uid])
    assert meeting.rrule == "FREQ=WEEKLY;BYDAY=TU;COUNT=4"
    assert meeting.occurrences.count() == 4
    assert Booking.objects.filter(occurrence__meeting=meeting, room=org.room_a, status="confirmed").count() == 4
    people = {a.email: a.role for a in meeting.attendees.all()}
    assert people == {org.leader.email: "chair", org.member.email: "required", "khach@benhvien.vn": "optional"}


def test_saving_a_draft_books_nothing(org):
    r = client_for(org.secretary).post(reverse("composer"), form_data(org, intent="draft"))
    assert r.status_code == 302
    meeting = Meeting.objects.get()
    assert meeting.status == Meeting.Status.DRAFT
    assert not Booking.objects.exists()


@pytest.mark.parametrize(("over", "field", "text"), [
    ({"start": "2020-01-06T09:00", "end": "2020-01-06T10:00"}, "start", "thời điểm đã qua"),
    ({"end": "PLACEHOLDER_BEFORE"}, "end", "Giờ kết thúc phải sau giờ bắt đầu"),
    ({"repeat": "DAILY", "count": "1000"}, "count", "tối đa 500 buổi"),
    ({"attendee": ["e:a@b"], "attendee_role": ["required"]}, "attendees", "không phải địa chỉ e-mail hợp lệ"),
    ({"attendee": ["e:x@bv.vn\nBcc: y@bv.vn"], "attendee_role": ["required"]}, "attendees", "xuống dòng"),
    ({"title": "  "}, "title", "Cuộc họp cần có tiêu đề"),
    ({"end": "", "duration": ""}, "end", "Chọn giờ kết thúc hoặc thời lượng"),
])
def test_bad_input_is_explained_next_to_its_field_and_nothing_is_saved(org, over, field, text):
    day = working_day(10)
    if over.get("end") == "PLACEHOLDER_BEFORE":
        over["end"] = f"{day:%Y-%m-%d}T08:00"
    r = client_for(org.secretary).post(reverse("composer"), form_data(org, day, **over))
    assert r.status_code == 200
    assert any(text in e for e in errors_of(r, field)), r.context["form"].errors
    assert not Meeting.objects.exists() and not Booking.objects.exists()
    # What was typed is kept.
    assert 'value="Giao ban khoa"' in r.content.decode() or over.get("title")


def test_a_series_of_a_thousand_dates_until_a_far_date_is_refused(org):
    data = form_data(org, repeat="DAILY", repeat_end="until", until=(timezone.localdate() + timedelta(days=1200)).isoformat())
    r = client_for(org.secretary).post(reverse("composer"), data)
    assert any("500" in e for e in errors_of(r, "until"))
    assert not Meeting.objects.exists()


def test_a_room_of_another_unit_that_does_not_share_it_is_refused_next_to_the_rooms(org):
    r = client_for(org.secretary).post(reverse("composer"), form_data(org, rooms=[org.cdc_room.pk]))
    assert any("không cho đơn vị khác đặt" in e for e in errors_of(r, "rooms"))
    assert not Meeting.objects.exists()


def test_a_taken_room_is_explained_next_to_the_rooms_and_nothing_is_saved(org):
    day = working_day(10)
    book(org.secretary, org.hospital, at(day, 9), at(day, 10), [org.room_a], title="Đã có")
    r = client_for(org.secretary).post(reverse("composer"), form_data(org, day, title="Mới"))
    assert any("Phòng họp A" in e and "đã có cuộc họp khác" in e for e in errors_of(r, "rooms"))
    assert Meeting.objects.count() == 1


def test_a_room_rule_message_names_the_room_once(org):
    """D22: it said "Phòng Phòng họp … chỉ đặt được trong ngày"."""
    day = working_day(10)
    r = client_for(org.secretary).post(reverse("composer"), form_data(org, day, start=f"{day:%Y-%m-%d}T06:00",
                                                                      end=f"{day:%Y-%m-%d}T07:30"))
    (message,) = errors_of(r, "rooms")
    assert "Phòng họp A (BVĐK tỉnh): chỉ mở cửa từ 07:00 đến 18:00" in message
    assert "Phòng Phòng" not in message and message.count("Phòng họp A") == 1


def test_urgent_flag_is_required_only_inside_the_notice_period(org):
    soon = working_day(1)
    r = client_for(org.secretary).post(reverse("composer"), form_data(org, soon))
    assert any("ngày làm việc" in e for e in errors_of(r, "is_urgent"))
    assert 'id="urgent-box" hidden' not in r.content.decode()
    r = client_for(org.secretary).post(reverse("composer"), form_data(org, soon, is_urgent="on", urgent_reason="Dịch sởi"))
    assert r.status_code == 302
    assert Meeting.objects.get().is_urgent


def test_the_same_form_submitted_twice_creates_one_meeting(org):
    c = client_for(org.secretary)
    data = form_data(org, token=once.new_token())
    first = c.post(reverse("composer"), data)
    second = c.post(reverse("composer"), data)
    assert Meeting.objects.count() == 1
    assert first["Location"] == second["Location"] == reverse("meeting_detail", args=[Meeting.objects.get().uid])


def test_a_failed_submit_can_be_sent_again_with_the_same_token(org):
    c = client_for(org.secretary)
    token = once.new_token()
    bad = c.post(reverse("composer"), form_data(org, token=token, title=""))
    assert bad.status_code == 200
    good = c.post(reverse("composer"), form_data(org, token=token))
    assert good.status_code == 302 and Meeting.objects.count() == 1


def test_people_without_a_secretary_role_cannot_open_the_composer(org):
    assert client_for(org.member).get(reverse("composer")).status_code == 403
    assert client_for(org.member).post(reverse("composer_rooms"), {}).status_code == 403


def test_room_finder_lists_free_rooms_and_shows_taken_ones_as_busy(org):
    day = working_day(10)
    book(org.secretary, org.hospital, at(day, 9), at(day, 10), [org.room_b])
    r = client_for(org.secretary).post(reverse("composer_rooms"), form_data(org, day, rooms=[], people="5"))
    body = r.content.decode()
    assert r.status_code == 200
    a = body.split("Phòng họp A")[1].split("</li>")[0]
    b = body.split("Phòng họp B")[1].split("</li>")[0]
    assert "Trống" in a and "Bận" in b
    assert "Hội trường Sở" in body  # a shared room of the department
    assert "Phòng giao ban CDC" not in body  # CDC does not share it


def test_checks_preview_the_series_and_mark_the_dates_that_clash(org):
    day = working_day(10)
    while day.weekday() != 0:
        day += timedelta(days=1)
    book(org.outsider, org.cdc, at(day + timedelta(days=7), 9), at(day + timedelta(days=7), 10), [org.hall],
         attendees=[org.member.email])
    data = form_data(org, day, rooms=[org.room_a.pk], repeat="WEEKLY", weekdays=["MO"], count="3")
    r = client_for(org.secretary).post(reverse("composer_checks"), data)
    body = r.content.decode()
    assert body.count("<li class=\"ok-date\">") == 2 and body.count("<li class=\"bad-date\">") == 1
    assert org.member.full_name in body  # busy that day, without the other meeting's title
    assert "Phòng đã có" not in body


def test_attendee_rows_by_unit_by_person_and_by_email(org):
    c = client_for(org.secretary)
    r = c.get(reverse("composer_rows"), {"units": [org.hospital.pk]})
    assert f'value="u:{org.leader.pk}"' in r.content.decode()  # the unit's leader represents it
    assert r["HX-Trigger"] == "attendees-changed"
    r = c.get(reverse("composer_rows"), {"units": [org.hospital.pk], "attendee": [f"u:{org.leader.pk}"]})
    assert f"u:{org.leader.pk}" not in r.content.decode()  # already in the list
    r = c.get(reverse("composer_rows"), {"email": "a@b"})
    assert r["HX-Retarget"] == "#email-error" and "không phải địa chỉ e-mail hợp lệ" in r.content.decode()
    r = c.get(reverse("composer_rows"), {"email": " Khach@Benhvien.VN "})
    assert 'value="e:khach@benhvien.vn"' in r.content.decode()
    r = c.get(reverse("composer_rows"), {"email": "khach@benhvien.vn", "attendee": ["e:khach@benhvien.vn"]})
    assert "khach@benhvien.vn" not in r.content.decode()  # already in the list
    r = c.get(reverse("composer_rows"), {"email": org.member.email.upper()})
    assert f'value="u:{org.member.pk}"' in r.content.decode()  # a known address is the directory's person
    r = c.get(reverse("composer_people"), {"q": "thành"})
    assert org.member.full_name in r.content.decode()


def test_editing_keeps_other_changes_safe_from_a_stale_form(org):
    from meetings import actions

    day = working_day(10)
    meeting = book(org.secretary, org.hospital, at(day, 9), at(day, 10), [org.room_a], attendees=[org.member.email])
    c = client_for(org.secretary)
    opened = c.get(reverse("meeting_edit", args=[meeting.uid]))
    version = opened.context["form"].initial["version"]
    actions.update_meeting(org.secretary, meeting, {"title": "Đổi bởi người khác"})
    data = form_data(org, day, title="Của tôi", version=version, attendee=[f"u:{org.member.pk}"], attendee_role=["required"],
                     chair="", meeting=str(meeting.uid))
    r = c.post(reverse("meeting_edit", args=[meeting.uid]), data)
    assert r.status_code == 200 and r.context["stale"]
    assert "thay đổi sau khi bạn mở trang" in " ".join(r.context["form"].non_field_errors()), r.context["form"].errors
    assert "Đổi bởi người khác" in r.content.decode()
    meeting.refresh_from_db()
    assert meeting.title == "Đổi bởi người khác"
    # Saving again (the form now carries the new version) is a deliberate overwrite.
    again = c.post(reverse("meeting_edit", args=[meeting.uid]), {**data, "version": r.context["form"].data["version"]})
    assert again.status_code == 302
    meeting.refresh_from_db()
    assert meeting.title == "Của tôi"


def test_editing_one_sitting_moves_only_that_sitting(org):
    day = working_day(10)
    while day.weekday() != 0:
        day += timedelta(days=1)
    meeting = book(org.secretary, org.hospital, at(day, 9), at(day, 10), [org.room_a], rrule="FREQ=WEEKLY;COUNT=3")
    second = meeting.occurrences.get(index=1)
    c = client_for(org.secretary)
    opened = c.get(reverse("meeting_edit", args=[meeting.uid]), {"occurrence": second.pk})
    initial = opened.context["form"].initial
    new_day = day + timedelta(days=8)
    data = form_data(org, day, start=f"{new_day:%Y-%m-%d}T14:00", end=f"{new_day:%Y-%m-%d}T15:00", attendee=[],
                     attendee_role=[], chair="", title=meeting.title, agenda="", repeat="WEEKLY", weekdays=["MO"], count="3",
                     scope="occurrence", occurrence=second.pk, version=initial["version"], reason="Trùng lịch Tỉnh ủy")
    r = c.post(reverse("meeting_edit", args=[meeting.uid]), data)
    assert r.status_code == 302, r.context["form"].errors
    starts = [timezone.localtime(o.start) for o in Occurrence.objects.filter(meeting=meeting).order_by("index")]
    assert starts[0].date() == day and starts[2].date() == day + timedelta(days=14)
    assert starts[1] == at(new_day, 14)
    assert meeting.audit_entries.filter(action="meeting.change_reason").exists()
    assert Attendee.objects.filter(meeting=meeting).count() == 0


def test_a_double_submitted_edit_is_not_reported_as_stale(org):
    day = working_day(10)
    meeting = book(org.secretary, org.hospital, at(day, 9), at(day, 10), [org.room_a], attendees=[org.member.email])
    c = client_for(org.secretary)
    initial = c.get(reverse("meeting_edit", args=[meeting.uid])).context["form"].initial
    data = form_data(org, day, title="Tiêu đề mới", version=initial["version"], token=initial["token"],
                     attendee=[f"u:{org.member.pk}"], attendee_role=["required"], chair="")
    first = c.post(reverse("meeting_edit", args=[meeting.uid]), data)
    second = c.post(reverse("meeting_edit", args=[meeting.uid]), data)
    assert first.status_code == second.status_code == 302
    assert second["Location"] == reverse("meeting_detail", args=[meeting.uid])
    meeting.refresh_from_db()
    assert meeting.title == "Tiêu đề mới" and meeting.audit_entries.filter(action="meeting.updated").count() == 1


def test_room_finder_folds_other_units_unless_a_room_there_is_chosen(org):
    from tests.factories import make_room, make_unit

    for i in range(3):
        make_room(make_unit(f"tt{i}", parent=org.dept, short_name=f"TT {i}"), f"Hội trường TT {i}", capacity=50, shared=True)
    chosen = make_room(make_unit("tt9", parent=org.dept, short_name="TT 9"), "Hội trường TT 9", capacity=50, shared=True)
    r = client_for(org.secretary).post(reverse("composer_rooms"), form_data(org, rooms=[chosen.pk], people="5"))
    groups = {g.unit.short_name: g.open for g in r.context["groups"]}
    assert groups["BVĐK tỉnh"] and groups["TT 9"] and not groups["TT 0"]
    assert f'value="{chosen.pk}" checked' in r.content.decode()
