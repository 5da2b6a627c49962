"""The composer: one page to book a meeting (or edit one), with htmx partials that refresh
the room finder, the attendee rows and the checks as the secretary types."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.models import User
from meetings import actions, audit
from meetings.actions import ActionError, Forbidden, Scope
from meetings.booking import BookingConflict
from meetings.models import Meeting, Room, Unit
from meetings.permissions import get_meeting_for_user
from meetings.web import checks, once
from meetings.web.forms import (
    FIELD_MAP,
    ComposerForm,
    PersonRow,
    attendee_rows,
    bookable_units,
    check_email,
    default_start,
    first_units,
    initial_for,
    parse_local,
    representatives,
    version_of,
)
from meetings.web.helpers import put_action_error


def _require_booker(user: User) -> Any:
    units = bookable_units(user)
    if not units.exists():
        raise PermissionDenied(_("Chỉ thư ký hoặc quản trị đơn vị mới đặt được lịch họp."))
    return units


def put_errors(form: ComposerForm, exc: Exception) -> None:
    """An action's refusal, next to the field it concerns (a room clash next to the rooms)."""
    put_action_error(form, exc, clash_field="rooms", fields=FIELD_MAP)


def _context(request: HttpRequest, form: ComposerForm, meeting: Meeting | None = None, **extra: Any) -> dict[str, Any]:
    rows: list[PersonRow] = form.person_rows if form.is_bound else (attendee_rows(meeting) if meeting else [])
    start = form.cleaned_data.get("start") if form.is_bound and hasattr(form, "cleaned_data") else form.initial.get("start")
    return {
        "form": form, "meeting": meeting, "rows": rows, "urgent_needed": checks.urgent_needed(start),
        "units_for_invite": Unit.objects.active().order_by("parent_id", "name"), "is_edit": meeting is not None,
        "recurring": bool(meeting and meeting.rrule), **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def composer(request: HttpRequest) -> HttpResponse:
    """New meeting. GET start=2026-12-08T09:00&end=…&room=<id> prefill it (the calendar's empty slots)."""
    units = _require_booker(request.user)
    if request.method == "POST":
        form = ComposerForm(request.POST, user=request.user)
        if form.is_valid():
            response = _create(request, form)
            if response is not None:
                return response
        return render(request, "meetings/composer.html", _context(request, form), status=200)
    start = parse_local(request.GET.get("start")) or default_start()
    end = parse_local(request.GET.get("end"))
    if end is None or end <= start:
        end = start + timedelta(hours=1)
    initial: dict[str, Any] = {"token": once.new_token(), "start": timezone.localtime(start), "end": timezone.localtime(end),
                               "organizing_unit": units.first(), "repeat_end": "count", "count": 4}
    room = Room.objects.active().filter(pk=request.GET.get("room") or 0).first() if (request.GET.get("room") or "").isdigit() else None
    if room is not None:
        initial["rooms"] = [room.pk]
    form = ComposerForm(initial=initial, user=request.user)
    return render(request, "meetings/composer.html", _context(request, form))


def _create(request: HttpRequest, form: ComposerForm) -> HttpResponse | None:
    user = request.user
    token = form.cleaned_data["token"]
    if not once.claim(user.pk, token):
        uid = once.result_of(user.pk, token)
        if uid:
            return redirect("meeting_detail", uid=uid)
        form.add_error(None, _("Yêu cầu trước của bạn với biểu mẫu này chưa xong hoặc đã lỗi; hãy kiểm tra danh sách cuộc họp trước khi gửi lại."))
        return None
    draft = request.POST.get("intent") == "draft"
    data = form.meeting_input(draft=draft)
    if not checks.urgent_needed(data.start):
        data.is_urgent, data.urgent_reason = False, ""
    try:
        meeting = actions.create_meeting(user, data)
    except (ActionError, BookingConflict, Forbidden) as exc:
        once.release(user.pk, token)
        put_errors(form, exc)
        return None
    once.done(user.pk, token, str(meeting.uid))
    messages.success(request, _("Đã lưu bản nháp.") if draft else _("Đã đặt lịch họp và gửi giấy mời."))
    return redirect("meeting_detail", uid=meeting.uid)


def _stale(form: ComposerForm | Any, meeting: Meeting) -> bool:
    sent = form.data.get("version", "") if form.is_bound else ""
    return bool(sent) and sent != version_of(meeting)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, uid: str) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, uid, edit=True)
    if meeting.status == Meeting.Status.CANCELLED:
        messages.error(request, _("Cuộc họp đã bị hủy, không thể sửa."))
        return redirect("meeting_detail", uid=meeting.uid)
    if request.method == "POST":
        form = ComposerForm(request.POST, user=request.user, meeting=meeting)
        if form.is_valid():
            token = form.cleaned_data["token"]
            if not once.claim(request.user.pk, token):
                # A double click: the first request saved; show its result, not a "stale" warning.
                uid = once.result_of(request.user.pk, token)
                if uid:
                    return redirect("meeting_detail", uid=uid)
            else:
                saved = _update(request, form, meeting)
                if saved is not None:
                    once.done(request.user.pk, token, str(saved.uid))
                    return redirect("meeting_detail", uid=saved.uid)
                once.release(request.user.pk, token)
        meeting.refresh_from_db()
        stale = _stale(form, meeting)
        if stale:
            # Show the new state; the next save is a deliberate overwrite of it.
            data = form.data.copy()
            data["version"] = version_of(meeting)
            form.data = data
        return render(request, "meetings/composer.html", _context(request, form, meeting, stale=stale))
    initial = {**initial_for(meeting), "token": once.new_token()}
    occurrence = request.GET.get("occurrence")
    if occurrence and occurrence.isdigit():
        occ = meeting.occurrences.filter(pk=int(occurrence), in_series=True).first()
        if occ is not None and meeting.rrule:
            initial.update(occurrence=occ.pk, scope=Scope.OCCURRENCE, start=timezone.localtime(occ.start),
                           end=timezone.localtime(occ.end))
    form = ComposerForm(initial=initial, user=request.user, meeting=meeting)
    return render(request, "meetings/composer.html", _context(request, form, meeting))


