"""Builders shared by the online-room tests (jitsi, link and zoom tests use them too)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone

from integrations.online.lifecycle import TOPIC
from meetings import actions, outbox
from meetings.models import Meeting, OutboxMessage
from tests.factories import at, working_day


def online_input(org: Any, provider: str = "jitsi", *, day: date | None = None, hh: int = 8, mm: int = 30,
                 minutes: int = 90, **kw: Any) -> actions.MeetingInput:
    day = day or working_day(10)
    start = at(day, hh, mm)
    return actions.MeetingInput(
        title=kw.pop("title", "Giao ban trực tuyến"),
        organizing_unit=kw.pop("unit", org.hospital),
        start=start,
        end=start + timezone.timedelta(minutes=minutes),
        mode=kw.pop("mode", Meeting.Mode.ONLINE),
        online_provider=provider,
        chair=kw.pop("chair", org.leader),
        attendees=kw.pop("attendees", [actions.AttendeeInput(email=org.member.email)]),
        **kw,
    )


def schedule(org: Any, provider: str = "jitsi", **kw: Any) -> Meeting:
    return actions.create_meeting(org.secretary, online_input(org, provider, **kw))


def run_online_outbox(force: bool = True) -> list[str]:
    """Process this app's outbox rows now (the `db` fixture never fires on_commit)."""
    rows = OutboxMessage.objects.filter(topic=TOPIC, status=OutboxMessage.Status.PENDING)
    if force:
        rows.update(available_at=timezone.now())
    return [outbox.process(pk) for pk in rows.order_by("id").values_list("pk", flat=True)]


class EmitSpy:
    """Records every outbox.emit (the calendar subscriber may not be installed)."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, str, dict[str, Any]]] = []
        self.real = outbox.emit

    def __call__(self, meeting: Meeting, event: str, **payload: Any) -> Any:
        self.calls.append((meeting.pk, event, payload))
        return self.real(meeting, event, **payload)

    def link_changes(self, meeting: Meeting) -> list[list[int]]:
        return [p["occurrence_ids"] for pk, e, p in self.calls if pk == meeting.pk and e == "online_link_changed"]
