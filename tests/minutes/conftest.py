"""Minutes fixtures: a hospital briefing (normal) and a confidential meeting, made through
the foundation's create_meeting, plus helpers to write into a section with pycrdt."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from pycrdt import Doc, Text

from meetings import actions as meeting_actions
from meetings.actions import AttendeeInput, MeetingInput, RoomChoice
from meetings.models import Attendee, Meeting, Membership
from minutes.testing import Server
from tests.factories import at, make_user, working_day

AGENDA = "1. Báo cáo tình hình khám chữa bệnh\n2. Kế hoạch tiêm chủng\n\n- Ý kiến các đơn vị"


@pytest.fixture
def briefing(org):
    """Hospital briefing chaired by the hospital leader; member accepted, a CDC person declined,
    a dept secretary delegated to a colleague; dept_secretary's colleague is the delegate."""
    day = working_day(5)
    cdc_person = make_user("bacsi@cdc.vn", org.cdc, Membership.Role.MEMBER, full_name="Bác Sĩ CDC")
    cdc_member = make_user("nhanvien@cdc.vn", org.cdc, Membership.Role.MEMBER, full_name="Nhân Viên CDC")
    meeting = meeting_actions.create_meeting(org.secretary, MeetingInput(
        title="Giao ban bệnh viện", organizing_unit=org.hospital, start=at(day, 8), end=at(day, 10),
        agenda=AGENDA, chair=org.leader, rooms=[RoomChoice(org.room_a)],
        attendees=[
            AttendeeInput(email=org.member.email, user=org.member, unit=org.hospital),
            AttendeeInput(email=cdc_person.email, user=cdc_person, unit=org.cdc),
            AttendeeInput(email=org.dept_secretary.email, user=org.dept_secretary, unit=org.dept),
            AttendeeInput(email="khach@benhvien.vn", name="Khách mời"),
        ],
    ))
    atts = {a.email: a for a in meeting.attendees.all()}
    Attendee.objects.filter(pk=atts[org.member.email].pk).update(rsvp=Attendee.Rsvp.ACCEPTED)
    Attendee.objects.filter(pk=atts[cdc_person.email].pk).update(
        rsvp=Attendee.Rsvp.DECLINED, rsvp_comment="Trực chống dịch")
    Attendee.objects.filter(pk=atts[org.dept_secretary.email].pk).update(rsvp=Attendee.Rsvp.DELEGATED)
    Attendee.objects.create(
        meeting=meeting, email="phothuky@soyte.vn", name="Phó Thư Ký Sở", unit=org.dept,
        delegated_from=atts[org.dept_secretary.email], rsvp=Attendee.Rsvp.ACCEPTED)
    return SimpleNamespace(meeting=meeting, occurrence=meeting.occurrences.get(), cdc_person=cdc_person,
                           cdc_member=cdc_member)


@pytest.fixture
def confidential(org):
    """A confidential meeting of the hospital: only `invitee` is invited, dept_leader chairs."""
    day = working_day(6)
    invitee = make_user("mat@bvdk.vn", org.hospital, Membership.Role.MEMBER, full_name="Người Được Mời")
    meeting = meeting_actions.create_meeting(org.secretary, MeetingInput(
        title="Họp mật", organizing_unit=org.hospital, start=at(day, 14), end=at(day, 15),
        sensitivity=Meeting.Sensitivity.CONFIDENTIAL, chair=org.dept_leader, rooms=[RoomChoice(org.room_b)],
        attendees=[AttendeeInput(email=invitee.email, user=invitee, unit=org.hospital)],
    ))
    return SimpleNamespace(meeting=meeting, occurrence=meeting.occurrences.get(), invitee=invitee)


class Typist:
    """A pycrdt replica of one section: type() returns the Yjs update a browser would send."""

    def __init__(self, state: bytes = b"") -> None:
        self.doc = Doc()
        self.text = self.doc.get("text", type=Text)
        if state:
            self.doc.apply_update(state)

    def type(self, s: str, pos: int | None = None) -> bytes:
        before = self.doc.get_state()
        self.text.insert(len(self.text) if pos is None else pos, s)
        return self.doc.get_update(before)

    def apply(self, update: bytes) -> None:
        self.doc.apply_update(update)

    def __str__(self) -> str:
        return str(self.text)


@pytest.fixture
async def close_db_after():
    """Async tests reach the database from asgiref's sync thread; close that connection at
    the end so the test database can be dropped."""
    yield
    from asgiref.sync import sync_to_async
    from django.db import connections

    await sync_to_async(connections.close_all, thread_sensitive=True)()


# --- Real servers (uvicorn processes) on the test database --------------------------------


def server_env(ttl: float | None = None) -> dict[str, str]:
    """Environment of a server process that opens the test database (a file on SQLite; on
    PostgreSQL the tests are transactional so it sees committed rows) and, with REDIS_URL,
    its own channel-layer prefix on the shared Redis."""
    db = connection.settings_dict
    env = {
        "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE,
        "QUORUM_TESTING": "true",
        "CHANNELS_PREFIX": f"qmt{uuid.uuid4().hex[:8]}",
        "LOG_LEVEL": "ERROR",
    }
    if ttl is not None:
        env["MINUTES_PRESENCE_TTL"] = str(ttl)
    if settings.IS_POSTGRES:
        auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        env["DATABASE_URL"] = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    else:
        env["SQLITE_PATH"] = str(db["NAME"])
    return env


def start_servers(n: int = 1, *, ttl: float | None = None, static: bool = False) -> list[Server]:
    """n processes sharing one environment (so one channel-layer prefix), all answering."""
    env = server_env(ttl)
    new = [Server(env, static=static) for _ in range(n)]
    try:
        return [s.wait_ready() for s in new]
    except BaseException:
        for s in new:
            s.stop()
        raise


@pytest.fixture
def live_servers():
    """start(n, ttl=…) → n uvicorn processes, stopped after the test."""
    started: list[Server] = []

    def start(n: int = 1, **kw) -> list[Server]:
        new = start_servers(n, **kw)
        started.extend(new)
        return new

    yield start
    for s in started:
        s.stop()


def session_of(user) -> str:
    """A session cookie value for `user` (as after logging in)."""
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value
