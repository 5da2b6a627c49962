"""What attendees were told, and what changed since: one e-mail per person per real change.

A snapshot is what a meeting's invitation says (titles, times of every sitting, places,
online details). Each planned batch of messages is a `Version` holding the snapshot, so the
next event is compared with what people actually hold: an identical change (a double
submit, a retried request, a room approval that names the room already listed) finds no
difference and sends nothing, and an update can say what changed ("Buổi họp 15/12 dời
sang 14:00 ngày 16/12", "Đổi phòng: …", "Hủy buổi 22/12: <lý do>").
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from integrations.calendar import ical
from meetings.formatting import vn_day_month, vn_time_on_day

# Kinds of change whose messages need a new SEQUENCE (see meetings.actions.sequence).
SIGNIFICANT = {"moved", "cancelled", "added", "room", "online", "split"}
MAX_LINES = 6


def _iso(dt: datetime) -> str:
    return ical.local(dt).isoformat()


def snapshot(data: ical.MeetingData) -> dict[str, Any]:
    """What the series invitation tells attendees (JSON-serialisable, compared as a whole)."""
    m = data.meeting
    sittings = {}
    for o in data.occurrences:
        sittings[str(o.pk)] = {
            "rid": _iso(o.recurrence_id), "start": _iso(o.start), "end": _iso(o.end),
            "cancelled": o.is_cancelled, "location": data.location(o),
        }
    online: dict[str, Any] = {}
    if m.is_online:
        online["0"] = data.online(None)
        for o in data.occurrences:
            if o.is_exception and not o.is_cancelled:
                online[str(o.pk)] = data.online(o)
    return {
        "title": m.title,
        "agenda": "" if data.confidential else m.agenda.strip(),
        "chair": m.chair.full_name if m.chair_id and m.chair else "",
        "rrule": m.rrule,
        "location": data.location(),
        "online": online,
        "sittings": sittings,
    }


def diff(old: dict[str, Any], new: dict[str, Any], reason: str = "") -> list[dict[str, Any]]:
    """The changes from `old` to `new`, in the order a reader wants them."""
    changes: list[dict[str, Any]] = []
    if old.get("title") != new.get("title"):
        changes.append({"k": "title", "old": old.get("title", ""), "new": new.get("title", "")})
    before, after = old.get("sittings", {}), new.get("sittings", {})
    rooms: list[dict[str, Any]] = []
    for pk, n in after.items():
        o = before.get(pk)
        if o is None or (o["cancelled"] and not n["cancelled"]):
            if not n["cancelled"]:
                changes.append({"k": "added", "at": n["start"], "pk": pk})
            continue
        if n["cancelled"]:
            if not o["cancelled"]:
                changes.append({"k": "cancelled", "at": o["start"], "reason": reason, "pk": pk})
            continue
        if (o["start"], o["end"]) != (n["start"], n["end"]):
            changes.append({"k": "moved", "old": o["start"], "new": n["start"], "new_end": n["end"], "pk": pk})
        if o["location"] != n["location"]:
            rooms.append({"k": "room", "old": o["location"], "new": n["location"], "at": n["start"], "pk": pk})
    for pk, o in before.items():
        if pk not in after and not o["cancelled"]:
            changes.append({"k": "cancelled", "at": o["start"], "reason": reason, "pk": pk})
    changes = _fold_moves(changes)
    if rooms:
        # Every sitting in the same new place: one line for the series.
        live = sum(1 for n in after.values() if not n["cancelled"])
        if len({(r["old"], r["new"]) for r in rooms}) == 1 and (len(rooms) > 1 or live == 1):
            changes.append({"k": "room", "old": rooms[0]["old"], "new": rooms[0]["new"], "at": None})
        else:
            changes.extend(rooms)
    if old.get("online") != new.get("online"):
        changes.append({"k": "online"})
    if old.get("chair") != new.get("chair"):
        changes.append({"k": "chair", "old": old.get("chair", ""), "new": new.get("chair", "")})
    if old.get("agenda") != new.get("agenda"):
        changes.append({"k": "agenda"})
    return changes


def _fold_moves(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A series moved as a whole: one line ("… and N more sittings moved the same way")."""
    moves = [c for c in changes if c["k"] == "moved"]
    if len(moves) < 3:
        return changes
    delta = {datetime.fromisoformat(c["new"]) - datetime.fromisoformat(c["old"]) for c in moves}
    if len(delta) != 1:
        return changes
    first = min(moves, key=lambda c: c["old"])
    rest = [c for c in changes if c["k"] != "moved"]
    return [{**first, "more": len(moves) - 1}, *rest]


