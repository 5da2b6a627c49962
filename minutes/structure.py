"""Named writes on the shape of the minutes: sections removed and reordered, scribes assigned.

Each runs in one transaction on draft minutes and tells the open editors after commit.
Removing a section first cuts a revision, so its text stays in the history.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from meetings.models import Attendee
from meetings.permissions import can_edit_meeting
from minutes import documents
from minutes.actions import _draft, broadcast
from minutes.documents import MinutesError
from minutes.models import Minutes, Revision, Section

if TYPE_CHECKING:
    from accounts.models import User


def _section(minutes: Minutes, section_id: Any) -> Section:
    section = Section.objects.select_for_update().filter(minutes=minutes, pk=section_id).first() if str(section_id).isdigit() else None
    if section is None:
        raise MinutesError("not_found", _("Không có mục này trong biên bản."), 404)
    return section


def remove_section(actor: User, minutes: Minutes, section_id: Any) -> None:
    with transaction.atomic():
        locked = _draft(minutes)
        section = _section(locked, section_id)
        if Section.objects.filter(minutes=locked).count() <= 1:
            raise MinutesError("last_section", _("Biên bản phải còn ít nhất một mục."), 409)
        if section.text.strip():
            documents.cut_revision(locked, Revision.Reason.MANUAL, actor)  # the text stays in the history
        section.delete()
        broadcast(locked.pk, {"type": "sections_changed"})


def move_section(actor: User, minutes: Minutes, section_id: Any, direction: str) -> None:
    if direction not in ("up", "down"):
        raise MinutesError("bad_direction", _("Chỉ chuyển được lên hoặc xuống."))
    with transaction.atomic():
        locked = _draft(minutes)
        _section(locked, section_id)
        order = list(Section.objects.select_for_update().filter(minutes=locked).order_by("position", "id"))
        i = next(n for n, s in enumerate(order) if s.pk == int(section_id))
        j = i - 1 if direction == "up" else i + 1
        if 0 <= j < len(order):
            order[i], order[j] = order[j], order[i]
        for position, s in enumerate(order):
            if s.position != position:
                s.position = position
                s.save(update_fields=["position"])
        broadcast(locked.pk, {"type": "sections_changed"})


def may_assign_scribes(user: User, minutes: Minutes) -> bool:
    meeting = minutes.occurrence.meeting
    return bool(user.is_superuser or meeting.chair_id == user.pk or can_edit_meeting(user, meeting))


def scribe_candidates(minutes: Minutes) -> list[Any]:
    """The meeting's invited people with an account: scribes come from the attendees."""
    from accounts.models import User

    ids = Attendee.objects.filter(meeting_id=minutes.occurrence.meeting_id, is_active=True, user__isnull=False).values("user_id")
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("full_name"))


def set_scribe(actor: User, minutes: Minutes, user_id: Any, add: bool) -> None:
    from accounts.models import User

    if not may_assign_scribes(actor, minutes):
        raise MinutesError("forbidden", _("Chỉ thư ký và chủ trì cuộc họp mới giao được người ghi biên bản."), 403)
    person = User.objects.filter(pk=user_id, is_active=True).first() if str(user_id).isdigit() else None
    if person is None:
        raise MinutesError("bad_user", _("Hãy chọn một người trong danh sách."))
    with transaction.atomic():
        locked = _draft(minutes)
        if add:
            if not Attendee.objects.filter(meeting_id=locked.occurrence.meeting_id, user=person, is_active=True).exists():
                raise MinutesError("not_invited", _("%(n)s không có trong thành phần mời của cuộc họp.") % {"n": person.full_name})
            locked.scribes.add(person)
        else:
            locked.scribes.remove(person)
        broadcast(locked.pk, {"type": "changed", "what": "scribes", "user": person.pk, "added": add})
