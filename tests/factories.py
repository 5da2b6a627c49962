"""Small builders for tests: no factory library, explicit and readable (healthchecks-style)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from accounts.models import User
from meetings.models import Equipment, Membership, Room, Unit
from meetings.workdays import WorkCalendar

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
_seq = count(1)


def session_queries() -> int:
    """A page's query for its session: 1, or 0 when sessions are read through the Redis
    cache (production mode: config/settings.py SESSION_ENGINE)."""
    from django.conf import settings

    return 0 if settings.SESSION_ENGINE.endswith("cached_db") else 1


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=TZ)


def working_day(ahead: int = 10) -> date:
    """A working day at least `ahead` working days from today (clear of the 3-day rule)."""
    today = timezone.localdate()
    return WorkCalendar(today, today + timedelta(days=ahead * 3 + 30)).add_working_days(today, ahead)


def make_unit(code: str | None = None, parent: Unit | None = None, kind: str = Unit.Kind.HOSPITAL, **kw: Any) -> Unit:
    code = code or f"u{next(_seq)}"
    return Unit.objects.create(
        code=code, name=kw.pop("name", f"Đơn vị {code}"), short_name=kw.pop("short_name", code.upper()),
        kind=kind, parent=parent, **kw,
    )


def make_user(email: str | None = None, unit: Unit | None = None, role: str | None = None, **kw: Any) -> User:
    email = email or f"user{next(_seq)}@example.vn"
    user = User.objects.create_user(email=email, password="pw-Quorum-2026", full_name=kw.pop("full_name", email.split("@")[0].title()), **kw)
    if unit is not None and role is not None:
        Membership.objects.create(user=user, unit=unit, role=role)
    return user


def make_room(unit: Unit, name: str | None = None, capacity: int = 20, equipment: list[str] = (), **kw: Any) -> Room:
    room = Room.objects.create(unit=unit, name=name or f"Phòng {next(_seq)}", capacity=capacity, **kw)
    for slug in equipment:
        eq, _ = Equipment.objects.get_or_create(slug=slug, defaults={"name": slug})
        room.equipment.add(eq)
    return room


def sign_off_and_issue(writer: User, minutes: Any, conclusion: str = "Thống nhất nội dung.") -> Any:
    """Minutes from draft to issued through the real workflow (submit → chair approves → issue):
    issuing straight from a draft is refused since the NĐ 30 sign-off steps exist."""
    from minutes import actions, workflow

    if not minutes.sections.exclude(text="").exists() and not minutes.conclusions.exists():
        actions.add_conclusion(writer, minutes, conclusion)
    workflow.submit(writer, minutes)
    workflow.approve(minutes.occurrence.meeting.chair, minutes)
    return workflow.issue(writer, minutes)
