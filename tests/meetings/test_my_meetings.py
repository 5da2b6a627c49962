"""My meetings (me/): today / upcoming / past, answers, delegation, Join, minutes links, feed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from integrations.calendar import personal
from integrations.calendar.models import FeedToken
from meetings.models import Attendee, Meeting, Membership
from minutes.actions import ensure_minutes
from tests.factories import make_user, sign_off_and_issue
from tests.meetings.mine_helpers import page_queries, sitting

pytestmark = pytest.mark.django_db


@pytest.fixture
def member_client(org):
    client = Client()
    client.force_login(org.member)
    return client


def test_lists_today_upcoming_and_past_with_place_and_mode(org, member_client):
    now = timezone.now()
    sitting(org, now + timedelta(minutes=5), people=[org.member], title="Họp hôm nay", room=org.room_a)
    sitting(org, now + timedelta(days=3), people=[org.member], title="Họp tuần sau", mode=Meeting.Mode.ONLINE)
    sitting(org, now - timedelta(days=3), people=[org.member], title="Họp tuần trước")
    sitting(org, now + timedelta(days=3), people=[org.secretary], title="Không mời tôi")
    html = member_client.get(reverse("my_meetings")).content.decode()
    today, rest = html.split('id="upcoming-h"')
    upcoming, past = rest.split('id="past-h"')
    assert "Họp hôm nay" in today and "Phòng họp A (BVĐK tỉnh)" in today
    assert "Họp tuần sau" in upcoming and "Trực tuyến" in upcoming
    assert "Họp tuần trước" in past
    assert "Không mời tôi" not in html


def test_drafts_are_left_out_chaired_meetings_shown_cancelled_ones_kept_out_of_the_past_and_pages_follow(org):
    """The rules the page's id-array queries must keep (meetings.mine._mine)."""
    from meetings import mine

    now = timezone.now()
    draft = sitting(org, now + timedelta(days=2), people=[org.member], title="Bản nháp")
    Meeting.objects.filter(pk=draft.meeting_id).update(status=Meeting.Status.DRAFT)
    chaired = sitting(org, now + timedelta(days=2, hours=1), people=[], title="Tôi chủ trì")
    Meeting.objects.filter(pk=chaired.meeting_id).update(chair=org.member)
    gone = sitting(org, now - timedelta(days=2), people=[org.member], title="Đã hủy cả cuộc")
    Meeting.objects.filter(pk=gone.meeting_id).update(status=Meeting.Status.CANCELLED)
    declined = sitting(org, now + timedelta(days=2, hours=2), people=[org.member], title="Không còn mời")
    Attendee.objects.filter(meeting_id=declined.meeting_id).update(is_active=False)
    ahead = [sitting(org, now + timedelta(days=3 + i), people=[org.member], title=f"Họp {i:02}") for i in range(25)]
    past = [sitting(org, now - timedelta(days=3 + i), people=[org.member], title=f"Đã họp {i:02}") for i in range(12)]

    first = mine.page_for(org.member)
    titles = [c.occurrence.meeting.title for c in first.upcoming]
    assert titles[0] == "Tôi chủ trì" and titles[1:] == [f"Họp {i:02}" for i in range(mine.UPCOMING_PAGE - 1)]
    assert first.more_upcoming and first.today == []
    assert [c.occurrence.pk for c in first.past] == [o.pk for o in past[: mine.PAST_PAGE]] and first.more_past
    second = mine.page_for(org.member, ahead_page=2, past_page=2)
    assert [c.occurrence.pk for c in second.upcoming] == [o.pk for o in ahead[mine.UPCOMING_PAGE - 1:]]
    assert not second.more_upcoming
    assert [c.occurrence.pk for c in second.past] == [o.pk for o in past[mine.PAST_PAGE:]] and not second.more_past
    shown = {c.occurrence.pk for page in (first, second) for c in page.today + page.upcoming + page.past}
    assert draft.pk not in shown and gone.pk not in shown and declined.pk not in shown


