"""Fixtures for the calendar, rooms and queue: a hospital hall that needs approval and its admin."""

from __future__ import annotations

from datetime import timedelta

import pytest

from meetings.models import Booking, Membership
from meetings.permissions import forget
from tests.factories import at, make_room, make_user, working_day
from tests.meetings.conftest import book


@pytest.fixture
def hall(org):
    """The hospital's hall: needs the hospital's unit admin's approval, shared with other units."""
    return make_room(org.hospital, "Hội trường BVĐK", capacity=80, equipment=["projector"], requires_approval=True, shared=True)


@pytest.fixture
def dept_admin(org):
    admin = make_user("quantri@soyte.vn", org.dept, Membership.Role.UNIT_ADMIN, full_name="Quản Trị Sở")
    forget(admin)
    return admin


@pytest.fixture
def day():
    return working_day(10)


def requests_of(meeting) -> list[Booking]:
    return list(Booking.objects.filter(occurrence__meeting=meeting).order_by("start"))


def series(org, room, day, *, count: int = 4, title: str = "Giao ban tuần", actor=None, unit=None, hour: int = 8, people: int = 15, **kw):
    return book(actor or org.secretary, unit or org.hospital, at(day, hour), at(day, hour) + timedelta(hours=2), [(room, people)],
                title=title, rrule=f"FREQ=WEEKLY;COUNT={count}" if count > 1 else "", **kw)