def _update(request: HttpRequest, form: ComposerForm, meeting: Meeting) -> Meeting | None:
    """Apply the form to the meeting; the meeting to show (a split makes a new one) or None."""
    user = request.user
    d = form.cleaned_data
    scope = d.get("scope") or Scope.ALL
    if not meeting.rrule:
        scope = Scope.ALL
    occurrence = None
    if scope != Scope.ALL:
        occurrence = meeting.occurrences.filter(pk=d.get("occurrence") or 0, in_series=True).first()
        if occurrence is None:
            form.add_error("scope", _("Hãy mở trang sửa từ một buổi họp cụ thể để chọn phạm vi này."))
            return None
    base = None
    if occurrence is not None:
        base = (occurrence.start, occurrence.end) if scope == Scope.OCCURRENCE else (
            occurrence.recurrence_id, occurrence.recurrence_id + meeting.duration)
    changes = form.changes(base)
    if scope == Scope.OCCURRENCE and set(changes) - actions.OCCURRENCE_FIELDS:
        form.add_error("scope", _("Với “chỉ buổi này” chỉ đổi được thời gian và phòng. Để đổi nội dung khác, "
                                  "chọn “buổi này và các buổi sau” hoặc “cả chuỗi”."))
        return None
    if "is_urgent" in changes and not checks.urgent_needed(form.times()[0]):
        changes.pop("is_urgent"), changes.pop("urgent_reason", None)
    publish = request.POST.get("intent") == "publish" and meeting.status == Meeting.Status.DRAFT
    try:
        with transaction.atomic():
            locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
            if _stale(form, locked):
                form.add_error(None, _("Cuộc họp đã được người khác thay đổi sau khi bạn mở trang này. "
                                       "Thông tin mới nhất hiện bên dưới; kiểm tra lại rồi lưu nếu vẫn muốn thay đổi."))
                return None
            result = meeting
            if changes:
                result = actions.update_meeting(user, meeting, changes, scope=scope, occurrence=occurrence)
                if d.get("reason", "").strip():
                    audit.record(user, "meeting.change_reason", result, None, {"reason": d["reason"].strip(), "scope": scope}, result)
            if publish:
                # update_meeting books rooms when a draft's time changes; publishing books
                # them again, so the draft gives those back first.
                actions.release_draft_rooms(user, result)
                result = actions.publish_meeting(user, result)
    except (ActionError, BookingConflict, Forbidden) as exc:
        put_errors(form, exc)
        return None
    if publish:
        messages.success(request, _("Đã gửi giấy mời."))
    elif changes:
        messages.success(request, _("Đã lưu thay đổi."))
    else:
        messages.info(request, _("Không có gì thay đổi."))
    return result


# --- partials -------------------------------------------------------------------------------


def _partial_form(
    request: HttpRequest,
) -> tuple[ComposerForm, Meeting | None, dict[str, Any], datetime | None, datetime | None]:
    """A composer partial's input, for secretaries only: the form (partial input: what is valid
    is used), the meeting being edited, the valid values, and the start and end when given."""
    _require_booker(request.user)
    data: QueryDict = request.POST if request.method == "POST" else request.GET
    meeting = None
    if data.get("meeting"):
        meeting = get_meeting_for_user(request.user, data["meeting"], edit=True)
    form = ComposerForm(data, user=request.user, meeting=meeting)
    form.is_valid()
    d = form.cleaned_data
    start, end = form.times() if d.get("start") else (None, None)
    return form, meeting, d, start, end


