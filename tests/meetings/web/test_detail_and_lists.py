"""The meeting page, move and cancel from it, remind, and the lists: content, permissions,
and query counts that do not grow with the data."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from meetings import actions
from meetings.models import Attendee, Booking, Meeting
from tests.factories import at, make_user, working_day
from tests.meetings.conftest import book
from tests.meetings.web.test_composer import client_for

pytestmark = pytest.mark.django_db


def monday(ahead: int = 10) -> Any:
    d = working_day(ahead)
    while d.weekday() != 0:
        d += timedelta(days=1)
    return d


def series(org: Any, people: int = 3, count: int = 3, **kw: Any) -> Meeting:
    from meetings.models import Membership

    emails = [org.member.email] + [make_user(None, org.hospital, Membership.Role.MEMBER).email for _ in range(people - 1)]
    day = kw.pop("day", None) or monday()
    return book(org.secretary, org.hospital, at(day, 9), at(day, 10), [org.room_a, org.hall], attendees=emails,
                rrule=f"FREQ=WEEKLY;COUNT={count}", chair=org.leader, mode="hybrid", online_provider="jitsi", **kw)


def test_meeting_page_shows_sittings_rooms_answers_and_history(org):
    meeting = series(org)
    Attendee.objects.filter(meeting=meeting, email=org.member.email).update(rsvp="declined", rsvp_comment="Đi công tác <b>xa</b>")
    r = client_for(org.secretary).get(reverse("meeting_detail", args=[meeting.uid]))
    body = r.content.decode()
    assert r.status_code == 200 and body.count("<h1") == 1
    assert body.count('id="sitting-') == 3
    assert "Hội trường Sở — Sở Y tế" in body and "Chờ đơn vị duyệt" in body  # the hall needs approval
    assert "Phòng họp A — BVĐK tỉnh" in body and "Đã xác nhận" in body
    assert "Không tham dự: 1" in body and "Đi công tác &lt;b&gt;xa&lt;/b&gt;" in body and "<b>xa" not in body
    assert "tạo cuộc họp" in body
    assert "Phòng họp trực tuyến" in body


def test_a_plain_member_sees_the_meeting_but_not_the_answers_or_the_buttons(org):
    meeting = series(org)
    r = client_for(org.member).get(reverse("meeting_detail", args=[meeting.uid]))
    body = r.content.decode()
    assert r.status_code == 200
    assert "Trả lời theo đơn vị" not in body and reverse("meeting_edit", args=[meeting.uid]) not in body
    assert client_for(org.member).get(reverse("meeting_move", args=[meeting.uid])).status_code == 403


def test_someone_of_another_unit_gets_a_404(org):
    meeting = book(org.secretary, org.hospital, at(working_day(10), 9), at(working_day(10), 10), [org.room_a],
                   sensitivity="internal")
    assert client_for(org.outsider).get(reverse("meeting_detail", args=[meeting.uid])).status_code == 404
    assert client_for(org.outsider).get(reverse("meeting_edit", args=[meeting.uid])).status_code == 404


def test_meeting_page_query_count_does_not_grow_with_attendees_or_sittings(org, django_assert_num_queries):
    small = series(org, people=3, count=2)
    big = series(org, people=18, count=8, day=monday(30), title="Lớn")
    from meetings.models import Occurrence

    Booking.objects.filter(occurrence__in=Occurrence.objects.filter(meeting=big, index=1), room=org.hall).update(
        status="rejected", decision_note="Hội trường sửa chữa")
    c = client_for(org.secretary)
    c.get(reverse("meeting_detail", args=[small.uid]))  # session, caches
    counts = []
    for m in (small, big):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            r = c.get(reverse("meeting_detail", args=[m.uid]))
        assert r.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    with django_assert_num_queries(counts[0]):
        r = c.get(reverse("meeting_detail", args=[big.uid]))
    assert "bị từ chối" in r.content.decode() and "Hội trường sửa chữa" in r.content.decode()


def test_moving_one_sitting_from_the_meeting_page(org):
    meeting = series(org, count=3)
    second = meeting.occurrences.get(index=1)
    c = client_for(org.secretary)
    page = c.get(reverse("meeting_move", args=[meeting.uid]), {"occurrence": second.pk,
                                                               "start": f"{timezone.localtime(second.start):%Y-%m-%d}T14:00"})
    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["scope"] == "occurrence"
    new = timezone.localtime(second.start).replace(hour=14)
    r = c.post(reverse("meeting_move", args=[meeting.uid]), {
        "occurrence": second.pk, "start": f"{new:%Y-%m-%dT%H:%M}", "end": f"{new + timedelta(hours=1):%Y-%m-%dT%H:%M}",
        "scope": "occurrence", "reason": "Trùng lịch", "version": form.initial["version"]})
    assert r.status_code == 302
    second.refresh_from_db()
    assert second.start == new and second.is_exception
    assert meeting.occurrences.get(index=0).start == meeting.start


def test_moving_into_the_past_or_end_before_start_is_refused(org):
    meeting = series(org, count=2)
    occ = meeting.occurrences.get(index=0)
    c = client_for(org.secretary)
    r = c.post(reverse("meeting_move", args=[meeting.uid]), {"occurrence": occ.pk, "start": "2020-01-01T09:00",
                                                             "end": "2020-01-01T08:00", "scope": "occurrence"})
    assert "thời điểm đã qua" in " ".join(r.context["form"].errors["start"])
    assert "sau giờ bắt đầu" in " ".join(r.context["form"].errors["end"])


def test_a_stale_move_form_changes_nothing(org):
    meeting = series(org, count=2)
    occ = meeting.occurrences.get(index=0)
    c = client_for(org.secretary)
    version = c.get(reverse("meeting_move", args=[meeting.uid]), {"occurrence": occ.pk}).context["form"].initial["version"]
    actions.update_meeting(org.secretary, meeting, {"title": "Khác"})
    new = timezone.localtime(occ.start) + timedelta(hours=4)
    r = c.post(reverse("meeting_move", args=[meeting.uid]), {"occurrence": occ.pk, "start": f"{new:%Y-%m-%dT%H:%M}",
                                                             "end": f"{new + timedelta(hours=1):%Y-%m-%dT%H:%M}",
                                                             "scope": "occurrence", "version": version}, follow=True)
    assert "đã được thay đổi sau khi bạn mở trang" in r.content.decode()
    occ.refresh_from_db()
    assert timezone.localtime(occ.start).hour == 9


def test_cancelling_one_sitting_needs_a_reason(org):
    meeting = series(org, count=3)
    occ = meeting.occurrences.get(index=2)
    c = client_for(org.secretary)
    r = c.post(reverse("meeting_cancel", args=[meeting.uid]), {"occurrence": occ.pk, "scope": "occurrence", "reason": ""})
    assert r.status_code == 200 and "Ghi lý do hủy" in r.content.decode()
    r = c.post(reverse("meeting_cancel", args=[meeting.uid]), {"occurrence": occ.pk, "scope": "occurrence", "reason": "Nghỉ lễ"})
    assert r.status_code == 302
    occ.refresh_from_db()
    assert occ.is_cancelled and meeting.occurrences.filter(status="cancelled").count() == 1


def test_remind_mails_only_those_who_have_not_answered_and_only_once(org, django_capture_on_commit_callbacks):
    meeting = series(org, people=3)
    Attendee.objects.filter(meeting=meeting, email=org.member.email).update(rsvp="accepted")
    mail.outbox.clear()
    c = client_for(org.secretary)
    with django_capture_on_commit_callbacks(execute=True):
        c.post(reverse("meeting_remind", args=[meeting.uid]))
    reminded = [m for m in mail.outbox if m.subject.startswith("Nhắc trả lời")]
    waiting = set(meeting.attendees.filter(rsvp="needs_action", is_active=True).values_list("email", flat=True))
    assert {m.to[0] for m in reminded} == waiting and org.member.email not in waiting
    assert all("/invitations/answer/" in m.body for m in reminded)
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(reverse("meeting_remind", args=[meeting.uid]), follow=True)
    assert len([m for m in mail.outbox if m.subject.startswith("Nhắc trả lời")]) == len(reminded)
    assert "chưa nhắc lại" in r.content.decode()


def test_list_tabs_search_and_csv(org):
    day = working_day(10)
    book(org.secretary, org.hospital, at(day, 9), at(day, 10), [org.room_a], title="Giao ban chuyên môn")
    book(org.secretary, org.hospital, at(day, 13, 30), at(day, 14, 30), [org.hall], title="Hội nghị sơ kết")
    actions.create_meeting(org.secretary, actions.MeetingInput(title="Nháp kế hoạch", organizing_unit=org.hospital,
                                                               start=at(day, 15), end=at(day, 16), draft=True,
                                                               rooms=[actions.RoomChoice(org.room_b)]))
    c = client_for(org.secretary)
    body = c.get(reverse("meeting_list")).content.decode()
    assert "Giao ban chuyên môn" in body and "Hội nghị sơ kết" in body and "Nháp kế hoạch" not in body
    assert "Nháp kế hoạch" in c.get(reverse("meeting_list"), {"tab": "drafts"}).content.decode()
    waiting = c.get(reverse("meeting_list"), {"tab": "waiting"}).content.decode()
    assert "Hội nghị sơ kết" in waiting and "Giao ban chuyên môn" not in waiting
    found = c.get(reverse("meeting_list"), {"q": "chuyên"}).content.decode()
    assert "Giao ban chuyên môn" in found and "Hội nghị sơ kết" not in found
    r = c.get(reverse("meeting_list"), {"format": "csv"})
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert r["Content-Type"].startswith("text/csv") and rows[0][0] == "Tiêu đề" and len(rows) == 3
    assert "Phòng họp A (BVĐK tỉnh)" in {row[7] for row in rows[1:]}


def test_list_query_count_is_constant(org, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = client_for(org.secretary)
    day = working_day(10)
    book(org.secretary, org.hospital, at(day, 8), at(day, 9), [org.room_a], title="M0")
    c.get(reverse("meeting_list"))
    with CaptureQueriesContext(connection) as few:
        c.get(reverse("meeting_list"))
    for i in range(1, 9):
        book(org.secretary, org.hospital, at(day, 8 + i), at(day, 9 + i) - timedelta(minutes=30), [org.room_b], title=f"M{i}")
    with django_assert_num_queries(len(few.captured_queries)):
        r = c.get(reverse("meeting_list"))
    assert r.content.decode().count('href="/meetings/') >= 9


def test_the_navigation_shows_the_list_to_secretaries_only(org):
    assert 'href="/meetings/"' in client_for(org.secretary).get(reverse("meeting_list")).content.decode()
    assert 'href="/meetings/"' not in client_for(org.member).get("/").content.decode()


def test_moving_this_and_the_following_sittings_splits_the_series(org):
    meeting = series(org, count=4)
    third = meeting.occurrences.get(index=2)
    c = client_for(org.secretary)
    new = timezone.localtime(third.start).replace(hour=14)
    r = c.post(reverse("meeting_move", args=[meeting.uid]), {
        "occurrence": third.pk, "start": f"{new:%Y-%m-%dT%H:%M}", "end": f"{new + timedelta(hours=1):%Y-%m-%dT%H:%M}",
        "scope": "following", "reason": ""})
    assert r.status_code == 302
    tail = Meeting.objects.get(split_from=meeting)
    assert r["Location"] == reverse("meeting_detail", args=[tail.uid])
    assert [timezone.localtime(o.start).hour for o in tail.occurrences.order_by("index")] == [14, 14]
    assert [timezone.localtime(o.start).hour for o in meeting.occurrences.filter(in_series=True)] == [9, 9]


def test_moving_the_whole_series_keeps_its_rhythm(org):
    meeting = series(org, count=3)
    first = meeting.occurrences.get(index=0)
    c = client_for(org.secretary)
    new = timezone.localtime(first.start) + timedelta(days=1, hours=1)
    r = c.post(reverse("meeting_move", args=[meeting.uid]), {
        "occurrence": first.pk, "start": f"{new:%Y-%m-%dT%H:%M}", "end": f"{new + timedelta(hours=2):%Y-%m-%dT%H:%M}",
        "scope": "all"})
    assert r.status_code == 302
    starts = [timezone.localtime(o.start) for o in meeting.occurrences.order_by("index")]
    assert [s.weekday() for s in starts] == [1, 1, 1] and {s.hour for s in starts} == {10}
    assert all((o.end - o.start) == timedelta(hours=2) for o in meeting.occurrences.all())


def test_a_draft_is_edited_then_published_from_the_composer(org):
    day = working_day(10)
    c = client_for(org.secretary)
    from tests.meetings.web.test_composer import form_data

    c.post(reverse("composer"), form_data(org, day, intent="draft"))
    draft = Meeting.objects.get()
    page = c.get(reverse("meeting_edit", args=[draft.uid]))
    assert page.status_code == 200 and "Lưu và gửi giấy mời" in page.content.decode()
    data = form_data(org, day, start=f"{day:%Y-%m-%d}T13:00", end=f"{day:%Y-%m-%d}T14:00", intent="publish",
                     version=page.context["form"].initial["version"])
    r = c.post(reverse("meeting_edit", args=[draft.uid]), data)
    assert r.status_code == 302, r.context["form"].errors
    draft.refresh_from_db()
    assert draft.status == Meeting.Status.SCHEDULED and timezone.localtime(draft.start).hour == 13
    assert Booking.objects.filter(occurrence__meeting=draft, status="confirmed").count() == 1


def test_cancelling_the_whole_meeting(org):
    day = working_day(10)
    meeting = book(org.secretary, org.hospital, at(day, 9), at(day, 10), [org.room_a])
    r = client_for(org.secretary).post(reverse("meeting_cancel", args=[meeting.uid]), {"scope": "all", "reason": "Hoãn"})
    assert r.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CANCELLED and meeting.cancel_reason == "Hoãn"
    assert not Booking.objects.filter(occurrence__meeting=meeting, status="confirmed").exists()
    page = client_for(org.secretary).get(reverse("meeting_detail", args=[meeting.uid])).content.decode()
    assert "Hoãn" in page and reverse("meeting_edit", args=[meeting.uid]) not in page


def test_the_move_form_shows_a_clash_at_the_new_time_before_submitting(org):
    meeting = series(org, count=2)
    occ = meeting.occurrences.get(index=0)
    day = timezone.localdate(occ.start)
    book(org.secretary, org.hospital, at(day, 14), at(day, 15), [org.room_a], title="Chiếm phòng")
    r = client_for(org.secretary).post(reverse("meeting_move_check", args=[meeting.uid]), {
        "occurrence": occ.pk, "start": f"{day:%Y-%m-%d}T14:00", "end": f"{day:%Y-%m-%d}T15:00", "scope": "occurrence"})
    body = r.content.decode()
    assert "Phòng họp A (BVĐK tỉnh): đã có cuộc họp khác" in body and "Chiếm phòng" not in body
    r = client_for(org.secretary).post(reverse("meeting_move_check", args=[meeting.uid]), {
        "occurrence": occ.pk, "start": f"{day:%Y-%m-%d}T16:00", "end": f"{day:%Y-%m-%d}T17:00", "scope": "occurrence"})
    assert "Không có vướng mắc" in r.content.decode()


def test_the_delivery_log_lists_every_message_for_the_organisers_only(org):
    from integrations.calendar.models import Delivery

    meeting = series(org, people=2)
    a = meeting.attendees.get(email=org.member.email)
    Delivery.objects.create(attendee=a, meeting=meeting, uid=str(meeting.uid), kind="request", sequence=0, first=True,
                            status="failed", last_error="550 Hộp thư không tồn tại")
    Delivery.objects.create(attendee=a, meeting=meeting, uid=str(meeting.uid), kind="request", sequence=1, status="sent",
                            sent_at=timezone.now())
    body = client_for(org.secretary).get(reverse("meeting_deliveries", args=[meeting.uid])).content.decode()
    assert "550 Hộp thư không tồn tại" in body and "(#1)" in body and "(#0)" in body
    assert client_for(org.member).get(reverse("meeting_deliveries", args=[meeting.uid])).status_code == 403
