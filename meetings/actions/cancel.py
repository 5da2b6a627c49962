"""Cancelling a meeting, a sitting, or this and following."""


from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from meetings import audit, outbox, recurrence
from meetings.models import (
    Meeting,
    Occurrence,
)

if TYPE_CHECKING:
    from accounts.models import User
from meetings.actions import sequence
from meetings.actions.common import (
    ActionError,
    Scope,
    _frozen,
    _refresh_status,
    _release,
)

# --- cancel ----------------------------------------------------------------------------


def cancel_meeting(
    actor: User,
    meeting: Meeting,
    *,
    scope: str = Scope.ALL,
    occurrence: Occurrence | None = None,
    reason: str = "",
    now: datetime | None = None,
) -> Meeting:
    """Cancel a meeting, one occurrence, or this and the following ones. Nothing is
    deleted: records stay, rooms are released, attendees are told."""
    now = now or timezone.now()
    if scope not in Scope.CHOICES:
        raise ActionError(_("Phạm vi phải là occurrence, following hoặc all."), "scope")
    if scope != Scope.ALL:
        if not meeting.is_recurring:
            raise ActionError(_("Cuộc họp không lặp lại nên không có phạm vi 'một buổi' hay 'các buổi sau'."), "scope")
        if occurrence is None:
            raise ActionError(_("Hãy chọn buổi họp (occurrence) cần hủy."), "occurrence")
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if meeting.status == Meeting.Status.CANCELLED:
            raise ActionError(_("Cuộc họp đã bị hủy trước đó."), conflict=True)
        before = audit.snapshot(meeting)
        if scope == Scope.ALL or (scope == Scope.FOLLOWING and occurrence is not None and occurrence.index == 0):
            live = [o for o in meeting.occurrences.filter(in_series=True) if not _frozen(o, now) and not o.is_cancelled]
            Occurrence.objects.filter(pk__in=[o.pk for o in live]).update(status=Occurrence.Status.CANCELLED)
            _release(actor, meeting, [o.pk for o in live])
            meeting.status = Meeting.Status.CANCELLED
            meeting.cancel_reason = reason.strip()
            sequence.raise_master(meeting)  # STATUS:CANCELLED
            meeting.save()
            audit.record(actor, "meeting.cancelled", meeting, before, audit.snapshot(meeting), meeting)
            outbox.emit(meeting, "cancelled", occurrence_ids=[o.pk for o in live], reason=meeting.cancel_reason)
            return meeting
        assert occurrence is not None
        occ = meeting.occurrences.select_for_update().get(pk=occurrence.pk)
        if scope == Scope.OCCURRENCE:
            if occ.is_cancelled:
                raise ActionError(_("Buổi họp này đã bị hủy trước đó."), "occurrence", conflict=True)
            if _frozen(occ, now):
                raise ActionError(_("Buổi họp đã diễn ra, không thể hủy."), "occurrence", conflict=True)
            occ_before = audit.snapshot(occ)
            occ.status, occ.cancelled_individually = Occurrence.Status.CANCELLED, True
            sequence.raise_sitting(meeting, occ)  # the CANCEL and the master's new EXDATE
            occ.save(update_fields=["status", "cancelled_individually", "sequence"])
            _release(actor, meeting, [occ.pk])
            _refresh_status(meeting)
            meeting.save(update_fields=["status", "sequence", "updated_at"])
            audit.record(actor, "occurrence.cancelled", occ, occ_before, audit.snapshot(occ), meeting)
            outbox.emit(meeting, "occurrence_cancelled", occurrence_ids=[occ.pk], reason=reason.strip())
            return meeting
        # following: the rule ends before this occurrence.
        previous = meeting.occurrences.filter(in_series=True, index=occ.index - 1).first()
        tail = list(meeting.occurrences.filter(in_series=True, index__gte=occ.index))
        if any(_frozen(o, now) for o in tail):
            raise ActionError(_("Có buổi họp trong phạm vi đã diễn ra."), "occurrence", conflict=True)
        Occurrence.objects.filter(pk__in=[o.pk for o in tail]).update(status=Occurrence.Status.CANCELLED, in_series=False)
        _release(actor, meeting, [o.pk for o in tail])
        meeting.rrule = recurrence.with_until(meeting.rrule, previous.recurrence_id if previous else occ.recurrence_id)
        sequence.raise_master(meeting)  # RRULE gained an UNTIL
        _refresh_status(meeting)
        meeting.save()
        audit.record(actor, "meeting.truncated", meeting, before, audit.snapshot(meeting), meeting)
        outbox.emit(meeting, "updated", changed_fields=["rrule"], dropped_occurrence_ids=[o.pk for o in tail], reason=reason.strip())
        return meeting


