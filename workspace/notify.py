"""E-mail about booking requests: a batched digest to room admins, a decision to the requester.

Digest (periodic task, every minute): for each room admin with requests they have not been
told about, lock their AdminDigest row; if the last e-mail is older than
WORKSPACE_DIGEST_MINUTES, record the requests as notified and send ONE e-mail listing them.
The row lock (PostgreSQL) or the write lock (SQLite, BEGIN IMMEDIATE) makes a second worker
wait and then find nothing to send. A failed send forgets the record, so the next run retries.

Decisions: decide_bookings emits "bookings_decided" once per meeting; the outbox handler
here mails whoever booked the meeting, once per outbox message (DecisionMail).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from meetings.formatting import vn_datetime
from meetings.models import Booking, Meeting, Membership, OutboxMessage
from meetings.outbox import Retry
from workspace.models import AdminDigest, DecisionMail, RequestNotice

log = logging.getLogger(__name__)

DECISION_TOPIC = "booking_decision_mail"


def interval() -> timedelta:
    return timedelta(minutes=settings.WORKSPACE_DIGEST_MINUTES)


def _title(meeting: Meeting) -> str:
    if meeting.sensitivity == Meeting.Sensitivity.CONFIDENTIAL:
        return _("Cuộc họp mật (%(unit)s)") % {"unit": meeting.organizing_unit.short_name}
    return meeting.title


# --- digest to room admins ---------------------------------------------------------------


def _unnotified(now: datetime) -> dict[int, list[Booking]]:
    """{admin user id: [requests of their rooms they were not told about]} (three queries)."""
    requests = list(
        Booking.objects.filter(status=Booking.Status.REQUESTED, end__gt=now)
        .select_related("room__unit", "occurrence__meeting__organizing_unit", "occurrence__meeting__created_by")
        .order_by("start", "pk")
    )
    if not requests:
        return {}
    units = {b.room.unit_id for b in requests}
    admins: dict[int, list[int]] = defaultdict(list)
    for user_id, unit_id in Membership.objects.filter(
        role=Membership.Role.UNIT_ADMIN, unit_id__in=units, user__is_active=True
    ).values_list("user_id", "unit_id"):
        admins[unit_id].append(user_id)
    told = set(
        RequestNotice.objects.filter(booking_id__in=[b.pk for b in requests]).values_list("user_id", "booking_id")
    )
    out: dict[int, list[Booking]] = defaultdict(list)
    for b in requests:
        for user_id in admins.get(b.room.unit_id, ()):
            if (user_id, b.pk) not in told:
                out[user_id].append(b)
    return dict(out)


def send_request_digests(now: datetime | None = None) -> int:
    """Mail every room admin who is due one; returns the number of e-mails sent."""
    now = now or timezone.now()
    pending = _unnotified(now)
    if not pending:
        return 0
    AdminDigest.objects.bulk_create([AdminDigest(user_id=u) for u in pending], ignore_conflicts=True)
    sent = 0
    for user_id in pending:
        claimed = _claim(user_id, now)
        if claimed is None:
            continue
        digest, bookings, previous = claimed
        try:
            _send_digest(digest, bookings)
            sent += 1
        except Exception:
            log.exception("room request digest to user #%s failed; will retry", user_id)
            with transaction.atomic():
                RequestNotice.objects.filter(user_id=user_id, booking__in=bookings, notified_at=now).delete()
                AdminDigest.objects.filter(pk=digest.pk).update(last_sent_at=previous)
    return sent


def _claim(user_id: int, now: datetime) -> tuple[AdminDigest, list[Booking], datetime | None] | None:
    """Under the admin's row lock: is an e-mail due, and which requests does it list?"""
    with transaction.atomic():
        digest = AdminDigest.objects.select_for_update().select_related("user").get(user_id=user_id)
        if digest.last_sent_at and now - digest.last_sent_at < interval():
            return None
        # Re-read under the lock: another worker may have just told this admin.
        bookings = _unnotified(now).get(user_id, [])
        if not bookings:
            return None
        RequestNotice.objects.bulk_create(
            [RequestNotice(user_id=user_id, booking=b, notified_at=now) for b in bookings]
        )
        previous = digest.last_sent_at
        digest.last_sent_at = now
        digest.save(update_fields=["last_sent_at"])
    return digest, bookings, previous


