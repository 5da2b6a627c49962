"""The calendar shows a sitting's details exactly to those the visibility rules let see its
meeting, and "Bận" to everyone else, whatever kind of person looks (the calendar checks it
with the rules' union, not with their one OR: see workspace.calendar._visible)."""

from __future__ import annotations

from datetime import timedelta
from itertools import product

from django.utils import timezone

from meetings.models import Meeting, _visibility_q
from tests.factories import at, make_user, working_day
from tests.meetings.conftest import book
from workspace.calendar import Viewer, room_entries, unit_entries


def test_each_sitting_is_shown_or_busy_exactly_as_the_rules_say_for_every_kind_of_person(org, hall):
    days = [working_day(10), working_day(11)]
    starts = {}
    # Meetings the hospital organises (online or in its own room) and meetings other units
    # hold in its shared hall, in every sensitivity, with and without its people invited.
    for i, (sensitivity, (actor, unit, rooms, guests)) in enumerate(product(
        Meeting.Sensitivity.values,
        [(org.secretary, org.hospital, [org.room_a], []),
         (org.secretary, org.hospital, [], ["thuky@cdc.vn"]),
         (org.outsider, org.cdc, [hall], ["thanhvien@bvdk.vn"]),
         (org.dept_secretary, org.dept, [hall], [])],
    )):
        start = at(days[i % 2], 8 + i // 2)
        online = {} if rooms else {"mode": Meeting.Mode.ONLINE, "online_provider": "link",
                                   "online_details": {"url": "https://vc.example.vn/a"}}
        m = book(actor, unit, start, start + timedelta(minutes=45), rooms, title=f"{sensitivity} {i}",
                 sensitivity=sensitivity, attendees=guests, chair=org.leader if i % 5 == 0 else None, **online)
        starts[m.pk] = start
    superuser = make_user("quantri-he-thong@soyte.vn", is_superuser=True, is_staff=True)
    lo = timezone.localtime(at(days[0], 0)).replace(hour=0)
    hi = timezone.localtime(at(days[1], 0)).replace(hour=23)
    seen_by = {}
    for person in [org.secretary, org.member, org.leader, org.unit_admin, org.dept_secretary, org.outsider,
                   org.dept_leader, superuser]:
        rules = set(Meeting.objects.filter(_visibility_q(person)).values_list("pk", flat=True))
        expected = {starts[pk] for pk in starts if pk in rules}
        viewer = Viewer(person)
        entries = unit_entries(viewer, org.hospital, lo, hi)
        assert sorted(e.start for e in entries) == sorted(starts.values()), person.email  # every sitting, shown or busy
        shown = {e.start for e in entries if not e.busy_only}
        assert shown == expected, person.email
        assert all(e.title == "" and e.url == "" for e in entries if e.busy_only)
        in_rooms = [e for es in room_entries(viewer, [org.room_a, hall], lo, hi).values() for e in es]
        assert len(in_rooms) == 9  # room A: the hospital's 3; the hall: the other units' 6
        assert {e.start for e in in_rooms if not e.busy_only} == expected & {e.start for e in in_rooms}, person.email
        seen_by[person.email] = len(shown)
    # The mix tells people apart: not everyone sees everything, and nobody sees nothing.
    assert seen_by["quantri-he-thong@soyte.vn"] == 12
    assert 0 < min(seen_by.values()) < max(seen_by.values())
