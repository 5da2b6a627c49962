"""Join links issued before the HMAC format (D18) keep working after migration 0007, without
the old secret left in the database; a link that cannot work says it expired and where the
current one is (My meetings)."""

from __future__ import annotations

import hashlib
import importlib

import pytest
from django.apps import apps
from django.test import Client

from integrations.online.tests.helpers import schedule
from meetings import actions
from meetings.models import Attendee, join_token_for

pytestmark = pytest.mark.django_db

OLD_TOKEN = "Zq3old-Token_from-the-previous-release-0123"  # token_urlsafe(), as /j/<token> used it


@pytest.fixture
def legacy_attendee(org):
    """An attendee as the previous release left it: join_key held the old token itself."""
    meeting = schedule(org, "jitsi")
    attendee = meeting.attendees.get(email=org.member.email)
    Attendee.objects.filter(pk=attendee.pk).update(join_key=OLD_TOKEN, legacy_join_hash="")
    migration = importlib.import_module("meetings.migrations.0007_legacy_join_links")
    migration.hash_old_tokens(apps, None)
    attendee.refresh_from_db()
    return attendee


def join(token: str):
    return Client().get(f"/j/{token}")


def test_a_link_from_before_the_release_still_opens(legacy_attendee):
    response = join(OLD_TOKEN)
    assert response.status_code == 200 and b'data-kind="not_started"' in response.content


def test_the_old_secret_is_no_longer_stored(legacy_attendee):
    row = Attendee.objects.filter(pk=legacy_attendee.pk).values().get()
    assert OLD_TOKEN not in str(row)
    assert row["legacy_join_hash"] == hashlib.sha256(OLD_TOKEN.encode()).hexdigest()


def test_links_of_the_new_format_made_before_and_after_the_migration_both_open(legacy_attendee):
    issued_since_the_release = join_token_for(OLD_TOKEN)  # /j/<old key>.<mac>
    assert join(issued_since_the_release).status_code == 200
    assert join(legacy_attendee.join_token).status_code == 200  # the link mailed from now on
    assert Attendee.by_join_token(legacy_attendee.join_token) == legacy_attendee


def test_a_forged_mac_on_the_old_key_is_refused(legacy_attendee):
    assert join(f"{OLD_TOKEN}.forged").status_code == 404
    assert join(OLD_TOKEN + "x").status_code == 404


def test_removing_the_attendee_kills_the_old_links_too(legacy_attendee, org):
    meeting = legacy_attendee.meeting
    actions.update_meeting(org.secretary, meeting, {"attendees": [actions.AttendeeInput(email=org.leader.email)]})
    legacy_attendee.refresh_from_db()
    assert not legacy_attendee.is_active and legacy_attendee.legacy_join_hash == ""
    for token in (OLD_TOKEN, join_token_for(OLD_TOKEN)):
        assert join(token).status_code == 404


def test_the_migration_rotates_every_key_and_is_cheap_to_rerun_on_new_rows(org):
    meeting = schedule(org, "jitsi")
    before = dict(meeting.attendees.values_list("pk", "join_key"))
    importlib.import_module("meetings.migrations.0007_legacy_join_links").hash_old_tokens(apps, None)
    after = dict(meeting.attendees.values_list("pk", "join_key"))
    assert all(after[pk] != key for pk, key in before.items())
    for pk, key in before.items():
        assert Attendee.by_join_token(join_token_for(key)).pk == pk  # links already mailed keep working


def test_a_link_that_cannot_work_says_it_expired_and_where_the_new_one_is(db):
    response = join("no-such-token")
    assert response.status_code == 404
    text = response.content.decode()
    assert "Đường link đã hết hạn hoặc không đúng" in text and "This link has expired" in text
    assert 'href="/me/"' in text and "Cuộc họp của tôi" in text
    assert "no-store" in response["Cache-Control"]
