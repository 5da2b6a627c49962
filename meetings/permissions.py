"""Who may do what. Every view fetches through these helpers.

In words:
- A **secretary** books and edits meetings organised by their unit.
- A **unit admin** manages the unit's rooms and people and approves bookings of its rooms
  (and can do what a secretary does).
- A **leader** sees the unit's meetings (internal ones too); a leader of the department
  (the root unit) sees every meeting, confidential ones included.
- A **member** sees the unit's normal meetings and every meeting they are invited to.
- Confidential meetings: only invitees, the chair, whoever booked it and department leaders.

Memberships are read once per user object and cached on it, so a request costs one query.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import connection
from django.http import Http404
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from accounts.models import User
    from meetings.models import Meeting, Room, Unit

_CACHE_ATTR = "_quorum_memberships"


def memberships(user: User) -> list[tuple[int, str, int | None]]:
    """[(unit_id, role, unit_parent_id)] for an authenticated user (memberships of active
    units), cached on the object. Read on nearly every request: one hand-written query
    (the ORM's compile cost more than PostgreSQL's work)."""
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        with connection.cursor() as cursor:
            cursor.execute(_memberships_sql(), [user.pk])
            cached = [tuple(row) for row in cursor.fetchall()]
        setattr(user, _CACHE_ATTR, cached)
    return cached


@functools.cache
def _memberships_sql() -> str:
    from meetings.models import Membership, Unit

    m, u = Membership._meta.db_table, Unit._meta.db_table
    return (f"SELECT m.unit_id, m.role, u.parent_id FROM {m} m JOIN {u} u ON u.id = m.unit_id "  # noqa: S608 - table names from models
            "WHERE m.user_id = %s AND u.is_active")


def forget(user: User) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def unit_ids(user: User, roles: Iterable[str] | None = None) -> list[int]:
    wanted = set(roles) if roles is not None else None
    return sorted({u for u, r, _ in memberships(user) if wanted is None or r in wanted})


def department_leader(user: User) -> bool:
    from meetings.models import Membership

    return any(
        role == Membership.Role.LEADER and parent is None for _, role, parent in memberships(user)
    )


def is_system_admin(user: User) -> bool:
    return bool(user.is_superuser)


def can_book_for(user: User, unit: Unit) -> bool:
    from meetings.models import Membership

    if is_system_admin(user):
        return True
    return unit.pk in unit_ids(user, [Membership.Role.SECRETARY, Membership.Role.UNIT_ADMIN])


def can_edit_meeting(user: User, meeting: Meeting) -> bool:
    return meeting.created_by_id == user.pk or can_book_for(user, meeting.organizing_unit)


def can_manage_room(user: User, room: Room) -> bool:
    from meetings.models import Membership

    return is_system_admin(user) or room.unit_id in unit_ids(user, [Membership.Role.UNIT_ADMIN])


def can_manage_unit(user: User, unit: Unit) -> bool:
    from meetings.models import Membership

    return is_system_admin(user) or unit.pk in unit_ids(user, [Membership.Role.UNIT_ADMIN])


def get_meeting_for_user(user: User, uid: object, *, edit: bool = False) -> Meeting:
    """The one way views fetch a meeting: 404 if invisible, PermissionDenied if read-only."""
    from django.core.exceptions import PermissionDenied, ValidationError

    from meetings.models import Meeting

    try:
        meeting = (
            Meeting.objects.visible_to(user)
            .select_related("organizing_unit", "chair", "created_by")
            .get(uid=uid)
        )
    except (Meeting.DoesNotExist, ValidationError, ValueError):
        raise Http404(_("Không có cuộc họp này, hoặc đồng chí không có quyền xem.")) from None
    if edit and not can_edit_meeting(user, meeting):
        raise PermissionDenied(_("Chỉ thư ký đơn vị chủ trì mới sửa được cuộc họp này."))
    return meeting
