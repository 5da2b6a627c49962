"""Who sees which issued documents, dashboards and action items (one place).

- The archive and the dashboard: leaders see the units they lead; department leaders (leaders of
  the root unit) and system administrators see every unit.
- Confidential minutes: only their invitees, chair, whoever booked the meeting and department
  leaders; this filter runs in SQL, so counts, snippets and charts never include the others.
- Action items: a unit's list is for its members and department leaders; a person's list is
  their own. Owners (the person, or a leader/secretary of the owning unit) and the minutes'
  writers change an item's status.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q, QuerySet

from meetings.models import Attendee, Meeting, Membership, Unit
from meetings.permissions import department_leader, unit_ids

if TYPE_CHECKING:
    from accounts.models import User
    from archive.models import IssuedDocument, SearchEntry
    from minutes.models import ActionItem

CONFIDENTIAL = Meeting.Sensitivity.CONFIDENTIAL


def sees_everything(user: User) -> bool:
    return bool(user.is_superuser) or department_leader(user)


def archive_units(user: User) -> list[int] | None:
    """Unit ids whose archive the user may read; None means all units."""
    if sees_everything(user):
        return None
    return unit_ids(user, [Membership.Role.LEADER])


def can_use_archive(user: User) -> bool:
    return user.is_authenticated and (sees_everything(user) or bool(archive_units(user)))


def may_see_confidential(user: User, meeting_path: str) -> Q:
    """Q on a model reaching the meeting through `meeting_path` ("minutes__occurrence__meeting")."""
    invited = Exists(Attendee.objects.filter(meeting=OuterRef(meeting_path), user=user, is_active=True))
    return (~Q(**{f"{meeting_path}__sensitivity": CONFIDENTIAL}) | Q(**{f"{meeting_path}__chair": user})
            | Q(**{f"{meeting_path}__created_by": user}) | invited)


def _confidential_allowed(user: User, units: list[int]) -> QuerySet[SearchEntry]:
    """Ids of the few confidential documents of `units` this user may see (chair, booker or
    invitee), computed once as a subquery over the search table (a partial index holds a unit's
    confidential entries, each with its meeting): no join from every document to its meeting."""
    from archive.models import SearchEntry

    invited = Attendee.objects.filter(user=user, is_active=True).values("meeting_id")
    booked = Meeting.objects.filter(created_by=user).values("pk")
    return SearchEntry.objects.filter(unit_id__in=units, sensitivity=CONFIDENTIAL).filter(
        Q(chair=user) | Q(meeting_id__in=booked) | Q(meeting_id__in=invited)).values("document_id")


def visible_documents(user: User) -> QuerySet[IssuedDocument]:
    from archive.models import IssuedDocument

    qs = IssuedDocument.objects.all()
    if not user.is_authenticated:
        return qs.none()
    if sees_everything(user):
        return qs
    units = archive_units(user) or []
    return qs.filter(unit_id__in=units).filter(~Q(sensitivity=CONFIDENTIAL) | Q(pk__in=_confidential_allowed(user, units)))


def visible_entries(user: User) -> QuerySet[SearchEntry]:
    """The same rule on the archive's search table (issued documents only)."""
    from archive.models import SearchEntry

    qs = SearchEntry.objects.all()
    if not user.is_authenticated:
        return qs.none()
    if sees_everything(user):
        return qs
    units = archive_units(user) or []
    return qs.filter(unit_id__in=units).filter(
        ~Q(sensitivity=CONFIDENTIAL) | Q(document_id__in=_confidential_allowed(user, units)))


def scoped_units(user: User) -> QuerySet[Unit]:
    units = archive_units(user)
    qs = Unit.objects.filter(is_active=True).order_by("parent_id", "name")
    return qs if units is None else qs.filter(pk__in=units)


def unit_list_allowed(user: User, unit: Unit) -> bool:
    return sees_everything(user) or unit.pk in unit_ids(user)


def visible_items(user: User, qs: QuerySet[ActionItem]) -> QuerySet[ActionItem]:
    """Drop items of confidential meetings the user may not see."""
    if sees_everything(user):
        return qs
    return qs.filter(may_see_confidential(user, "minutes__occurrence__meeting"))


def can_change_item(user: User, item: ActionItem) -> bool:
    if user.is_superuser or item.owner_user_id == user.pk:
        return True
    managing = unit_ids(user, [Membership.Role.LEADER, Membership.Role.SECRETARY, Membership.Role.UNIT_ADMIN])
    if item.owner_unit_id and item.owner_unit_id in managing:
        return True
    from minutes.permissions import Access, access

    return access(user, item.minutes.occurrence.meeting, item.minutes) == Access.EDIT
