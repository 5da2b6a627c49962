"""A model of an attendee's calendar applying iTIP (RFC 5546 §2.1.4–2.1.5, §3.2), strict
the way Google Calendar and Thunderbird are:

- the store is keyed by UID and RECURRENCE-ID;
- REQUEST, CANCEL and ADD are applied in the order they arrive;
- a message is ignored unless it is newer than everything held for its UID: a higher
  SEQUENCE, or the same SEQUENCE with a later DTSTAMP (ties go to DTSTAMP; equal is stale);
- a series REQUEST (with the master) replaces every component held for the UID; a REQUEST
  of overrides alone replaces those sittings; a CANCEL with RECURRENCE-ID cancels that
  sitting, without it the whole event; ADD adds instances.

Every message is parsed twice, with icalendar and with ical.js (node), and both readings
must agree before the client applies it. `expanded()` is what the calendar shows.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dateutil.rrule import rruleset, rrulestr
from icalendar import Calendar

from integrations.calendar.tests.checks import JS, node_available

LINK = re.compile(r"^Tham gia trực tuyến: (\S+)$", re.M)
DIAL = re.compile(r"^Số gọi vào: (.+)$", re.M)
CODE = re.compile(r"^Mật khẩu: (.+)$", re.M)


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@dataclass(frozen=True)
class Component:
    uid: str
    rid: str | None
    sequence: int
    stamp: str
    start: str
    end: str
    summary: str
    location: str
    description: str
    status: str
    instances: tuple[str, ...] = ()

    @property
    def version(self) -> tuple[int, str]:
        return (self.sequence, self.stamp)


@dataclass(frozen=True)
class Message:
    method: str
    components: tuple[Component, ...]

    @property
    def uid(self) -> str:
        return self.components[0].uid


@dataclass(frozen=True, order=True)
class Instance:
    """One entry of the expanded calendar, as the attendee sees it."""

    start: str
    end: str
    uid: str
    title: str
    location: str
    link: tuple[str, str, str] | None
    status: str = "CONFIRMED"


def link_of(description: str) -> tuple[str, str, str] | None:
    url = LINK.search(description)
    if not url:
        return None
    dial, code = DIAL.search(description), CODE.search(description)
    return (url.group(1), dial.group(1).strip() if dial else "", code.group(1).strip() if code else "")


# --- parsing --------------------------------------------------------------------------------


def read_icalendar(raw: bytes) -> Message:
    cal = Calendar.from_ical(raw)
    comps = []
    for ev in cal.walk("VEVENT"):
        start, end = ev.decoded("DTSTART"), ev.decoded("DTEND")
        rid = ev.decoded("RECURRENCE-ID") if "RECURRENCE-ID" in ev else None
        instances: tuple[str, ...] = ()
        if rid is None:
            if "RRULE" in ev:
                rules = rruleset()
                rules.rrule(rrulestr(ev["RRULE"].to_ical().decode(), dtstart=start))
                exd = ev.get("EXDATE")
                for group in exd if isinstance(exd, list) else ([exd] if exd is not None else []):
                    for d in group.dts:
                        rules.exdate(d.dt)
                instances = tuple(_iso(d) for d in list(rules)[:600])
            else:
                instances = (_iso(start),)
        comps.append(Component(
            uid=str(ev["UID"]), rid=_iso(rid) if rid is not None else None, sequence=int(ev.get("SEQUENCE", 0)),
            stamp=_iso(ev.decoded("DTSTAMP")), start=_iso(start), end=_iso(end), summary=str(ev.get("SUMMARY", "")),
            location=str(ev.get("LOCATION", "")), description=str(ev.get("DESCRIPTION", "")),
            status=str(ev.get("STATUS", "")), instances=instances,
        ))
    return Message(str(cal["METHOD"]), tuple(comps))


def read_icaljs(raws: list[bytes]) -> list[Message]:
    """Parse every message with ical.js in one node process."""
    if not node_available():
        pytest.skip("node or ical.js missing (run `make icaljs`)")
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, raw in enumerate(raws):
            path = Path(tmp) / f"{i}.ics"
            path.write_bytes(raw)
            paths.append(str(path))
        out = subprocess.run(["node", str(JS / "itip.mjs"), *paths], capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    return [
        Message(m["method"], tuple(Component(**{**c, "instances": tuple(c["instances"])}) for c in m["components"]))
        for m in json.loads(out.stdout)
    ]


def read_all(raws: list[bytes]) -> list[Message]:
    """icalendar's and ical.js's readings of each message, which must be the same."""
    if not raws:
        return []
    ours = [read_icalendar(r) for r in raws]
    theirs = read_icaljs(raws)
    for a, b in zip(ours, theirs, strict=True):
        assert a == b, f"icalendar and ical.js read a message differently:\n{a}\n{b}"
    return ours


# --- the client -----------------------------------------------------------------------------


@dataclass
class CalendarClient:
    email: str
    store: dict[str, dict[str | None, Component]] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)

    def held(self, uid: str) -> tuple[int, str] | None:
        comps = self.store.get(uid)
        return max(c.version for c in comps.values()) if comps else None

    def receive(self, msg: Message) -> bool:
        """Apply one message; False (and a log line) when it is ignored as stale."""
        uid = msg.uid
        assert all(c.uid == uid for c in msg.components), "one UID per iTIP message"
        newest = max(c.version for c in msg.components)
        held = self.held(uid)
        if held is not None and newest <= held:
            self.log.append(f"ignored {msg.method} {uid} seq {newest[0]} (holding {held[0]})")
            return False
        comps = self.store.setdefault(uid, {})
        master = any(c.rid is None for c in msg.components)
        if msg.method == "REQUEST":
            if master:
                comps.clear()  # a series REQUEST carries the whole event
            for c in msg.components:
                comps[c.rid] = c
        elif msg.method == "CANCEL":
            for c in msg.components:
                if c.rid is None:
                    comps.clear()
                comps[c.rid] = replace(c, status="CANCELLED")
        elif msg.method == "ADD":
            for c in msg.components:
                comps[c.rid or c.start] = c
        else:
            raise AssertionError(f"unexpected METHOD {msg.method}")
        self.log.append(f"applied {msg.method} {uid} seq {newest[0]}")
        return True

    def expanded(self) -> list[Instance]:
        """The instances the calendar shows (cancelled ones are gone)."""
        out: list[Instance] = []
        for uid, comps in self.store.items():
            master = comps.get(None)
            if master is not None and master.status == "CANCELLED":
                continue
            shown: dict[str, Instance] = {}
            if master is not None:
                length = datetime.fromisoformat(master.end) - datetime.fromisoformat(master.start)
                for s in master.instances:
                    end = _iso(datetime.fromisoformat(s) + length)
                    shown[s] = Instance(s, end, uid, master.summary, master.location, link_of(master.description))
            for rid, c in comps.items():
                if rid is None:
                    continue
                if master is not None and rid not in shown and c.status != "CANCELLED":
                    continue  # an override of no instance of the series: not shown
                if c.status == "CANCELLED":
                    shown.pop(rid, None)
                    continue
                shown[rid] = Instance(c.start, c.end, uid, c.summary, c.location, link_of(c.description))
            out.extend(shown.values())
        return sorted(out)
