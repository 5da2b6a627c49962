from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

import jwt
import pytest

from integrations.jitsi.provider import JitsiProvider
from integrations.online.models import OnlineRoom
from integrations.online.tests.helpers import run_online_outbox, schedule

pytestmark = pytest.mark.django_db


def test_each_occurrence_gets_its_own_unguessable_room(org, settings, emitted):
    settings.JITSI_DOMAIN = "meet.soyte.vn"
    meeting = schedule(org, "jitsi", rrule="FREQ=WEEKLY;COUNT=3")
    run_online_outbox()
    rooms = list(OnlineRoom.objects.filter(occurrence__meeting=meeting))
    names = {r.external_id for r in rooms}
    assert len(names) == 3 and all(r.state == "ready" for r in rooms)
    for r in rooms:
        assert r.join_url == f"https://meet.soyte.vn/{r.external_id}"
        assert len(r.external_id) >= 32 and r.external_id.isalnum()
    assert sorted(emitted.link_changes(meeting)[0]) == sorted(r.occurrence_id for r in rooms)


def test_moving_keeps_the_room(org):
    from datetime import timedelta

    from meetings import actions

    meeting = schedule(org, "jitsi")
    run_online_outbox()
    room = OnlineRoom.objects.get(occurrence__meeting=meeting)
    actions.update_meeting(org.secretary, meeting, {"start": meeting.start + timedelta(hours=1)})
    run_online_outbox()
    room2 = OnlineRoom.objects.get(pk=room.pk)
    assert room2.join_url == room.join_url and room2.state == "ready"


def test_join_link_carries_name_and_optional_jwt(org, settings):
    meeting = schedule(org, "jitsi")
    run_online_outbox()
    room = OnlineRoom.objects.get(occurrence__meeting=meeting)
    attendee = meeting.attendees.get(email=org.member.email)
    plain = JitsiProvider().join_link(room, attendee)
    assert "jwt=" not in plain and unquote(plain).endswith('#userInfo.displayName="Trần Thành Viên"')

    settings.JITSI_APP_ID, settings.JITSI_APP_SECRET = "quorum", "s3cret-s3cret-s3cret-s3cret-s3cret"
    url = JitsiProvider().join_link(room, attendee)
    token = parse_qs(urlsplit(url).query)["jwt"][0]
    claims = jwt.decode(token, "s3cret-s3cret-s3cret-s3cret-s3cret", algorithms=["HS256"], audience="jitsi")
    assert claims["room"] == room.external_id and claims["iss"] == "quorum" and claims["sub"] == settings.JITSI_DOMAIN
    assert claims["context"]["user"]["email"] == org.member.email and claims["moderator"] is False
    host = JitsiProvider().host_link(room, org.leader)
    host_claims = jwt.decode(parse_qs(urlsplit(host).query)["jwt"][0], "s3cret-s3cret-s3cret-s3cret-s3cret",
                             algorithms=["HS256"], audience="jitsi")
    assert host_claims["moderator"] is True
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "another-secret-another-secret-xx", algorithms=["HS256"], audience="jitsi")
