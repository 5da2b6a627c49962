"""Answers to invitations and delegation (cử người dự thay): the named writes of this app.

Answer links are signed per attendee (django.core.signing, with an expiry), so no login is
needed; each token is bound to one attendee of one meeting.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from meetings import audit, outbox
from meetings.actions import ActionError, Forbidden
from meetings.models import Attendee, Meeting, Membership, Occurrence, OutboxMessage
from meetings.permissions import can_book_for, can_edit_meeting

if TYPE_CHECKING:
    from accounts.models import User

SALT = "invitations.answer"
ANSWERS = (Attendee.Rsvp.ACCEPTED, Attendee.Rsvp.TENTATIVE, Attendee.Rsvp.DECLINED)


def max_age() -> int:
    return int(getattr(settings, "INVITATIONS_ANSWER_MAX_AGE", 180 * 24 * 3600))


def make_token(attendee: Attendee) -> str:
    return signing.dumps({"a": attendee.pk, "m": attendee.meeting.uid.hex}, salt=SALT, compress=True)


class BadLink(Exception):
    """Tampered, expired or no longer matching link: shown as a clear page, nothing changes."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def attendee_for(token: str) -> Attendee:
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age())
    except signing.SignatureExpired:
        raise BadLink("expired") from None
    except signing.BadSignature:
        raise BadLink("tampered") from None
    attendee = (
        Attendee.objects.select_related("meeting__organizing_unit", "meeting__chair", "unit", "user")
        .filter(pk=data.get("a"), meeting__uid=data.get("m"))
        .first()
    )
    if attendee is None or not attendee.is_active:
        raise BadLink("not_invited")
    return attendee


def links(attendee: Attendee) -> dict[str, str]:
    token = make_token(attendee)
    page = settings.SITE_URL + reverse("invitations:answer", args=[token])
    return {"page": page, **{r: f"{page}?r={r}" for r in ANSWERS}}


def page_facts(attendee: Attendee) -> dict[str, Any]:
    """What the answer page shows besides the choices: the place, the chair, the state of the
    online room (and the personal join link once it is ready) and, for a series, every
    sitting with the moved and cancelled ones marked."""
    from integrations.calendar import ical

    meeting = attendee.meeting
    data = ical.MeetingData.load(meeting)
    sittings = []
    if meeting.rrule:
        for o in data.occurrences:
            sittings.append({
                "start": o.start, "end": o.end, "cancelled": o.is_cancelled,
                "moved_from": o.recurrence_id if (o.is_exception and o.start != o.recurrence_id) else None,
                "location": data.location(o) if o.is_exception else "",
            })
    online: dict[str, Any] = {}
    if meeting.is_online:
        from django.apps import apps

        state = "pending"
        if apps.is_installed("integrations.online"):
            from integrations.online.api import overall_state
            from integrations.online.models import OnlineRoom

            state = overall_state(meeting, list(OnlineRoom.objects.filter(occurrence__meeting=meeting)))
        if state == "none" or (state == "pending" and (meeting.online_details or {}).get("url")):
            state = "ready" if (meeting.online_details or {}).get("url") else state
        online = {"state": state, "join_url": ical.join_url(attendee) if state == "ready" else ""}
    return {"place": data.location(), "chair": meeting.chair, "online": online, "sittings": sittings}


