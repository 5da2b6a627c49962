"""The roll call (điểm danh) of a sitting, end to end: the online room's log folded into it
for the whole sitting, entries made by hand, and the attendance report (API and CSV).

- The online log (integrations.online: provider webhooks, personal-link clicks) is summed
  per person: several join/leave pairs (reconnections) add up; a person is matched to a
  roll-call row by e-mail (their own, or their substitute's), else by name (guests).
- Rows entered by the secretary or a scribe (source "manual") keep their status and reason
  whatever the webhooks say; the online minutes are still shown beside them (both sources).
- Every change is pushed to the open minutes pages through the minutes consumer's group.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from meetings import audit
from meetings.models import Attendee, Occurrence
from minutes.documents import MinutesError
from minutes.models import AttendanceRecord, Minutes

if TYPE_CHECKING:
    from accounts.models import User

Status, Source = AttendanceRecord.Status, AttendanceRecord.Source


def late_after() -> timedelta:
    return timedelta(minutes=int(getattr(settings, "MINUTES_LATE_AFTER_MINUTES", 10)))


def _fold(text: str) -> str:
    return " ".join((text or "").split()).casefold()


@dataclass
class Seen:
    """One person in the online room of a sitting, over all their sessions."""

    email: str
    name: str
    attendee_id: int | None = None
    seconds: float = 0
    sessions: int = 0
    first_joined_at: datetime | None = None
    last_left_at: datetime | None = None
    in_room: bool = False  # a session still open (joined, not yet left)

    @property
    def minutes(self) -> int:
        return int(self.seconds // 60)


def online_log(occurrence: Occurrence, now: datetime | None = None) -> list[Seen]:
    """The online room's log of the sitting, per person (empty without integrations.online)."""
    if not apps.is_installed("integrations.online"):
        return []
    log = apps.get_model("online", "Attendance")
    now = now or timezone.now()
    people: dict[str, Seen] = {}
    for row in log.objects.filter(occurrence=occurrence).select_related("attendee__user").order_by("joined_at", "id"):
        if row.attendee_id:
            email, name = row.attendee.email.lower(), row.attendee.display_name
        else:
            email, name = (row.guest_email or "").strip().lower(), row.guest_name
        key = email or f"name:{_fold(name)}"
        if key == "name:":
            continue
        seen = people.setdefault(key, Seen(email=email, name=name, attendee_id=row.attendee_id))
        if row.joined_at and (seen.first_joined_at is None or row.joined_at < seen.first_joined_at):
            seen.first_joined_at = row.joined_at
        if row.source != "provider":
            continue  # a personal-link click says who came in, not for how long
        seen.sessions += 1
        if row.joined_at and row.left_at:
            seen.seconds += max(0.0, (row.left_at - row.joined_at).total_seconds())
            seen.last_left_at = max(filter(None, [seen.last_left_at, row.left_at]))
        elif row.joined_at:
            seen.in_room = True
            seen.seconds += max(0.0, (min(now, occurrence.end + timedelta(hours=2)) - row.joined_at).total_seconds())
    return list(people.values())


def _index(rows: list[AttendanceRecord]) -> tuple[dict[str, AttendanceRecord], dict[str, AttendanceRecord]]:
    by_email: dict[str, AttendanceRecord] = {}
    by_name: dict[str, AttendanceRecord] = {}
    for r in rows:
        if r.email:
            by_email.setdefault(r.email.lower(), r)
        if r.substitute_user_id and r.substitute_user and r.substitute_user.email:
            by_email.setdefault(r.substitute_user.email.lower(), r)
        by_name.setdefault(_fold(r.name), r)
        if r.substitute_name:
            by_name.setdefault(_fold(r.substitute_name), r)
    return by_email, by_name


def match(seen: Seen, by_email: dict[str, AttendanceRecord], by_name: dict[str, AttendanceRecord]) -> AttendanceRecord | None:
    return (by_email.get(seen.email) if seen.email else None) or by_name.get(_fold(seen.name))


def sync_online(minutes: Minutes, *, announce: bool = True) -> int:
    """Fold the online log into the roll call. Returns how many rows changed."""
    if minutes.is_issued:
        return 0  # issued minutes are a record: they do not move any more
    changed = 0
    with transaction.atomic():
        Minutes.objects.select_for_update().filter(pk=minutes.pk).first()  # one sync at a time
        rows = list(minutes.attendance.select_related("substitute_user").select_for_update(of=("self",)))
        by_email, by_name = _index(rows)
        for seen in online_log(minutes.occurrence):
            row = match(seen, by_email, by_name)
            minutes_online = seen.minutes if seen.sessions else None
            if row is None:
                row = AttendanceRecord.objects.create(
                    minutes=minutes, name=seen.name or seen.email, email=seen.email, status=Status.PRESENT,
                    source=Source.ONLINE, online_minutes=minutes_online,
                )
                by_email[seen.email] = row
                by_name[_fold(row.name)] = row
                changed += 1
                continue
            fields = []
            if minutes_online is not None and row.online_minutes != minutes_online:
                row.online_minutes = minutes_online
                fields.append("online_minutes")
            # A row entered by hand keeps what the secretary wrote; a substitute row stays one.
            if row.source != Source.MANUAL and row.status not in (Status.PRESENT, Status.SUBSTITUTE):
                row.status, row.source, row.reason = Status.PRESENT, Source.ONLINE, ""
                fields += ["status", "source", "reason"]
            elif row.source == Source.INVITATION and row.status == Status.PRESENT:
                row.source = Source.ONLINE  # seen in the room: no longer only "as invited"
                fields.append("source")
            if fields:
                row.save(update_fields=fields)
                changed += 1
        if changed and announce:
            _push(minutes)
    return changed


