"""The meeting page (everything about one meeting) and the forms that start there: move,
cancel, publish, remind those who have not answered, retry the online room."""

from __future__ import annotations

import html
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from meetings import actions, audit
from meetings.actions import ActionError, Forbidden, Scope
from meetings.booking import BookingConflict
from meetings.formatting import vn_datetime, vn_span
from meetings.models import Attendee, AuditEntry, Booking, Meeting, MeetingRoom, Occurrence
from meetings.permissions import can_edit_meeting, get_meeting_for_user
from meetings.web import remind
from meetings.web.forms import CancelForm, MoveForm, parse_local, version_of
from meetings.web.helpers import chosen_occurrence, put_action_error

RSVP_ORDER = [Attendee.Rsvp.ACCEPTED, Attendee.Rsvp.TENTATIVE, Attendee.Rsvp.DECLINED, Attendee.Rsvp.DELEGATED,
              Attendee.Rsvp.NEEDS_ACTION]


class Stale(Exception):
    """The meeting changed after the form was opened."""


@dataclass
class RoomState:
    room: Any
    counts: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    @property
    def state(self) -> str:
        live = self.counts[Booking.Status.CONFIRMED] + self.counts[Booking.Status.REQUESTED]
        if self.counts[Booking.Status.REJECTED] and not live:
            return "rejected"
        if self.counts[Booking.Status.REQUESTED]:
            return "requested"
        if self.counts[Booking.Status.REJECTED]:
            return "partly"
        return "confirmed" if live else "released"


@dataclass
class Person:
    """One attendee as the page shows it."""

    pk: int
    email: str
    display_name: str
    unit: str
    role: str
    rsvp: str
    rsvp_comment: str
    delivery: dict[str, Any] | None = None
    rsvp_label: str = ""
    delivery_label: str = ""
    delivery_class: str = ""
    delivery_error: str = ""
    delivery_when: str = ""


@dataclass
class UnitAnswers:
    name: str
    attendees: list[Person] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    summary: list[tuple[str, int]] = field(default_factory=list)
    rows_html: str = ""


def _load(meeting: Meeting) -> dict[str, Any]:
    """Everything the page shows, in a fixed number of queries whatever the size."""
    from integrations.calendar.models import Delivery
    from integrations.online.api import overall_state
    from integrations.online.models import OnlineRoom
    from minutes.models import Minutes

    occurrences = list(
        meeting.occurrences.order_by("start", "pk").prefetch_related(
            Prefetch("bookings", queryset=Booking.objects.select_related("room__unit").order_by("room__unit__name", "room__name")))
    )
    sittings = [o for o in occurrences if o.in_series or not o.is_cancelled]
    rooms: dict[int, RoomState] = {}
    for mr in MeetingRoom.objects.filter(meeting=meeting).select_related("room__unit"):
        rooms[mr.room_id] = RoomState(mr.room)
    now = timezone.now()
    for occ in sittings:
        occ.live_bookings = [b for b in occ.bookings.all() if b.status in (Booking.Status.CONFIRMED, Booking.Status.REQUESTED)]
        occ.refused = [b for b in occ.bookings.all() if b.status == Booking.Status.REJECTED]
        occ.moved = occ.start != occ.recurrence_id
        occ.past = occ.end <= now
        occ.when = vn_span(occ.start, occ.end)
        occ.moved_label = _("Đã dời (lịch cũ: %(d)s)") % {"d": vn_datetime(occ.recurrence_id)} if occ.moved else ""
        occ.state_label = (_("Đã hủy") if occ.is_cancelled else _("Đã họp") if occ.status == Occurrence.Status.HELD
                           else _("Đã qua") if occ.past else _("Sắp tới"))
        for b in occ.bookings.all():
            if b.status == Booking.Status.RELEASED:
                continue
            state = rooms.setdefault(b.room_id, RoomState(b.room))
            state.counts[b.status] += 1
            if b.status == Booking.Status.REJECTED and b.decision_note and b.decision_note not in state.notes:
                state.notes.append(b.decision_note)
    # Plain rows, not model instances: a 300-person briefing is the common case.
    attendees = [
        Person(pk, email, name or full_name or email, unit or "", role, rsvp, comment)
        for pk, email, name, full_name, unit, role, rsvp, comment in meeting.attendees.filter(is_active=True)
        .order_by("unit__name", "id")
        .values_list("pk", "email", "name", "user__full_name", "unit__short_name", "role", "rsvp", "rsvp_comment")
    ]
    units: dict[str, UnitAnswers] = {}
    outside = _("Khách mời ngoài")
    totals: Counter = Counter()
    for a in attendees:
        group = units.setdefault(a.unit or outside, UnitAnswers(a.unit or outside))
        group.attendees.append(a)
        group.counts[a.rsvp] += 1
        totals[a.rsvp] += 1
    deliveries: dict[int, Any] = {}
    delivery_counts: Counter = Counter()
    for row in Delivery.objects.filter(meeting=meeting).order_by("id").values(
            "attendee_id", "status", "kind", "sequence", "sent_at", "last_error", "first"):
        deliveries[row["attendee_id"]] = row  # the newest message per person
        delivery_counts[row["status"]] += 1
    for a in attendees:
        a.delivery = deliveries.get(a.pk)
    reached = sum(1 for a in attendees if a.delivery and a.delivery["status"] == Delivery.Status.SENT)
    _label_rows(attendees, list(units.values()))
    online = list(OnlineRoom.objects.filter(occurrence__meeting=meeting).order_by("occurrence__start"))
    online_by_occ = {r.occurrence_id: r for r in online}
    for occ in sittings:
        occ.online = online_by_occ.get(occ.pk)
    minutes = dict(Minutes.objects.filter(occurrence__meeting=meeting).values_list("occurrence_id", "status"))
    for occ in sittings:
        occ.minutes_state = minutes.get(occ.pk, "")
        occ.minutes_url = reverse("minutes:page", args=[occ.pk]) if occ.minutes_state or occ.past else ""
    history = list(AuditEntry.objects.filter(meeting=meeting).exclude(action__in=["booking.created", "booking.released"])
                   .select_related("actor").order_by("-at", "-id")[:60])
    return {
        "sittings": sittings, "rooms": list(rooms.values()), "units": list(units.values()), "totals": totals,
        "attendees": attendees, "delivery_counts": delivery_counts, "online_state": overall_state(meeting, online),
        "online_rooms": online, "minutes": minutes, "history": history, "unanswered": totals[Attendee.Rsvp.NEEDS_ACTION],
        "reached": reached,
    }