def meeting_over(meeting: Meeting, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return not meeting.occurrences.filter(in_series=True, end__gt=now).exclude(status=Occurrence.Status.CANCELLED).exists()


def respond(
    attendee: Attendee,
    rsvp: str,
    comment: str = "",
    *,
    actor: User | None = None,
    occurrence: Occurrence | None = None,
) -> Attendee:
    """Record an answer (whole meeting, or one occurrence). Refused when the meeting is
    cancelled or over, or the attendee is no longer invited; nothing is written then."""
    if rsvp not in ANSWERS:
        raise ActionError(_("Hãy chọn Tham dự, Chưa chắc chắn hoặc Không tham dự."), "rsvp")
    comment = (comment or "").strip()[:2000]
    from integrations.calendar.models import OccurrenceResponse

    with transaction.atomic():
        row = Attendee.objects.select_for_update().select_related("meeting").get(pk=attendee.pk)
        meeting = row.meeting
        if meeting.status == Meeting.Status.CANCELLED:
            raise ActionError(_("Cuộc họp đã bị hủy, câu trả lời không được ghi nhận."), "meeting", conflict=True)
        if not row.is_active:
            raise ActionError(_("Đồng chí không còn trong thành phần mời."), "attendee", conflict=True)
        if row.rsvp == Attendee.Rsvp.DELEGATED:
            raise ActionError(_("Đồng chí đã cử người dự thay."), "attendee", conflict=True)
        if occurrence is not None:
            if occurrence.meeting_id != meeting.pk or occurrence.is_cancelled:
                raise ActionError(_("Buổi họp này không còn trong lịch."), "occurrence", conflict=True)
            OccurrenceResponse.objects.update_or_create(
                attendee=row, occurrence=occurrence,
                defaults={"rsvp": rsvp, "comment": comment, "responded_at": timezone.now()},
            )
            audit.record(actor, "attendee.responded_occurrence", row, None,
                         {"occurrence": occurrence.pk, "rsvp": rsvp, "comment": comment}, meeting)
            return row
        if meeting_over(meeting):
            raise ActionError(_("Cuộc họp đã kết thúc."), "meeting", conflict=True)
        before = audit.snapshot(row)
        row.rsvp, row.rsvp_comment, row.responded_at = rsvp, comment, timezone.now()
        row.save(update_fields=["rsvp", "rsvp_comment", "responded_at"])
        audit.record(actor, "attendee.responded", row, before, audit.snapshot(row), meeting)
    return row


def can_delegate(user: User | None, attendee: Attendee) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if attendee.user_id == user.pk:
        return True
    if attendee.unit is not None and can_book_for(user, attendee.unit):
        return True
    return can_edit_meeting(user, attendee.meeting)


def substitutes(attendee: Attendee) -> list[Any]:
    """People of the attendee's unit who could go instead (not already invited)."""
    from accounts.models import User

    if attendee.unit_id is None:
        return []
    invited = attendee.meeting.attendees.filter(is_active=True).values("email")
    return list(
        User.objects.filter(is_active=True, memberships__unit_id=attendee.unit_id)
        .exclude(email__in=invited).distinct().order_by("full_name")
    )


def delegate(
    attendee: Attendee,
    substitute: User,
    *,
    actor: User | None = None,
    by_link: bool = False,
    comment: str = "",
) -> Attendee:
    """The attendee (through their link, or logged in) or their unit's secretary names a
    substitute from the same unit. The substitute gets an invitation of their own
    (DELEGATED-FROM), the original is marked delegated (DELEGATED-TO)."""
    from integrations.calendar.delivery import TOPIC

    if not by_link and not can_delegate(actor, attendee):
        raise Forbidden(_("Chỉ người được mời hoặc thư ký đơn vị của họ mới cử được người dự thay."))
    with transaction.atomic():
        original = Attendee.objects.select_for_update(of=("self",)).select_related("meeting", "unit").get(pk=attendee.pk)
        meeting = original.meeting
        if meeting.status == Meeting.Status.CANCELLED:
            raise ActionError(_("Cuộc họp đã bị hủy."), "meeting", conflict=True)
        if not original.is_active or original.rsvp == Attendee.Rsvp.DELEGATED:
            raise ActionError(_("Thành phần mời này đã cử người dự thay hoặc không còn được mời."), "attendee", conflict=True)
        if original.unit_id is None:
            raise ActionError(_("Người được mời không thuộc đơn vị nào nên không cử người dự thay được."), "attendee")
        if not substitute.is_active or not Membership.objects.filter(user=substitute, unit_id=original.unit_id).exists():
            raise ActionError(
                _("%(n)s không thuộc %(u)s: chỉ cử được người cùng đơn vị.")
                % {"n": substitute.full_name or substitute.email, "u": original.unit.short_name if original.unit else ""},
                "substitute",
            )
        email = substitute.email.lower()
        existing = meeting.attendees.select_for_update().filter(email=email).first()
        if existing is not None and existing.is_active:
            raise ActionError(_("%(e)s đã có trong thành phần mời.") % {"e": email}, "substitute", conflict=True)
        role = Attendee.Role.REQUIRED if original.role == Attendee.Role.CHAIR else original.role
        if existing is None:
            new = Attendee.objects.create(
                meeting=meeting, email=email, name=substitute.full_name, user=substitute,
                unit_id=original.unit_id, role=role, delegated_from=original,
            )
        else:
            new = existing
            new.is_active, new.delegated_from, new.role = True, original, role
            new.rsvp, new.rsvp_comment, new.responded_at = Attendee.Rsvp.NEEDS_ACTION, "", None
            new.user, new.name, new.unit_id = substitute, substitute.full_name, original.unit_id
            new.save()
        before = audit.snapshot(original)
        original.rsvp = Attendee.Rsvp.DELEGATED
        original.rsvp_comment = comment.strip()[:2000]
        original.responded_at = timezone.now()
        original.save(update_fields=["rsvp", "rsvp_comment", "responded_at"])
        audit.record(actor, "attendee.delegated", original, before, audit.snapshot(original), meeting)
        audit.record(actor, "attendee.created", new, None, audit.snapshot(new), meeting)
        outbox.put([OutboxMessage(topic=TOPIC, meeting=meeting, payload={
            "event": "delegated", "attendee_id": new.pk, "from_attendee_id": original.pk})])
    return new