def _push(minutes: Minutes) -> None:
    from minutes.actions import broadcast

    broadcast(minutes.pk, {"type": "changed", "what": "attendance"})


def on_online_attendance(sender: Any, occurrence_id: int, **kwargs: Any) -> None:
    """Receiver of integrations.online's attendance_changed: only sittings whose minutes
    exist (minutes opened later are pre-filled from the whole log anyway)."""
    minutes = Minutes.objects.select_related("occurrence").filter(occurrence_id=occurrence_id).first()
    if minutes is not None:
        sync_online(minutes)


# --- entries by hand ----------------------------------------------------------------------------


def _editable(minutes: Minutes) -> Minutes:
    locked = Minutes.objects.select_for_update().select_related("occurrence__meeting").get(pk=minutes.pk)
    if locked.is_issued:
        raise MinutesError("issued", _("Biên bản đã ban hành, không thể sửa điểm danh."), 409)
    return locked


def set_entry(actor: User, minutes: Minutes, record_id: int, status: str, *, reason: str = "", substitute: str = "") -> AttendanceRecord:
    """The secretary or a scribe records one person: present; absent (with a reason); or
    represented by a substitute (named). Never overwritten by the online room afterwards."""
    reason, substitute = (reason or "").strip()[:2000], (substitute or "").strip()[:200]
    if status not in {s.value for s in Status}:
        raise MinutesError("bad_status", _("Tình trạng điểm danh phải là: có mặt, vắng, vắng có lý do hoặc cử người dự thay."))
    if status == Status.EXCUSED and not reason:
        raise MinutesError("reason_required", _("Ghi lý do vắng."))
    if status == Status.SUBSTITUTE and not substitute:
        raise MinutesError("substitute_required", _("Ghi rõ người dự thay."))
    with transaction.atomic():
        locked = _editable(minutes)
        row = AttendanceRecord.objects.select_for_update().filter(pk=record_id, minutes=minutes).first()
        if row is None:
            raise MinutesError("not_found", _("Không có người này trong danh sách điểm danh."), 404)
        before = audit.snapshot(row)
        row.status = status
        row.reason = reason if status in (Status.ABSENT, Status.EXCUSED, Status.SUBSTITUTE) else ""
        row.substitute_name = substitute if status == Status.SUBSTITUTE else ""
        row.source = Source.MANUAL
        row.save(update_fields=["status", "reason", "substitute_name", "source"])
        # Roll-call writes are in the meeting's audit trail (D17), in the same transaction.
        audit.record(actor, "minutes.attendance_changed", row, before, audit.snapshot(row),
                     meeting_id=locked.occurrence.meeting_id)
        _push(minutes)
    return row


def set_unit_present(actor: User, minutes: Minutes, unit_id: int | None) -> int:
    """The whole delegation of a unit is there: every row of the unit that is not already
    present or represented becomes present (by hand). Returns how many rows changed."""
    with transaction.atomic():
        locked = _editable(minutes)
        rows = minutes.attendance.select_for_update().filter(unit_id=unit_id).exclude(
            status__in=[Status.PRESENT, Status.SUBSTITUTE])
        names = list(rows.values_list("name", flat=True))
        changed = rows.update(status=Status.PRESENT, reason="", source=Source.MANUAL)
        if changed:
            audit.record(actor, "minutes.attendance_unit_present", locked, None,
                         {"unit_id": unit_id, "present": names}, meeting_id=locked.occurrence.meeting_id)
            _push(minutes)
    return changed


def add_entry(actor: User, minutes: Minutes, who: str) -> AttendanceRecord:
    """Put an invited person who is not on the roll call yet (invited after the minutes were
    opened) on it. Someone not invited is refused with a sentence saying so."""
    who = (who or "").strip()
    if not who:
        raise MinutesError("empty", _("Nhập e-mail hoặc họ tên người cần điểm danh."))
    with transaction.atomic():
        locked = _editable(minutes)
        meeting = locked.occurrence.meeting
        invited = list(meeting.attendees.filter(is_active=True).select_related("user", "unit"))
        found = next((a for a in invited if a.email.lower() == who.lower()), None) or next(
            (a for a in invited if _fold(a.display_name) == _fold(who)), None)
        if found is None:
            raise MinutesError("not_invited", _(
                "%(who)s không có trong thành phần mời của cuộc họp này. Chỉ điểm danh người được mời; "
                "người dự họp trực tuyến ngoài danh sách được ghi tự động là khách.") % {"who": who}, 400)
        if locked.attendance.filter(email__iexact=found.email).exists():
            raise MinutesError("duplicate", _("%(who)s đã có trong danh sách điểm danh.") % {"who": found.display_name}, 409)
        row = AttendanceRecord.objects.create(
            minutes=locked, attendee=found, unit_id=found.unit_id, user_id=found.user_id, name=found.display_name,
            email=found.email, status=Status.ABSENT, source=Source.MANUAL,
        )
        audit.record(actor, "minutes.attendance_added", row, None, audit.snapshot(row),
                     meeting_id=meeting.pk)
        _push(minutes)
    return row