@login_required
@require_http_methods(["GET", "POST"])
def rooms_partial(request: HttpRequest) -> HttpResponse:
    """The room finder: free and busy rooms per unit for the time and the number of people."""
    form, meeting, d, start, end = _partial_form(request)
    selected = {r.pk for r in d.get("rooms") or []}
    ctx: dict[str, Any] = {"form": form, "selected": selected, "groups": [], "start": start, "end": end}
    if start and end and end > start:
        people = d.get("people") or max(len(form.person_rows) + (1 if d.get("chair") else 0), 1)
        only = request.GET.get("finder_unit") or request.POST.get("finder_unit")
        unit = d.get("organizing_unit") or (meeting.organizing_unit if meeting else None)
        ctx["groups"] = checks.room_finder(request.user, unit, start, end, people, d.get("equipment") or [],
                                           int(only) if only and only.isdigit() else None, selected)
        ctx["people"] = people
        if meeting is not None:
            # The meeting's own rooms are "busy" with itself: show them as free.
            own = {mr.room_id for mr in meeting.room_choices.all()}
            for g in ctx["groups"]:
                g.rooms = [(r, free or r.pk in own) for r, free in g.rooms]
        checks.rooms_html(ctx["groups"], selected)
        listed = {r.pk for g in ctx["groups"] for r, _free in g.rooms}
        ctx["selected_missing"] = [r for r in d.get("rooms") or [] if r.pk not in listed]
    return render(request, "meetings/partials/room_finder.html", ctx)


@login_required
@require_http_methods(["GET", "POST"])
def checks_partial(request: HttpRequest) -> HttpResponse:
    """Dates of the series with clashes, busy attendees, and whether the urgent flag is needed."""
    form, meeting, d, start, end = _partial_form(request)
    ctx: dict[str, Any] = {"form": form, "dates": [], "errors": form.errors}
    if start and end and end > start and not ({"repeat", "count", "until", "weekdays"} & set(form.errors)):
        starts = form.occurrence_starts()
        user_ids = [r.user.pk for r in form.person_rows if r.user is not None]
        if d.get("chair"):
            user_ids.append(d["chair"].pk)
        ctx["dates"] = checks.series_checks(starts, end - start, list(d.get("rooms") or []), user_ids, exclude=meeting)
        ctx["clashing"] = sum(1 for x in ctx["dates"] if not x.ok)
        ctx["urgent_needed"] = checks.urgent_needed(start)
        if ctx["urgent_needed"]:
            ctx["deadline"] = checks.invitation_deadline(start)
    return render(request, "meetings/partials/checks.html", ctx)


@login_required
def people_partial(request: HttpRequest) -> HttpResponse:
    """Autocomplete over the directory: name or e-mail contains the typed text."""
    _require_booker(request.user)
    q = (request.GET.get("q") or "").strip()
    people: list[User] = []
    if len(q) >= 2:
        from django.db.models import Q

        people = list(User.objects.filter(is_active=True).filter(Q(full_name__icontains=q) | Q(email__icontains=q))
                      .order_by("full_name")[:10])
    units = first_units(people)
    return render(request, "meetings/partials/people.html",
                  {"people": [(p, units.get(p.pk)) for p in people], "q": q})


@login_required
def rows_partial(request: HttpRequest) -> HttpResponse:
    """Attendee rows to append: a person (user=), the representatives of units (units=), or an
    outside address (email=). Rows already in the list (attendee=) are not repeated."""
    _require_booker(request.user)
    present = set(request.GET.getlist("attendee"))
    rows: list[PersonRow] = []
    if request.GET.get("email") is not None:
        try:
            email = check_email(request.GET["email"])
        except ValidationError as exc:
            response = render(request, "meetings/partials/email_error.html", {"message": exc.messages[0]})
            response["HX-Retarget"] = "#email-error"
            response["HX-Reswap"] = "innerHTML"
            return response
        user = User.objects.filter(email__iexact=email, is_active=True).first()
        if user is not None:
            rows = [PersonRow(f"u:{user.pk}", email, user.full_name, first_units([user]).get(user.pk), "required", user)]
        else:
            rows = [PersonRow(f"e:{email}", email, "", None, "required")]
    elif request.GET.get("user", "").isdigit():
        user = User.objects.filter(pk=request.GET["user"], is_active=True).first()
        if user is not None:
            rows = [PersonRow(f"u:{user.pk}", user.email.lower(), user.full_name, first_units([user]).get(user.pk), "required", user)]
    else:
        ids = [int(x) for x in request.GET.getlist("units") if x.isdigit()]
        rows = representatives(ids) if ids else []
    fresh = [r for r in rows if r.key not in present and f"e:{r.email}" not in present]
    response = render(request, "meetings/partials/attendee_rows.html", {"rows": fresh})
    response["HX-Trigger"] = "attendees-changed"
    return response
