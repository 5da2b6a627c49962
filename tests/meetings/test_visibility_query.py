"""visible_to() runs the visibility rules as a UNION of indexed lookups: it must give
exactly the meetings the rules in _visibility_q give, for every kind of person."""

from __future__ import annotations

from itertools import product

from meetings.models import Meeting, _visibility_q
from tests.factories import at, working_day
from tests.meetings.conftest import book


def test_union_form_sees_exactly_what_the_rules_say(org):
    day = working_day(10)
    people = [org.secretary, org.member, org.leader, org.unit_admin, org.dept_secretary, org.outsider,
              org.dept_leader]
    hour = 7
    for sensitivity, (actor, unit, guests) in product(
        Meeting.Sensitivity.values,
        [(org.secretary, org.hospital, []), (org.outsider, org.cdc, ["thanhvien@bvdk.vn"]),
         (org.outsider, org.cdc, ["giamdoc@bvdk.vn", "nguoingoai@example.vn"]),
         (org.dept_secretary, org.dept, ["thuky@cdc.vn"])],
    ):
        hour += 1
        book(actor, unit, at(day, hour % 10 + 7), at(day, hour % 10 + 8), title=f"{sensitivity} {hour}",
             sensitivity=sensitivity, attendees=guests, chair=org.leader if hour % 3 == 0 else None,
             mode=Meeting.Mode.ONLINE, online_provider="link", online_details={"url": "https://vc.example.vn/a"},
             draft=hour % 2 == 0)  # drafts only to their editors (D10): both kinds in the mix
    assert Meeting.objects.count() == 12
    for person in people:
        by_rules = set(Meeting.objects.filter(_visibility_q(person)).values_list("pk", flat=True))
        assert set(Meeting.objects.visible_to(person).values_list("pk", flat=True)) == by_rules, person.email
        assert 0 < len(by_rules) < 12 or person is org.dept_secretary