def _label_rows(attendees: list[Person], groups: list[UnitAnswers]) -> None:
    """Labels computed once per page, not once per row in the template (300 rows)."""
    from integrations.calendar.models import Delivery

    rsvp = {k: str(v) for k, v in Attendee.Rsvp.choices}
    states = {Delivery.Status.SENT: (_("Đã gửi"), "tag-ok"), Delivery.Status.FAILED: (_("Gửi lỗi"), "tag-bad")}
    waiting, never = (_("Đang gửi"), "tag-pending"), (_("Chưa gửi"), "")
    for a in attendees:
        a.rsvp_label = rsvp.get(a.rsvp, a.rsvp)
        d = a.delivery
        a.delivery_label, a.delivery_class = (states.get(d["status"], waiting) if d else never)
        a.delivery_error = d["last_error"][:120] if d and d["status"] == Delivery.Status.FAILED else ""
        a.delivery_when = vn_datetime(d["sent_at"]) if d and d["sent_at"] else ""
    e = html.escape  # the stdlib's: Django's escape() costs ~10x per call through its lazy-string checks
    person, answer, invite = e(_("Người được mời")), e(_("Trả lời")), e(_("Giấy mời"))
    chair = f' <span class="tag">{e(_("Chủ trì"))}</span>'
    optional = f' <span class="muted">({e(_("không bắt buộc"))})</span>'
    for g in groups:
        g.summary = [(rsvp[k], g.counts[k]) for k in RSVP_ORDER if g.counts[k]]
        # Rows built here rather than by the template engine: 300 rows cost tens of ms there.
        rows = []
        for a in g.attendees:
            role = chair if a.role == Attendee.Role.CHAIR else optional if a.role == Attendee.Role.OPTIONAL else ""
            comment = f'<br><span class="muted">{e(a.rsvp_comment)}</span>' if a.rsvp_comment else ""
            error = f" {e(a.delivery_error)}" if a.delivery_error else ""
            when = f' <span class="muted">{e(a.delivery_when)}</span>' if a.delivery_when else ""
            rows.append(
                f'<tr><td data-label="{person}">{e(a.display_name)}{role}<br><span class="muted">{e(a.email)}</span></td>'
                f'<td data-label="{answer}">{e(a.rsvp_label)}{comment}</td>'
                f'<td data-label="{invite}"><span class="tag {a.delivery_class}">{e(a.delivery_label)}</span>{error}{when}</td></tr>'
            )
        g.rows_html = mark_safe("\n".join(rows))  # noqa: S308 - every value is escaped above

