"""Named writes on minutes. Each runs in one transaction and tells the open editors after commit."""

from __future__ import annotations

import asyncio
import difflib
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from meetings import audit
from meetings.models import Attendee, Membership, Occurrence, Unit
from meetings.workdays import conclusion_deadline
from minutes import documents
from minutes.documents import MinutesError, b64
from minutes.models import ActionItem, AttendanceRecord, Conclusion, Minutes, Revision, Section

if TYPE_CHECKING:
    from accounts.models import User

_NUMBERING = re.compile(r"^\s*(?:[-*•+]|\d+[.)]|[IVXLC]+[.)]|[a-zđ][.)])\s*", re.IGNORECASE)
DEFAULT_SECTION = "Nội dung cuộc họp"


def group_name(minutes_id: int) -> str:
    return f"minutes.{minutes_id}"


def broadcast(minutes_id: int, message: dict[str, Any]) -> None:
    """Send to every open editor of these minutes once the transaction commits."""

    def run() -> None:
        layer = get_channel_layer()
        if layer is not None:
            room = group_name(minutes_id)
            async_to_sync(layer.group_send)(room, {"type": "minutes.event", "room": room, "event": message})

    def send() -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            run()
            return
        # A thread running an event loop (a test driving a browser) may not call async_to_sync.
        helper = threading.Thread(target=run, name="minutes-broadcast")
        helper.start()
        helper.join()

    transaction.on_commit(send)


def agenda_items(agenda: str) -> list[str]:
    """Agenda text → item titles: one per non-empty line, list numbering stripped."""
    items = [_NUMBERING.sub("", line).strip() for line in agenda.splitlines()]
    return [item[:300] for item in items if item] or [DEFAULT_SECTION]


# --- Creation and attendance -------------------------------------------------------------


def minutes_due_date(occurrence: Occurrence) -> date:
    """QĐ 45/2018: the conclusion notice is due 5 working days after the sitting."""
    return conclusion_deadline(timezone.localtime(occurrence.start).date())


def ensure_minutes(occurrence: Occurrence) -> Minutes:
    """The occurrence's minutes, created on first use with sections and attendance pre-filled."""
    existing = Minutes.objects.filter(occurrence=occurrence).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            minutes = Minutes.objects.create(occurrence=occurrence, due_date=minutes_due_date(occurrence))
            Section.objects.bulk_create(
                Section(minutes=minutes, position=i, title=title)
                for i, title in enumerate(agenda_items(occurrence.meeting.agenda))
            )
            prefill_attendance(minutes)
    except IntegrityError:  # someone else created it at the same moment
        return Minutes.objects.get(occurrence=occurrence)
    return minutes


def _unit_of(attendee: Attendee) -> int | None:
    if attendee.unit_id:
        return attendee.unit_id
    if attendee.user_id:
        return (
            Membership.objects.filter(user_id=attendee.user_id, unit__is_active=True)
            .order_by("unit__parent_id", "unit_id")
            .values_list("unit_id", flat=True)
            .first()
        )
    return None


def prefill_rows(occurrence: Occurrence, minutes: Minutes | None = None) -> list[AttendanceRecord]:
    """One (unsaved) row per invited person, from their answer; delegates appear as substitutes."""
    Rsvp, Status = Attendee.Rsvp, AttendanceRecord.Status
    attendees = list(
        Attendee.objects.filter(meeting_id=occurrence.meeting_id, is_active=True).select_related("user", "unit")
    )
    delegates = {a.delegated_from_id: a for a in attendees if a.delegated_from_id}
    rows = []
    for att in attendees:
        if att.delegated_from_id and att.delegated_from_id in {a.pk for a in attendees}:
            continue  # shown on the row of the person they replace
        row = AttendanceRecord(
            minutes=minutes, attendee=att, unit_id=_unit_of(att), user_id=att.user_id,
            name=att.display_name, email=att.email, source=AttendanceRecord.Source.INVITATION,
        )
        if att.rsvp == Rsvp.ACCEPTED:
            row.status = Status.PRESENT
        elif att.rsvp == Rsvp.DECLINED:
            row.status, row.reason = Status.EXCUSED, att.rsvp_comment
        elif att.rsvp == Rsvp.DELEGATED or att.pk in delegates:
            row.status = Status.SUBSTITUTE
            if att.pk in delegates:
                sub = delegates[att.pk]
                row.substitute_name, row.substitute_user_id = sub.display_name, sub.user_id
                row.substitute_user = sub.user
            row.reason = att.rsvp_comment
        else:
            row.status = Status.ABSENT
        rows.append(row)
    return rows


def prefill_attendance(minutes: Minutes) -> None:
    """The roll call as the minutes open: invitation answers, then the online room's log."""
    from minutes import rollcall

    AttendanceRecord.objects.bulk_create(prefill_rows(minutes.occurrence, minutes))
    rollcall.sync_online(minutes, announce=False)


@dataclass
class OnlineParticipant:
    email: str
    name: str = ""
    minutes: int | None = None


