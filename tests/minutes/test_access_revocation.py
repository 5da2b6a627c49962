"""An open minutes socket loses what its user loses (security review D7)."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from meetings import actions as meeting_actions
from meetings.actions import AttendeeInput
from meetings.models import Membership
from minutes import actions, consumers
from tests.minutes.test_consumer import closed_with, joined, next_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("close_db_after")]


@pytest.fixture(autouse=True)
def in_memory(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.MINUTES_PRESENCE_BACKEND = "memory"


async def test_a_removed_invitee_socket_is_closed_and_hears_nothing_more(org, confidential):
    occ = confidential.occurrence.pk
    invitee, _init = await joined(confidential.invitee, occ)
    secretary, _init_s = await joined(org.secretary, occ)
    await database_sync_to_async(meeting_actions.update_meeting)(
        org.secretary, confidential.meeting, {"attendees": [AttendeeInput(email=org.member.email, user=org.member)]})
    code, reason = await closed_with(invitee)
    assert code == consumers.CLOSE_FORBIDDEN and "không còn quyền" in reason
    # The secretary still works; a section added now goes only to the remaining sockets.
    minutes = await database_sync_to_async(lambda: confidential.occurrence.minutes)()
    await database_sync_to_async(actions.add_section)(org.secretary, minutes, "Mục mật sau khi rút tên")
    assert (await next_of(secretary, "section_added"))["section"]["title"] == "Mục mật sau khi rút tên"
    await secretary.disconnect()


async def test_losing_the_unit_role_closes_that_users_open_socket(org, briefing):
    occ = briefing.occurrence.pk
    unit_admin, init = await joined(org.unit_admin, occ)
    assert init["can_edit"] is True
    membership = await database_sync_to_async(Membership.objects.get)(user=org.unit_admin, unit=org.hospital)
    await database_sync_to_async(membership.delete)()
    code, _reason = await closed_with(unit_admin)
    assert code == consumers.CLOSE_FORBIDDEN


async def test_the_heartbeat_rechecks_access(org, briefing):
    occ = briefing.occurrence.pk
    member, _init = await joined(org.member, occ)
    # A change that sends no signal (a raw update): the next heartbeat notices.
    from accounts.models import User

    await database_sync_to_async(lambda: User.objects.filter(pk=org.member.pk).update(is_active=False))()
    await member.send_json_to({"type": "heartbeat"})
    code, _reason = await closed_with(member)
    assert code == consumers.CLOSE_FORBIDDEN