@login_required
def meeting_detail(request: HttpRequest, uid: str) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, uid)
    editor = can_edit_meeting(request.user, meeting)
    ctx = {"meeting": meeting, "editor": editor, "rsvp_order": RSVP_ORDER,
           "rsvp_labels": dict(Attendee.Rsvp.choices), **_load(meeting)}
    ctx["host"] = editor or meeting.chair_id == request.user.pk
    ctx["host_url"] = reverse("online-start-as-host", args=[meeting.uid])
    if meeting.sensitivity == Meeting.Sensitivity.CONFIDENTIAL and not editor:
        ctx["history"] = []
    return render(request, "meetings/detail.html", ctx)


@login_required
def meeting_deliveries(request: HttpRequest, uid: str) -> HttpResponse:
    """The whole delivery log (every message to every person), loaded on demand."""
    from integrations.calendar.models import Delivery

    meeting = get_meeting_for_user(request.user, uid, edit=True)
    rows = (Delivery.objects.filter(meeting=meeting).select_related("attendee", "occurrence")
            .order_by("attendee__email", "-id")[:2000])
    return render(request, "meetings/partials/deliveries.html", {"rows": rows, "meeting": meeting})


def _stale_message(request: HttpRequest) -> None:
    messages.error(request, _("Cuộc họp đã được thay đổi sau khi bạn mở trang này. Đây là thông tin mới nhất; "
                              "hãy kiểm tra rồi làm lại nếu vẫn cần."))


@login_required
@require_http_methods(["GET", "POST"])
def meeting_move(request: HttpRequest, uid: str) -> HttpResponse:
    """Move a sitting: GET occurrence=<id>&start=&end= prefill it (the calendar's drag and drop)."""
    meeting = get_meeting_for_user(request.user, uid, edit=True)
    occs = meeting.occurrences.filter(in_series=True).exclude(status=Occurrence.Status.CANCELLED)
    source = request.POST if request.method == "POST" else request.GET
    occurrence = chosen_occurrence(occs, source, otherwise=occs.filter(end__gt=timezone.now()))
    if occurrence is None:
        messages.error(request, _("Không tìm thấy buổi họp cần dời (có thể đã bị hủy)."))
        return redirect("meeting_detail", uid=meeting.uid)
    recurring = bool(meeting.rrule)
    if request.method == "POST":
        form = MoveForm(request.POST, recurring=recurring)
        if form.is_valid():
            try:
                result = _move(request, meeting, occurrence, form.cleaned_data)
            except Stale:
                _stale_message(request)
                return redirect("meeting_detail", uid=meeting.uid)
            except (ActionError, BookingConflict, Forbidden) as exc:
                _put(form, exc)
            else:
                messages.success(request, _("Đã dời lịch họp; người được mời sẽ nhận thư báo thay đổi."))
                return redirect("meeting_detail", uid=result.uid)
    else:
        start = parse_local(request.GET.get("start")) or occurrence.start
        end = parse_local(request.GET.get("end")) or (start + (occurrence.end - occurrence.start))
        form = MoveForm(initial={"occurrence": occurrence.pk, "start": timezone.localtime(start), "end": timezone.localtime(end),
                                 "version": version_of(meeting), "scope": Scope.OCCURRENCE if recurring else Scope.ALL},
                        recurring=recurring)
    return render(request, "meetings/move.html", {"meeting": meeting, "occurrence": occurrence, "form": form})


@login_required
@require_POST
def meeting_move_check(request: HttpRequest, uid: str) -> HttpResponse:
    """Before moving: do the sitting's rooms and people have the new time free?"""
    from meetings.web import checks

    meeting = get_meeting_for_user(request.user, uid, edit=True)
    occurrence = chosen_occurrence(meeting.occurrences.all(), request.POST)
    form = MoveForm(request.POST, recurring=bool(meeting.rrule))
    dates = []
    if occurrence is not None and form.is_valid():
        d = form.cleaned_data
        rooms = [b.room for b in occurrence.bookings.filter(status__in=[Booking.Status.CONFIRMED, Booking.Status.REQUESTED])
                 .select_related("room__unit")]
        people = list(meeting.attendees.filter(is_active=True, user__isnull=False).values_list("user_id", flat=True))
        dates = checks.series_checks([d["start"]], d["end"] - d["start"], rooms, people, exclude=meeting)
    return render(request, "meetings/partials/checks.html", {"dates": dates, "clashing": sum(1 for x in dates if not x.ok),
                                                             "errors": form.errors})


