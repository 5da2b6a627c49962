"""The action-item lists: one per unit and one per person, filtered by status, owner and
overdue; owners close items with a note (htmx, one row at a time)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django import forms
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from meetings import audit
from meetings.models import Membership
from meetings.permissions import unit_ids
from minutes.actions import broadcast
from minutes.documents import MinutesError
from minutes.models import ActionItem

if TYPE_CHECKING:
    from accounts.models import User

STATUS_CHOICES = [
    ("open", _("Đang thực hiện (cả quá hạn)")),
    ("overdue", _("Quá hạn")),
    ("done", _("Đã hoàn thành")),
    ("all", _("Tất cả")),
]


class ActionFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Trạng thái"), choices=STATUS_CHOICES, required=False)
    owner = forms.TypedChoiceField(label=_("Người được giao"), coerce=int, required=False, empty_value=None)
    overdue = forms.BooleanField(label=_("Chỉ việc quá hạn"), required=False)

    def __init__(self, *args: object, owners: list[tuple[int, str]] | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", _("Tất cả"))] + [(str(pk), name) for pk, name in owners or []]
        if owners is None:
            del self.fields["owner"]


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Trạng thái"), choices=[("open", _("Đang thực hiện")), ("done", _("Đã hoàn thành"))])
    note = forms.CharField(label=_("Kết quả / ghi chú"), required=False, max_length=2000,
                           widget=forms.TextInput(attrs={"autocomplete": "off"}))

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("status") == "done" and not (data.get("note") or "").strip():
            self.add_error("note", _("Ghi kết quả thực hiện khi đóng việc."))
        return data


def apply_filters(qs: QuerySet[ActionItem], data: dict[str, object], today: date) -> QuerySet[ActionItem]:
    status = data.get("status") or "open"
    if data.get("overdue") or status == "overdue":
        qs = qs.filter(status=ActionItem.Status.OPEN, due_date__lt=today)
    elif status == "open":
        qs = qs.filter(status=ActionItem.Status.OPEN)
    elif status == "done":
        qs = qs.filter(status=ActionItem.Status.DONE)
    if data.get("owner"):
        qs = qs.filter(owner_user_id=data["owner"])
    return qs


def rows(qs: QuerySet[ActionItem]) -> QuerySet[ActionItem]:
    return qs.select_related("owner_user", "owner_unit", "minutes__occurrence__meeting").order_by(
        "status", "due_date", "id")


@dataclass
class Row:
    item: ActionItem
    overdue: bool
    can_change: bool


def decorate(items: list[ActionItem], user: User, today: date) -> list[Row]:
    """Rows with the overdue flag and whether the user may change each (no query per row:
    owners and the owning unit's leaders/secretaries; minutes writers use the minutes page)."""
    managing = set(unit_ids(user, [Membership.Role.LEADER, Membership.Role.SECRETARY, Membership.Role.UNIT_ADMIN]))
    return [
        Row(i, i.effective_status(today) == ActionItem.Status.OVERDUE,
            bool(user.is_superuser or i.owner_user_id == user.pk or (i.owner_unit_id in managing)))
        for i in items
    ]


def for_person(user: User) -> QuerySet[ActionItem]:
    return ActionItem.objects.filter(Q(owner_user=user))


def set_status(actor: User, item: ActionItem, status: str, note: str) -> ActionItem:
    """Open ↔ done; closing records who, when and how (the note). Allowed after issuing:
    follow-up is not part of the minutes' text."""
    if status not in (ActionItem.Status.OPEN, ActionItem.Status.DONE):
        raise MinutesError("bad_status", "Trạng thái công việc phải là “Đang thực hiện” hoặc “Đã hoàn thành”.")
    with transaction.atomic():
        locked = ActionItem.objects.select_for_update().get(pk=item.pk)
        before = {"status": locked.status, "done_note": locked.done_note}
        locked.status = status
        done = status == ActionItem.Status.DONE
        locked.done_at = timezone.now() if done else None
        locked.done_by = actor if done else None
        locked.done_note = note.strip()[:2000] if done else ""
        locked.save(update_fields=["status", "done_at", "done_by", "done_note"])
        audit.record(actor, "action_item.status", locked, before, {"status": status, "done_note": locked.done_note},
                     meeting=item.minutes.occurrence.meeting)
        broadcast(locked.minutes_id, {"type": "changed", "what": "action_items"})
    return locked