def test_every_page_is_what_reading_every_sitting_would_give_whatever_the_window(org):
    """On PostgreSQL a page is first looked for within a few weeks of today
    (meetings.mine._windowed), and the open-ended query runs only when the window holds less
    than a page: pages inside the window, across it and far beyond it are all exact."""
    from meetings import mine

    now = timezone.now()
    ahead = [sitting(org, now + timedelta(days=1 + i // 2, hours=i % 2), people=[org.member]) for i in range(80)]
    ahead += [sitting(org, now + timedelta(days=200 + i), people=[org.member]) for i in range(3)]
    past = [sitting(org, now - timedelta(days=2 + i // 2, hours=i % 2), people=[org.member]) for i in range(30)]
    past += [sitting(org, now - timedelta(days=300 + i), people=[org.member]) for i in range(2)]
    ahead.sort(key=lambda o: (o.start, o.pk))
    past.sort(key=lambda o: (o.start, o.pk), reverse=True)
    for number in range(1, 6):
        page = mine.page_for(org.member, ahead_page=number, past_page=number)
        size, psize = mine.UPCOMING_PAGE, mine.PAST_PAGE
        assert [c.occurrence.pk for c in page.upcoming] == [o.pk for o in ahead[(number - 1) * size:number * size]]
        assert page.more_upcoming == (len(ahead) > number * size)
        assert [c.occurrence.pk for c in page.past] == [o.pk for o in past[(number - 1) * psize:number * psize]]
        assert page.more_past == (len(past) > number * psize)


def test_query_count_does_not_grow_with_meetings(org, member_client, django_assert_num_queries):
    now = timezone.now()

    made = [0]

    def add(n):
        for _ in range(n):
            made[0] += 1
            occ = sitting(org, now + timedelta(days=made[0]), people=[org.member, org.unit_admin], room=org.room_a,
                          mode=Meeting.Mode.HYBRID)
            sitting(org, now - timedelta(days=made[0]), people=[org.member])
            if made[0] % 2:
                ensure_minutes(occ)
        Attendee.objects.filter(user=org.member).update(rsvp=Attendee.Rsvp.DELEGATED)

    add(2)
    member_client.get(reverse("my_meetings"))  # warm the session
    with django_assert_num_queries(page_queries()):
        member_client.get(reverse("my_meetings"))
    add(30)
    with django_assert_num_queries(page_queries()):
        response = member_client.get(reverse("my_meetings"))
    assert response.status_code == 200


def test_answer_buttons_record_the_answer_and_return_the_card(org, member_client):
    occ = sitting(org, timezone.now() + timedelta(days=4), people=[org.member])
    att = Attendee.objects.get(user=org.member)
    url = reverse("my_meetings_answer", args=[att.pk])
    response = member_client.post(url, {"rsvp": "accepted", "occurrence": occ.pk}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'data-announce="Đã ghi nhận câu trả lời: Tham dự."' in response.content.decode()
    att.refresh_from_db()
    assert att.rsvp == Attendee.Rsvp.ACCEPTED


def test_answer_without_a_choice_says_so_next_to_the_buttons(org, member_client):
    occ = sitting(org, timezone.now() + timedelta(days=4), people=[org.member])
    att = Attendee.objects.get(user=org.member)
    response = member_client.post(reverse("my_meetings_answer", args=[att.pk]), {"occurrence": occ.pk})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Hãy chọn Tham dự, Chưa chắc chắn hoặc Không tham dự." in html
    assert "accepted, tentative" not in html
    att.refresh_from_db()
    assert att.rsvp == Attendee.Rsvp.NEEDS_ACTION


def test_someone_elses_invitation_is_not_found(org, member_client):
    occ = sitting(org, timezone.now() + timedelta(days=4), people=[org.unit_admin])
    other = Attendee.objects.get(user=org.unit_admin)
    response = member_client.post(reverse("my_meetings_answer", args=[other.pk]), {"rsvp": "accepted", "occurrence": occ.pk})
    assert response.status_code == 404


@pytest.mark.parametrize("email, message", [
    ("thanhvien@bvdk.vn", "Không thể cử chính mình dự thay."),
    ("quantri@bvdk.vn", "quantri@bvdk.vn đã có trong thành phần mời của cuộc họp này."),
    ("not-an-email", "Địa chỉ e-mail này không hợp lệ"),
    ("", "Nhập e-mail của người dự thay."),
    ("ai.do@khong.co", "Không có tài khoản Quorum nào dùng e-mail này."),
    ("thuky@cdc.vn", "chỉ cử được người cùng đơn vị"),
])
def test_bad_delegation_is_explained_next_to_the_field(org, member_client, email, message):
    occ = sitting(org, timezone.now() + timedelta(days=4), people=[org.member, org.unit_admin])
    att = Attendee.objects.get(user=org.member)
    response = member_client.post(reverse("my_meetings_delegate", args=[att.pk]),
                                  {"email": email, "occurrence": occ.pk}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 400
    field = html.split(f'id="occ-{occ.pk}-sub"')[1]
    assert message in field.split("</div>")[0]
    att.refresh_from_db()
    assert att.rsvp == Attendee.Rsvp.NEEDS_ACTION


def test_delegation_to_a_colleague(org, member_client):
    colleague = make_user("dongnghiep@bvdk.vn", org.hospital, Membership.Role.MEMBER, full_name="Đồng Nghiệp")
    occ = sitting(org, timezone.now() + timedelta(days=4), people=[org.member])
    att = Attendee.objects.get(user=org.member)
    form = member_client.get(reverse("my_meetings_delegate", args=[att.pk]) + f"?occurrence={occ.pk}", HTTP_HX_REQUEST="true")
    assert 'value="dongnghiep@bvdk.vn"' in form.content.decode()  # suggested colleague
    response = member_client.post(reverse("my_meetings_delegate", args=[att.pk]),
                                  {"email": "dongnghiep@bvdk.vn", "occurrence": occ.pk}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Đã cử Đồng Nghiệp dự thay" in response.content.decode()
    assert Attendee.objects.get(user=colleague).delegated_from_id == att.pk


def test_join_button_opens_fifteen_minutes_before_and_closes_at_the_end(org, member_client):
    now = timezone.now()
    soon = sitting(org, now + timedelta(minutes=10), people=[org.member], mode=Meeting.Mode.ONLINE, title="Sắp họp")
    later = sitting(org, now + timedelta(minutes=40), people=[org.member], mode=Meeting.Mode.ONLINE, title="Chưa mở")
    over = sitting(org, now - timedelta(minutes=90), people=[org.member], mode=Meeting.Mode.ONLINE, title="Xong rồi")
    html = member_client.get(reverse("my_meetings")).content.decode()
    card = lambda occ: html.split(f'id="occ-{occ.pk}"')[1].split("</article>")[0]  # noqa: E731
    token = Attendee.objects.get(user=org.member, meeting=soon.meeting).join_token
    assert f'href="/j/{token}"' in card(soon)
    # Not open yet: a disabled button; the link is in the page but hidden until site.js opens it
    # at T−15 (tests/ui/test_join_timer.py drives that clock).
    assert "disabled" in card(later)
    assert all(re.search(r"\bhidden\b", tag) for tag in re.findall(r'<a [^>]*href="/j/[^>]*>', card(later)))
    assert re.findall(r'<a [^>]*href="/j/[^>]*>', card(later))
    assert "Vào họp" not in card(over)


def test_minutes_links_live_then_issued(org, member_client):
    occ = sitting(org, timezone.now() - timedelta(minutes=5), people=[org.member])
    url = reverse("minutes:page", args=[occ.pk])
    html = member_client.get(reverse("my_meetings")).content.decode()
    assert f'href="{url}">Biên bản đang ghi' in html
    minutes = ensure_minutes(occ)
    sign_off_and_issue(org.secretary, minutes)
    html = member_client.get(reverse("my_meetings")).content.decode()
    assert f'href="{url}">Biên bản<' in html


def test_feed_address_shown_copied_and_reset_revokes_the_old_one(org, member_client):
    html = member_client.get(reverse("my_meetings")).content.decode()
    assert "Tạo địa chỉ đăng ký lịch" in html
    member_client.post(reverse("my_meetings_feed_reset"))
    first = personal.current(org.member)
    html = member_client.get(reverse("my_meetings")).content.decode()
    assert first.url in html and first.webcal in html and 'data-copy="#feed-url"' in html
    assert Client().get(first.url.split("127.0.0.1:8000")[-1]).status_code == 200
    member_client.post(reverse("my_meetings_feed_reset"))
    second = personal.current(org.member)
    assert second.url != first.url
    assert Client().get(first.url.split("127.0.0.1:8000")[-1]).status_code == 404
    assert Client().get(second.url.split("127.0.0.1:8000")[-1]).status_code == 200
    assert FeedToken.objects.filter(owner=org.member, revoked_at__isnull=True).count() == 1


def test_feed_made_through_the_api_is_not_shown_as_a_wrong_address(org, member_client):
    FeedToken.issue(org.member, FeedToken.Kind.PERSONAL)
    html = member_client.get(reverse("my_meetings")).content.decode()
    assert "qua API" in html and 'id="feed-url"' not in html


def test_login_required(db):
    response = Client().get(reverse("my_meetings"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_sitting_number_out_of_range_is_simply_not_found(org, member_client):
    sitting(org, timezone.now() + timedelta(days=4), people=[org.member])
    att = Attendee.objects.get(user=org.member)
    for number in ("99999999999999999999", "0"):
        response = member_client.post(reverse("my_meetings_answer", args=[att.pk]), {"rsvp": "accepted", "occurrence": number})
        assert response.status_code == 404
    att.refresh_from_db()
    assert att.rsvp == Attendee.Rsvp.NEEDS_ACTION