def missing(minutes: Minutes) -> list[Attendee]:
    """Invited people not on the roll call (offered when adding an entry)."""
    on_roll = {e.lower() for e in minutes.attendance.values_list("email", flat=True) if e}
    subs = set(minutes.attendance.exclude(substitute_user=None).values_list("substitute_user__email", flat=True))
    meeting = minutes.occurrence.meeting
    return [a for a in meeting.attendees.filter(is_active=True).select_related("user").order_by("name", "email")
            if a.email.lower() not in on_roll and a.email not in subs and not a.delegated_from_id]


# --- the report ----------------------------------------------------------------------------------


@dataclass
class Entry:
    name: str
    email: str
    unit: str
    unit_code: str
    invited: bool
    answer: str | None
    attendance: str  # present / late / absent
    roll_call: str  # the roll call's own status (present, absent, excused, substitute)
    reason: str
    substitute: str
    online_minutes: int | None
    first_joined_at: datetime | None
    sessions: int
    source: str  # who set the roll-call status: invitation / online / manual
    sources: list[str] = field(default_factory=list)


def report(occurrence: Occurrence) -> list[Entry]:
    """Everyone invited to the sitting or seen in its online room, with their answer and
    whether they were there (present, late, absent), from the roll call when the minutes
    exist and from the invitation answers and the online log otherwise."""
    from integrations.calendar.models import OccurrenceResponse

    meeting = occurrence.meeting
    attendees = {a.email.lower(): a for a in meeting.attendees.select_related("unit", "user")}
    per_sitting = dict(OccurrenceResponse.objects.filter(occurrence=occurrence).values_list("attendee_id", "rsvp"))
    minutes = Minutes.objects.filter(occurrence=occurrence).first()
    if minutes is not None:
        rows = list(minutes.attendance.select_related("unit", "substitute_user"))
    else:
        from minutes.actions import prefill_rows

        rows = prefill_rows(occurrence)
    by_email, by_name = _index(rows)
    seen_of: dict[int, Seen] = {}
    extra: list[Seen] = []
    for seen in online_log(occurrence):
        row = match(seen, by_email, by_name)
        if row is None:
            extra.append(seen)
        else:
            seen_of[id(row)] = seen
    start = occurrence.actual_start or occurrence.start
    entries = []

    def state(status: str, source: str, seen: Seen | None) -> str:
        if source == Source.MANUAL and status != Status.PRESENT:
            return "absent"
        if seen is not None and seen.first_joined_at is not None:
            return "late" if seen.first_joined_at > start + late_after() else "present"
        return "present" if status == Status.PRESENT else "absent"

    for r in rows:
        seen = seen_of.get(id(r))
        a = attendees.get((r.email or "").lower())
        answer = (per_sitting.get(a.pk) or a.rsvp) if a is not None else None
        sources = [r.source] + (["online"] if seen is not None and r.source != Source.ONLINE else [])
        entries.append(Entry(
            name=r.name, email=r.email, unit=str(r.unit) if r.unit_id and r.unit else "",
            unit_code=r.unit.code if r.unit_id and r.unit else "", invited=a is not None and a.is_active,
            answer=answer, attendance=state(r.status, r.source, seen), roll_call=r.status, reason=r.reason,
            substitute=r.substitute_name, online_minutes=(seen.minutes if seen and seen.sessions else r.online_minutes),
            first_joined_at=seen.first_joined_at if seen else None, sessions=seen.sessions if seen else 0,
            source=r.source, sources=sources,
        ))
    for seen in extra:
        a = attendees.get(seen.email) if seen.email else None
        entries.append(Entry(
            name=seen.name or seen.email, email=seen.email, unit=str(a.unit) if a and a.unit else "",
            unit_code=a.unit.code if a and a.unit else "", invited=bool(a and a.is_active), answer=a.rsvp if a else None,
            attendance=state(Status.PRESENT, Source.ONLINE, seen), roll_call=Status.PRESENT, reason="", substitute="",
            online_minutes=seen.minutes if seen.sessions else None, first_joined_at=seen.first_joined_at,
            sessions=seen.sessions, source=Source.ONLINE, sources=[Source.ONLINE],
        ))
    entries.sort(key=lambda e: (e.unit == "", e.unit, e.name.casefold()))
    return entries