def online_attendance(occurrence: Occurrence) -> list[OnlineParticipant]:
    """Who the online room saw in this sitting, from integrations.online's attendance log
    (provider webhooks and personal join links), summed per person. Empty without that app."""
    from django.apps import apps

    try:
        log = apps.get_model("online", "Attendance")
    except LookupError:
        return []
    people: dict[str, OnlineParticipant] = {}
    for row in log.objects.filter(occurrence=occurrence).select_related("attendee"):
        email = (row.attendee.email if row.attendee_id else row.guest_email or "").strip().lower()
        if not email:
            continue
        name = row.attendee.display_name if row.attendee_id else row.guest_name
        p = people.setdefault(email, OnlineParticipant(email=email, name=name))
        if row.joined_at and row.left_at:
            p.minutes = (p.minutes or 0) + max(0, int((row.left_at - row.joined_at).total_seconds() // 60))
    return list(people.values())


def apply_online_attendance(minutes: Minutes, participants: Iterable[OnlineParticipant]) -> int:
    """Mark people the provider saw as present (online); add walk-ins. Returns rows changed."""
    changed = 0
    for p in participants:
        email = p.email.strip().lower()
        row = AttendanceRecord.objects.filter(minutes=minutes, email__iexact=email).first()
        if row is None:
            AttendanceRecord.objects.create(
                minutes=minutes, name=p.name or email, email=email, status=AttendanceRecord.Status.PRESENT,
                source=AttendanceRecord.Source.ONLINE, online_minutes=p.minutes,
            )
            changed += 1
        elif row.status in (AttendanceRecord.Status.ABSENT, AttendanceRecord.Status.EXCUSED) or p.minutes:
            row.status, row.source, row.online_minutes = (
                AttendanceRecord.Status.PRESENT, AttendanceRecord.Source.ONLINE, p.minutes)
            row.save(update_fields=["status", "source", "online_minutes"])
            changed += 1
    return changed


def _audit(actor: Any, action: str, obj: Any, minutes: Minutes, after: dict[str, Any] | None = None,
           before: dict[str, Any] | None = None) -> None:
    """Minutes writes go into the meeting's audit trail (D17), in the same transaction."""
    meeting_id = Occurrence.objects.filter(pk=minutes.occurrence_id).values_list("meeting_id", flat=True).first()
    audit.record(actor, action, obj, before, after if after is not None else audit.snapshot(obj), meeting_id=meeting_id)


def _draft(minutes: Minutes) -> Minutes:
    locked = Minutes.objects.select_for_update().get(pk=minutes.pk)
    if locked.is_locked:
        raise documents.locked_error(locked)
    return locked


def set_attendance(actor: User, minutes: Minutes, record_id: int, data: dict[str, Any]) -> AttendanceRecord:
    """JSON form of the roll call entry (minutes.rollcall.set_entry)."""
    from minutes import rollcall

    return rollcall.set_entry(
        actor, minutes, record_id, str(data.get("status") or ""),
        reason=str(data.get("reason") or ""), substitute=str(data.get("substitute_name") or ""),
    )


# --- Conclusions and action items --------------------------------------------------------


def add_conclusion(actor: User, minutes: Minutes, text: str, is_decision: bool = False) -> Conclusion:
    text = (text or "").strip()
    if not text:
        raise MinutesError("empty", "Nội dung kết luận không được để trống.")
    with transaction.atomic():
        _draft(minutes)
        number = (minutes.conclusions.aggregate(n=Max("number"))["n"] or 0) + 1
        item = Conclusion.objects.create(
            minutes=minutes, number=number, text=text[:10000], is_decision=is_decision, created_by=actor)
        _audit(actor, "minutes.conclusion_added", item, minutes)
        broadcast(minutes.pk, {"type": "changed", "what": "conclusions"})
    return item


def _id(value: Any) -> int:
    text = str(value).strip()
    return int(text) if text.isdigit() and len(text) < 19 else 0


def _owner(minutes: Minutes, data: dict[str, Any]) -> tuple[Any, Unit | None, Unit | None]:
    from accounts.models import User

    user = unit = None
    # Ids arrive as JSON: anything but a whole number is "not found", never a 500 (D17).
    if data.get("owner_user"):
        user = User.objects.filter(pk=_id(data["owner_user"]), is_active=True).first()
        if user is None:
            raise MinutesError("bad_owner", "Không tìm thấy người được giao việc.")
    if data.get("owner_unit"):
        unit = Unit.objects.filter(pk=_id(data["owner_unit"]), is_active=True).first()
        if unit is None:
            raise MinutesError("bad_owner", "Không tìm thấy đơn vị được giao việc.")
    if user is None and unit is None:
        raise MinutesError("owner_required", "Giao việc cho một người hoặc một đơn vị.")
    carried = unit
    if carried is None:
        row = AttendanceRecord.objects.filter(minutes=minutes, user=user).exclude(unit=None).first()
        carried_id = row.unit_id if row else (
            Membership.objects.filter(user=user).order_by("unit__parent_id").values_list("unit_id", flat=True).first())
        carried = Unit.objects.filter(pk=carried_id).first() if carried_id else None
    return user, unit, carried


def _due(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise MinutesError("bad_date", "Hạn hoàn thành phải có dạng YYYY-MM-DD.") from None


def add_action_item(actor: User, minutes: Minutes, data: dict[str, Any]) -> ActionItem:
    what = str(data.get("what") or "").strip()
    if not what:
        raise MinutesError("empty", "Ghi rõ nội dung công việc.")
    user, unit, carried = _owner(minutes, data)
    due = _due(data.get("due_date"))
    with transaction.atomic():
        _draft(minutes)
        number = (minutes.action_items.aggregate(n=Max("number"))["n"] or 0) + 1
        item = ActionItem.objects.create(
            minutes=minutes, number=number, what=what[:5000], owner_user=user, owner_unit=unit,
            unit=carried, due_date=due, created_by=actor)
        _audit(actor, "minutes.action_item_added", item, minutes)
        broadcast(minutes.pk, {"type": "changed", "what": "action_items"})
    return item


def set_action_status(actor: User, item: ActionItem, status: str) -> ActionItem:
    """Open/done may change after the minutes are issued: follow-up is not part of the text."""
    if status not in (ActionItem.Status.OPEN, ActionItem.Status.DONE):
        raise MinutesError("bad_status", "Trạng thái công việc phải là open hoặc done.")
    with transaction.atomic():
        item = ActionItem.objects.select_for_update().select_related("minutes").get(pk=item.pk)
        before = {"status": item.status}
        item.status = status
        item.done_at = timezone.now() if status == ActionItem.Status.DONE else None
        item.save(update_fields=["status", "done_at"])
        _audit(actor, "minutes.action_status_changed", item, item.minutes, {"status": status}, before)
        broadcast(item.minutes_id, {"type": "changed", "what": "action_items"})
    return item


# --- Status, revisions, restore -----------------------------------------------------------


def issue_minutes(actor: User, minutes: Minutes) -> Minutes:
    """approved → issued; the sign-off workflow (draft → submitted → approved) is in
    minutes/workflow.py, which this delegates to."""
    from minutes import workflow

    return workflow.issue(actor, minutes)


def save_revision(actor: User, minutes: Minutes) -> Revision:
    with transaction.atomic():
        revision = documents.cut_revision(_draft(minutes), Revision.Reason.MANUAL, actor)
        _audit(actor, "minutes.revision_saved", minutes, minutes, {"revision": revision.number})
        return revision


def diff_revisions(a: Revision, b: Revision) -> list[dict[str, Any]]:
    """Per section: unified diff of the readable text from revision a to revision b."""
    out = []
    keys = list(dict.fromkeys([*a.content.keys(), *b.content.keys()]))
    for key in keys:
        old, new = a.content.get(key, {}), b.content.get(key, {})
        lines = list(difflib.unified_diff(
            (old.get("text") or "").splitlines(), (new.get("text") or "").splitlines(),
            fromfile=f"#{a.number}", tofile=f"#{b.number}", lineterm="", n=2))
        out.append({"section": int(key), "title": new.get("title") or old.get("title", ""),
                    "changed": bool(lines), "diff": "\n".join(lines)})
    return out


def restore_revision(actor: User, minutes: Minutes, revision: Revision) -> Revision:
    """Bring the text back as a new edit: concurrent typing merges, nothing is discarded
    (the current text is kept as a "before restore" revision)."""
    with transaction.atomic():
        locked = _draft(minutes)
        documents.cut_revision(locked, Revision.Reason.BEFORE_RESTORE, actor)
        sections = {s.pk: s for s in Section.objects.select_for_update().filter(minutes=locked)}
        for key, saved in revision.content.items():
            section = sections.get(int(key))
            if section is None:
                continue
            update = documents.replace_text(section, saved.get("text", ""), actor)
            if update:
                broadcast(locked.pk, {"type": "update", "section": section.pk, "update": b64(update),
                                      "origin": None, "author": actor.full_name, "version": section.version})
        after = documents.cut_revision(locked, Revision.Reason.RESTORE, actor)
        _audit(actor, "minutes.restored", locked, locked, {"restored": revision.number, "revision": after.number})
    return after


def add_section(actor: User, minutes: Minutes, title: str) -> Section:
    title = (title or "").strip()[:300]
    if not title:
        raise MinutesError("empty", "Ghi tên mục.")
    with transaction.atomic():
        _draft(minutes)
        position = (minutes.sections.aggregate(n=Max("position"))["n"] or 0) + 1
        section = Section.objects.create(minutes=minutes, position=position, title=title)
        _audit(actor, "minutes.section_added", section, minutes, {"title": title})
        broadcast(minutes.pk, {"type": "section_added", "section": {"id": section.pk, "title": title, "state": ""}})
    return section