def significant(changes: list[dict[str, Any]]) -> bool:
    return any(c["k"] in SIGNIFICANT for c in changes)


def only_sittings(changes: list[dict[str, Any]], pks: set[str]) -> bool:
    """True when every change concerns the given sittings alone (a per-sitting message)."""
    return bool(changes) and all(c.get("pk") in pks and c.get("at", "") is not None for c in changes)


def next_stamp(previous: datetime | None) -> datetime:
    """DTSTAMP of a new version: now, but at least a second after the previous version's."""
    stamp = ical.now_stamp()
    if previous is not None and stamp <= previous:
        stamp = previous + timedelta(seconds=1)
    return stamp


def _when(iso: str) -> datetime:
    return timezone.localtime(datetime.fromisoformat(iso))


def lines(changes: list[dict[str, Any]], lang: str = "vi") -> list[str]:
    """The changes as sentences for an e-mail, in the reader's language."""
    out: list[str] = []
    with translation.override(lang):
        for c in changes:
            k = c["k"]
            if k == "moved":
                line = _("Buổi họp %(old)s dời sang %(new)s") % {
                    "old": vn_day_month(_when(c["old"])), "new": vn_time_on_day(_when(c["new"]), lang)}
                if c.get("more"):
                    line += "; " + _("%(n)s buổi sau cũng dời như vậy") % {"n": c["more"]}
                out.append(line)
            elif k == "cancelled":
                day = vn_day_month(_when(c["at"]))
                out.append(_("Hủy buổi %(d)s: %(r)s") % {"d": day, "r": c["reason"]} if c.get("reason")
                           else _("Hủy buổi %(d)s") % {"d": day})
            elif k == "added":
                out.append(_("Thêm buổi họp %(d)s") % {"d": vn_time_on_day(_when(c["at"]), lang)})
            elif k == "room":
                new = c["new"] or _("(chưa có phòng)")
                if c.get("at"):
                    out.append(_("Đổi phòng buổi %(d)s: %(new)s (trước đây: %(old)s)") % {
                        "d": vn_day_month(_when(c["at"])), "new": new, "old": c["old"] or "—"})
                else:
                    out.append(_("Đổi phòng: %(new)s (trước đây: %(old)s)") % {"new": new, "old": c["old"] or "—"})
            elif k == "title":
                out.append(_("Đổi tên cuộc họp: %(new)s (trước đây: %(old)s)") % {"new": c["new"], "old": c["old"]})
            elif k == "online":
                out.append(_("Cập nhật thông tin họp trực tuyến (đường dẫn, số gọi vào, mật khẩu)"))
            elif k == "chair":
                out.append(_("Đổi người chủ trì: %(new)s") % {"new": c["new"] or "—"})
            elif k == "agenda":
                out.append(_("Cập nhật chương trình họp"))
            elif k == "split":
                out.append(_("Từ buổi %(d)s, các buổi họp thuộc một chuỗi mới (có giấy mời riêng)") % {
                    "d": vn_day_month(_when(c["at"]))})
            elif k == "cancelled_all":
                out.append(_("Hủy cuộc họp: %(r)s") % {"r": c["reason"]} if c.get("reason") else _("Hủy cuộc họp"))
    if len(out) > MAX_LINES:
        rest = len(out) - (MAX_LINES - 1)
        with translation.override(lang):
            out = [*out[:MAX_LINES - 1], _("… và %(n)s thay đổi khác") % {"n": rest}]
    return out