def _move(request: HttpRequest, meeting: Meeting, occ: Occurrence, d: dict[str, Any]) -> Meeting:
    scope = d["scope"] if meeting.rrule else Scope.ALL
    start, end = d["start"], d["end"]
    with transaction.atomic():
        # Checked under the meeting's lock: nobody changes it between the check and the move.
        locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if d.get("version") and d["version"] != version_of(locked):
            raise Stale
        if scope == Scope.OCCURRENCE:
            result = actions.update_meeting(request.user, meeting, {"start": start, "end": end}, scope=scope, occurrence=occ)
        else:
            delta = start - occ.start
            first = occ.recurrence_id + delta if scope == Scope.FOLLOWING else meeting.start + delta
            result = actions.update_meeting(request.user, meeting, {"start": first, "end": first + (end - start)},
                                            scope=scope, occurrence=occ if scope == Scope.FOLLOWING else None)
        if d.get("reason", "").strip():
            audit.record(request.user, "meeting.change_reason", result, None, {"reason": d["reason"].strip(), "scope": scope}, result)
    return result


MOVE_FIELDS = {"start": "start", "end": "end", "scope": "scope", "occurrence": "start", "is_urgent": "start",
               "reason": "reason"}


def _put(form: Any, exc: Exception) -> None:
    put_action_error(form, exc, clash_field="start", fields=MOVE_FIELDS)


@login_required
@require_http_methods(["GET", "POST"])
def meeting_cancel(request: HttpRequest, uid: str) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, uid, edit=True)
    if meeting.status == Meeting.Status.CANCELLED:
        messages.info(request, _("Cuộc họp đã bị hủy trước đó."))
        return redirect("meeting_detail", uid=meeting.uid)
    recurring = bool(meeting.rrule)
    source = request.POST if request.method == "POST" else request.GET
    occurrence = chosen_occurrence(meeting.occurrences.filter(in_series=True), source)
    if request.method == "POST":
        form = CancelForm(request.POST, recurring=recurring)
        if form.is_valid():
            scope = form.cleaned_data["scope"] if recurring else Scope.ALL
            if form.cleaned_data.get("version") and form.cleaned_data["version"] != version_of(meeting):
                _stale_message(request)
                return redirect("meeting_detail", uid=meeting.uid)
            if scope != Scope.ALL and occurrence is None:
                form.add_error("scope", _("Hãy chọn buổi họp cần hủy từ trang cuộc họp."))
            else:
                try:
                    actions.cancel_meeting(request.user, meeting, scope=scope, occurrence=occurrence,
                                           reason=form.cleaned_data["reason"])
                except ActionError as exc:
                    form.add_error("scope" if exc.field in ("scope", "occurrence") else None, exc.message)
                else:
                    messages.success(request, _("Đã hủy; người được mời sẽ nhận thư báo hủy."))
                    return redirect("meeting_detail", uid=meeting.uid)
    else:
        form = CancelForm(initial={"occurrence": occurrence.pk if occurrence else None, "version": version_of(meeting),
                                   "scope": Scope.OCCURRENCE if recurring and occurrence else Scope.ALL},
                          recurring=recurring)
    return render(request, "meetings/cancel.html", {"meeting": meeting, "occurrence": occurrence, "form": form})


@login_required
@require_POST
def meeting_publish(request: HttpRequest, uid: str) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, uid, edit=True)
    try:
        actions.publish_meeting(request.user, meeting)
    except (ActionError, BookingConflict) as exc:
        messages.error(request, getattr(exc, "message", str(exc)))
    else:
        messages.success(request, _("Đã gửi giấy mời."))
    return redirect("meeting_detail", uid=meeting.uid)


@login_required
@require_POST
def meeting_remind(request: HttpRequest, uid: str) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, uid, edit=True)
    count = remind.remind_unanswered(request.user, meeting)
    if count is None:
        messages.info(request, _("Đã nhắc trong %(m)s phút vừa qua; chưa nhắc lại.") % {"m": remind.QUIET_MINUTES})
    elif count:
        messages.success(request, _("Đã gửi thư nhắc tới %(n)s người chưa trả lời.") % {"n": count})
    else:
        messages.info(request, _("Mọi người đã trả lời."))
    return redirect("meeting_detail", uid=meeting.uid)


@login_required
@require_POST
def meeting_online_retry(request: HttpRequest, uid: str) -> HttpResponse:
    """Try failed online rooms again (as the API's retry)."""
    from integrations.online import lifecycle
    from meetings import outbox
    from meetings.models import OutboxMessage

    meeting = get_meeting_for_user(request.user, uid, edit=True)
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().select_related("organizing_unit").get(pk=meeting.pk)
        if lifecycle.plan_meeting(locked):
            outbox.put([OutboxMessage(topic=lifecycle.TOPIC, meeting=locked, payload={"event": "retry"})])
    messages.success(request, _("Đang tạo lại phòng họp trực tuyến."))
    return redirect("meeting_detail", uid=meeting.uid)
