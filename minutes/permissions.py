"""Who may open a meeting's minutes, and who may write them.

In words (issue 5):
- Viewers: active invitees (attendees), the chair, whoever booked the meeting, the organizing
  unit's secretaries and unit admins, the organizing unit's leaders, department leaders.
- Confidential meetings: only invitees, the chair, whoever booked it and department leaders.
- Writers: viewers who are the organizing unit's secretaries/unit admins or booked the
  meeting (meetings.permissions.can_edit_meeting), the chair, and scribes added to the minutes.
Everyone else is refused; a read-only viewer sees presence and edits but cannot write.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from django.db.models import Q

from meetings.models import Meeting, Membership
from meetings.permissions import can_edit_meeting, department_leader, unit_ids

if TYPE_CHECKING:
    from accounts.models import User
    from minutes.models import Minutes


class Access(StrEnum):
    NONE = "none"
    VIEW = "view"
    EDIT = "edit"


def _invited(user: User, meeting: Meeting) -> bool:
    return meeting.attendees.filter(user=user, is_active=True).exists()


def access(user: User, meeting: Meeting, minutes: Minutes | None = None) -> Access:
    if not user.is_authenticated or not user.is_active:
        return Access.NONE
    is_chair = meeting.chair_id == user.pk
    booked = meeting.created_by_id == user.pk
    if user.is_superuser:
        return Access.EDIT
    invited = _invited(user, meeting)
    scribe = minutes is not None and minutes.pk is not None and minutes.scribes.filter(pk=user.pk).exists()
    if meeting.sensitivity == Meeting.Sensitivity.CONFIDENTIAL:
        may_view = invited or is_chair or booked or department_leader(user)
    else:
        managing = unit_ids(
            user, [Membership.Role.SECRETARY, Membership.Role.UNIT_ADMIN, Membership.Role.LEADER]
        )
        may_view = (
            invited or is_chair or booked or scribe or department_leader(user)
            or meeting.organizing_unit_id in managing
        )
    if not may_view:
        return Access.NONE
    if is_chair or scribe or can_edit_meeting(user, meeting):
        return Access.EDIT
    return Access.VIEW


def openable_q(user: User) -> Q:
    """The minutes `user` may open (access() above, for many rows at once, as a filter)."""
    from meetings.models import Attendee

    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_superuser or department_leader(user):
        return Q()
    m = "occurrence__meeting__"
    invited = Q(**{f"{m}in": Attendee.objects.filter(user=user, is_active=True).values("meeting_id")})
    own = Q(**{f"{m}chair": user}) | Q(**{f"{m}created_by": user})
    managing = unit_ids(user, [Membership.Role.SECRETARY, Membership.Role.UNIT_ADMIN, Membership.Role.LEADER])
    from minutes.models import Minutes

    scribe = Q(pk__in=Minutes.scribes.through.objects.filter(user=user).values("minutes_id"))
    not_confidential = ~Q(**{f"{m}sensitivity": Meeting.Sensitivity.CONFIDENTIAL})
    return invited | own | (not_confidential & (scribe | Q(**{f"{m}organizing_unit__in": managing})))
