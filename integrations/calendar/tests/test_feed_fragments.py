"""Feeds are joined from stored per-meeting texts: the outbox handler stores them, a fresh
feed reads them in one query, and whatever changes a text (the meeting, a room, unit or
chair renamed, a room refused) makes it stale and changes the ETag."""

from __future__ import annotations

import gzip

from django.test import Client

from integrations.calendar import feeds
from integrations.calendar.models import FeedFragment, FeedToken
from integrations.calendar.tests.checks import full_check
from meetings import actions
from meetings.actions import RoomChoice
from meetings.models import Booking, Membership
from tests.factories import working_day


def feed_path(user) -> tuple[FeedToken, str]:
    row, token = FeedToken.issue(user, FeedToken.Kind.PERSONAL)
    return row, f"/feeds/{token}.ics"


def unfolded(raw: bytes) -> str:
    return raw.replace(b"\r\n ", b"").decode()


def test_handler_stores_the_fragment_and_a_fresh_feed_reads_texts_in_one_query(smtp, make_meeting, org, django_assert_num_queries):
    meeting = make_meeting()
    frag = FeedFragment.objects.get(meeting=meeting)
    assert (frag.version, frag.updated_at, frag.sequence) == (feeds.VERSION, meeting.updated_at, meeting.sequence)
    assert str(meeting.uid) in frag.full and frag.busy == ""  # busy variant only when a feed needs it
    row, _path = feed_path(org.member)
    qs, busy = feeds.meetings(row)
    with django_assert_num_queries(1):
        texts = feeds.fragments(qs, busy, expected=1)
    assert texts == {meeting.pk: frag.full}


def test_changes_and_renames_make_texts_stale_and_change_the_etag(smtp, make_meeting, org, run_commit):
    meeting = make_meeting(chair=org.leader)
    _row, path = feed_path(org.member)
    client = Client()
    first = client.get(path)
    etag = first["ETag"]
    assert "Phòng họp A (BVĐK tỉnh\\, Tầng 2)" in unfolded(first.content)
    assert client.get(path, HTTP_IF_NONE_MATCH=etag).status_code == 304

    org.room_a.name = "Phòng họp số 1"
    org.room_a.save()
    renamed = client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert renamed.status_code == 200 and renamed["ETag"] != etag
    assert "Phòng họp số 1 (BVĐK tỉnh\\, Tầng 2)" in unfolded(renamed.content)
    full_check(renamed.content, "PUBLISH")

    org.hospital.short_name = "BV tỉnh"
    org.hospital.save()
    assert "Phòng họp số 1 (BV tỉnh\\, Tầng 2)" in unfolded(client.get(path).content)

    org.leader.full_name = "Trần Văn Chủ Trì"
    org.leader.save(update_fields=["full_name"])
    body = unfolded(client.get(path).content)
    assert "Chủ trì: Trần Văn Chủ Trì" in body

    etag = client.get(path)["ETag"]
    org.leader.save(update_fields=["last_login"])  # not a rename: the feed stays as it is
    assert client.get(path, HTTP_IF_NONE_MATCH=etag).status_code == 304

    run_commit(actions.update_meeting, org.secretary, meeting, {"title": "Giao ban (mới)"})
    changed = client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and "SUMMARY:Giao ban (mới)" in unfolded(changed.content)


def test_refused_room_leaves_the_feed_location(smtp, make_meeting, org, run_commit):
    from meetings.permissions import forget

    meeting = make_meeting(rooms=[RoomChoice(org.room_a), RoomChoice(org.hall)])
    _row, path = feed_path(org.member)
    assert "Hội trường Sở" in unfolded(Client().get(path).content)
    admin = org.dept_secretary
    Membership.objects.create(user=admin, unit=org.dept, role=Membership.Role.UNIT_ADMIN)
    forget(admin)
    run_commit(actions.reject_booking, admin, Booking.objects.get(occurrence__meeting=meeting, room=org.hall))
    body = unfolded(Client().get(path).content)
    assert "Phòng họp A" in body and "Hội trường Sở" not in body


def test_gzip_is_served_to_clients_that_take_it(smtp, make_meeting, org):
    make_meeting()
    _row, path = feed_path(org.member)
    client = Client()
    plain = client.get(path)
    assert "Content-Encoding" not in plain and "Accept-Encoding" in plain["Vary"]
    for _ in range(2):  # built now, then from the cache
        zipped = client.get(path, HTTP_ACCEPT_ENCODING="gzip, deflate")
        assert zipped["Content-Encoding"] == "gzip" and zipped["ETag"] == plain["ETag"]
        assert gzip.decompress(zipped.content) == plain.content
    assert client.get(path).content == plain.content  # cached gzip, decompressed for this client


def test_periodic_refresh_serialises_missing_and_stale_texts(smtp, make_meeting, org):
    fresh, missing, stale = make_meeting(), make_meeting(title="Chưa có", rooms=[RoomChoice(org.room_b)]), \
        make_meeting(title="Cũ", rooms=[RoomChoice(org.room_a)], day=working_day(20))
    FeedFragment.objects.filter(meeting=missing).delete()
    FeedFragment.objects.filter(meeting=stale).update(version="0", full="old")
    assert feeds.refresh_stale() == 2
    assert feeds.refresh_stale() == 0
    texts = dict(FeedFragment.objects.values_list("meeting_id", "full"))
    assert set(texts) == {fresh.pk, missing.pk, stale.pk}
    assert "SUMMARY:Chưa có" in texts[missing.pk] and "SUMMARY:Cũ" in texts[stale.pk]