def _send_digest(digest: AdminDigest, bookings: list[Booking]) -> None:
    groups: dict[tuple[int, int], list[Booking]] = defaultdict(list)
    for b in bookings:
        groups[(b.occurrence.meeting_id, b.room_id)].append(b)
    with translation.override(settings.LANGUAGE_CODE):
        lines = []
        for items in groups.values():
            m, room = items[0].occurrence.meeting, items[0].room
            lines.append(_("- %(title)s — %(unit)s, đặt bởi %(who)s") % {
                "title": _title(m), "unit": m.organizing_unit.short_name,
                "who": m.created_by.full_name or m.created_by.email})
            lines.append(_("  Phòng: %(room)s (%(runit)s), %(n)s người / sức chứa %(cap)s") % {
                "room": room.name, "runit": room.unit.short_name, "n": items[0].expected_attendees, "cap": room.capacity})
            for b in items:
                lines.append(f"  · {vn_datetime(b.start)} – {timezone.localtime(b.end):%H:%M}")
        n = len(groups)
        subject = _("Có %(n)s yêu cầu đặt phòng mới chờ duyệt") % {"n": n}
        body = "\n".join([
            _("Kính gửi %(name)s,") % {"name": digest.user.full_name or digest.user.email},
            "",
            _("Các yêu cầu đặt phòng sau đang chờ đồng chí duyệt:"),
            "",
            *lines,
            "",
            _("Xem và duyệt: %(url)s") % {"url": settings.SITE_URL + reverse("room_queue")},
        ])
    send_mail(subject, body, None, [digest.user.email])


# --- decision to the requester -----------------------------------------------------------


def wants_decision(meeting: Meeting, event: str, payload: dict[str, Any]) -> bool:
    return event == "bookings_decided"


def handle_decision(message: OutboxMessage) -> None:
    """Outbox handler: one e-mail to whoever booked the meeting, listing the decisions."""
    payload = message.payload
    ids = list(payload.get("approved", [])) + list(payload.get("rejected", []))
    meeting = (
        Meeting.objects.select_related("created_by", "organizing_unit").filter(pk=message.meeting_id).first()
    )
    if meeting is None or not ids or not meeting.created_by.email:
        return
    bookings = list(Booking.objects.filter(pk__in=ids).select_related("room__unit", "decided_by").order_by("start", "pk"))
    if not bookings:
        return
    try:
        with transaction.atomic():
            DecisionMail.objects.create(message_id=message.pk)
    except IntegrityError:
        return  # already sent for this message
    try:
        subject, body = decision_text(meeting, bookings)
        send_mail(subject, body, None, [meeting.created_by.email])
    except Exception as exc:
        DecisionMail.objects.filter(message_id=message.pk).delete()
        raise Retry(f"decision mail failed: {exc}") from exc


def decision_text(meeting: Meeting, bookings: list[Booking]) -> tuple[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        approved = [b for b in bookings if b.status == Booking.Status.CONFIRMED]
        rejected = [b for b in bookings if b.status == Booking.Status.REJECTED]
        lines = [
            _("Kính gửi %(name)s,") % {"name": meeting.created_by.full_name or meeting.created_by.email},
            "",
            _("Kết quả duyệt phòng cho cuộc họp «%(title)s»:") % {"title": meeting.title},
        ]
        for label, items in ((_("Được duyệt"), approved), (_("Bị từ chối"), rejected)):
            if not items:
                continue
            lines += ["", f"{label}:"]
            for b in items:
                line = f"  · {b.room.name} ({b.room.unit.short_name}), {vn_datetime(b.start)} – {timezone.localtime(b.end):%H:%M}"
                if b.decision_note:
                    line += _(" — ghi chú: %(note)s") % {"note": b.decision_note}
                lines.append(line)
        decider = next((b.decided_by for b in bookings if b.decided_by_id), None)
        if decider is not None:
            lines += ["", _("Người duyệt: %(who)s") % {"who": decider.full_name or decider.email}]
        lines += ["", _("Xem cuộc họp: %(url)s") % {"url": f"{settings.SITE_URL}/meetings/{meeting.uid}/"}]
        if rejected and not approved:
            subject = _("Phòng bị từ chối: %(title)s") % {"title": meeting.title}
        elif rejected:
            subject = _("Kết quả duyệt phòng (có buổi bị từ chối): %(title)s") % {"title": meeting.title}
        else:
            subject = _("Phòng đã được duyệt: %(title)s") % {"title": meeting.title}
    return subject, "\n".join(lines)
