"""The frozen content of an issued document: built once at approval from the live minutes,
hashed (SHA-256 of canonical JSON) and rendered to PDF/DOCX from that snapshot only, so the
printed, signed and searched text is exactly what the chair approved."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from meetings.models import Unit
from minutes.models import ActionItem, AttendanceRecord, Minutes

STATUS_NOTE = {
    AttendanceRecord.Status.PRESENT: "có mặt",
    AttendanceRecord.Status.ABSENT: "vắng",
    AttendanceRecord.Status.EXCUSED: "vắng có lý do",
    AttendanceRecord.Status.SUBSTITUTE: "cử người dự thay",
}


def canonical(content: dict[str, Any]) -> bytes:
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def sha256(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(content)).hexdigest()


def unit_symbol(unit: Unit) -> str:
    """The issuing unit's part of the code (ký hiệu): "bvdk" → "BVDK", "ttyt-tp" → "TTYTTP"."""
    return re.sub(r"[^A-Z0-9]", "", unit.code.upper()) or f"DV{unit.pk}"


def document_code(number: int, unit: Unit) -> str:
    return f"{number}/BB-{unit_symbol(unit)}"


def _attendance(minutes: Minutes) -> list[dict[str, Any]]:
    groups: dict[str, list[dict[str, str]]] = {}
    rows = minutes.attendance.select_related("unit").order_by(F("unit__name").asc(nulls_last=True), "name", "id")
    for r in rows:
        note = STATUS_NOTE.get(r.status, r.status)
        if r.status == AttendanceRecord.Status.SUBSTITUTE and r.substitute_name:
            note = f"cử {r.substitute_name} dự thay"
        if r.reason and r.status != AttendanceRecord.Status.PRESENT:
            note += f" ({r.reason})"
        groups.setdefault(str(r.unit.name) if r.unit_id else "Khách mời", []).append({"name": r.name, "note": note})
    return [{"unit": unit, "people": people} for unit, people in groups.items()]


def _owner(item: ActionItem) -> str:
    parts = [item.owner_user.full_name if item.owner_user_id else "", item.owner_unit.name if item.owner_unit_id else ""]
    return " – ".join(p for p in parts if p)


def build(minutes: Minutes, *, number: int, year: int, issued_on: date, supersedes: Any = None) -> dict[str, Any]:
    occurrence = minutes.occurrence
    meeting = occurrence.meeting
    unit = meeting.organizing_unit
    chair = meeting.chair
    rooms = [f"{b.room.name} ({b.room.unit.short_name})" for b in occurrence.bookings.select_related("room__unit")
             if b.status == "confirmed"]
    attendance = _attendance(minutes)
    recipients = [f"{g['unit']};" for g in attendance if g["unit"] != "Khách mời" and g["unit"] != unit.name]
    recipients.append(f"Lưu: VT, {unit.short_name}.")
    return {
        "format": 1,
        "authority": unit.parent.name if unit.parent_id else "",
        "unit": unit.name,
        "unit_short": unit.short_name,
        "number": number,
        "year": year,
        "code": document_code(number, unit),
        "place": settings.ARCHIVE_PLACE,
        "date": issued_on.isoformat(),
        "title": meeting.title,
        "meeting": {
            "start": timezone.localtime(occurrence.start).isoformat(),
            "end": timezone.localtime(occurrence.end).isoformat(),
            "mode": meeting.get_mode_display(),
            "rooms": rooms,
            "chair": chair.full_name if chair else "",
        },
        "attendance": attendance,
        "sections": [{"title": s.title, "text": s.text} for s in minutes.sections.order_by("position", "id")],
        "conclusions": [
            {"number": c.number, "text": c.text, "is_decision": c.is_decision}
            for c in minutes.conclusions.order_by("number")
        ],
        "action_items": [
            {"number": a.number, "what": a.what, "owner": _owner(a),
             "due_date": a.due_date.isoformat() if a.due_date else None}
            for a in minutes.action_items.select_related("owner_user", "owner_unit").order_by("number")
        ],
        "signer": {
            "name": chair.full_name if chair else "",
            "title": (chair.title or "Chủ trì cuộc họp") if chair else "",
            "capacity": "CHỦ TRÌ CUỘC HỌP",
        },
        "recipients": recipients,
        "supersedes": (
            {"code": supersedes.code, "date": supersedes.content.get("date"), "reason": minutes.correction_reason}
            if supersedes is not None else None
        ),
    }


def search_text(content: dict[str, Any]) -> str:
    """What the archive searches: title, discussion, conclusions, action items."""
    parts = [content.get("title", "")]
    parts += [f"{s['title']}\n{s['text']}" for s in content.get("sections", [])]
    parts += [c["text"] for c in content.get("conclusions", [])]
    parts += [a["what"] for a in content.get("action_items", [])]
    return "\n".join(p for p in parts if p)
