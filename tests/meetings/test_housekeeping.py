from datetime import timedelta

from django.utils import timezone

from meetings import actions, outbox
from meetings.models import Meeting, Occurrence, OutboxMessage
from tests.factories import at, working_day


def _meeting(org, title="Họp", hour=8):
    day = working_day(5)
    return actions.create_meeting(org.secretary, actions.MeetingInput(
        title=title, organizing_unit=org.hospital, start=at(day, hour), end=at(day, hour + 1),
        rooms=[actions.RoomChoice(org.room_a, 3)]))


def test_ended_sittings_become_held_and_so_does_a_finished_meeting(org):
    meeting = _meeting(org)
    occ = meeting.occurrences.get()
    assert actions.mark_past_occurrences_held(now=occ.end - timedelta(minutes=1)) == 0
    assert actions.mark_past_occurrences_held(now=occ.end + timedelta(minutes=1)) == 1
    occ.refresh_from_db()
    meeting.refresh_from_db()
    assert occ.status == Occurrence.Status.HELD
    assert meeting.status == Meeting.Status.HELD


def test_cancelled_meetings_are_not_marked_held(org):
    meeting = _meeting(org)
    actions.cancel_meeting(org.secretary, meeting)
    occ = meeting.occurrences.get()
    actions.mark_past_occurrences_held(now=occ.end + timedelta(days=1))
    occ.refresh_from_db()
    meeting.refresh_from_db()
    assert occ.status == Occurrence.Status.CANCELLED
    assert meeting.status == Meeting.Status.CANCELLED


def test_purge_deletes_only_old_finished_outbox_rows(org):
    meeting = _meeting(org)
    old = timezone.now() - timedelta(days=40)
    kept_failed = OutboxMessage.objects.create(topic="x", meeting=meeting, status="failed", done_at=old)
    old_done = OutboxMessage.objects.create(topic="x", meeting=meeting, status="done", done_at=old)
    recent_done = OutboxMessage.objects.create(topic="x", meeting=meeting, status="done", done_at=timezone.now())
    pending = OutboxMessage.objects.create(topic="x", meeting=meeting)
    assert outbox.purge(timedelta(days=30)) == 1
    remaining = set(OutboxMessage.objects.values_list("pk", flat=True))
    assert old_done.pk not in remaining
    assert {kept_failed.pk, recent_done.pk, pending.pk} <= remaining


def test_failed_outbox_rows_are_kept_longer_then_purged(org, settings):
    settings.OUTBOX_RETENTION_DAYS = 30
    settings.OUTBOX_FAILED_RETENTION_DAYS = 180
    meeting = _meeting(org)
    now = timezone.now()
    failed_recent = OutboxMessage.objects.create(topic="x", meeting=meeting, status="failed", done_at=now - timedelta(days=100))
    failed_old = OutboxMessage.objects.create(topic="x", meeting=meeting, status="failed", done_at=now - timedelta(days=200))
    done_old = OutboxMessage.objects.create(topic="x", meeting=meeting, status="done", done_at=now - timedelta(days=31))
    assert outbox.purge() == 2
    remaining = set(OutboxMessage.objects.values_list("pk", flat=True))
    assert failed_recent.pk in remaining and not {failed_old.pk, done_old.pk} & remaining
