"""A join reported by the online room after the minutes were opened reaches the open minutes
sockets as {"type": "changed", "what": "attendance"} (the page then refreshes its roll call)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async

from integrations.online import attendance
from integrations.online.models import OnlineRoom
from minutes import actions
from minutes.models import AttendanceRecord
from tests.minutes.test_consumer import in_memory, joined, next_of  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("close_db_after")]


async def test_a_late_join_is_pushed_to_the_open_minutes(org, briefing):
    occ = briefing.occurrence
    minutes = await database_sync_to_async(actions.ensure_minutes)(occ)
    room = await database_sync_to_async(OnlineRoom.objects.create)(occurrence=occ, provider="jitsi", state="ready")
    sec, _init = await joined(org.secretary, occ.pk)
    guest = {"user_name": "Khách mời", "participant_uuid": "g-1"}  # no e-mail: matched by name
    await database_sync_to_async(attendance.record_participant)(room, guest, joined_at=occ.start + timedelta(minutes=3))
    await database_sync_to_async(attendance.record_participant)(room, guest, left_at=occ.start + timedelta(minutes=45))
    msg = await next_of(sec, "changed")
    assert msg["what"] == "attendance"
    row = await database_sync_to_async(AttendanceRecord.objects.get)(minutes=minutes, email="khach@benhvien.vn")
    assert (row.status, row.source, row.online_minutes) == ("present", "online", 42)
    await sec.disconnect()
