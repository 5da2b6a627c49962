"""Forms of the secretary's pages. They check what a form can check (types, times, e-mail
addresses, the recurrence's size) with Vietnamese messages next to each field, and build the
named actions' inputs; the rules of booking stay in meetings.actions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from meetings import recurrence
from meetings.actions import AttendeeInput, MeetingInput, RoomChoice, Scope
from meetings.models import Attendee, Equipment, Meeting, Membership, Room, Unit, equipment_label

LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M"]
WEEKDAYS = [("MO", gettext_lazy("Thứ Hai")), ("TU", gettext_lazy("Thứ Ba")), ("WE", gettext_lazy("Thứ Tư")), ("TH", gettext_lazy("Thứ Năm")),
            ("FR", gettext_lazy("Thứ Sáu")), ("SA", gettext_lazy("Thứ Bảy")), ("SU", gettext_lazy("Chủ Nhật"))]
REPEAT = [("", gettext_lazy("Không lặp lại")), ("DAILY", gettext_lazy("Hằng ngày")), ("WEEKLY", gettext_lazy("Hằng tuần")),
          ("MONTHLY", gettext_lazy("Hằng tháng"))]
SCOPES = [(Scope.OCCURRENCE, gettext_lazy("Chỉ buổi này")), (Scope.FOLLOWING, gettext_lazy("Buổi này và các buổi sau")),
          (Scope.ALL, gettext_lazy("Cả chuỗi"))]
ROLES = [(Attendee.Role.REQUIRED, gettext_lazy("Bắt buộc")), (Attendee.Role.OPTIONAL, gettext_lazy("Không bắt buộc"))]
# ActionError.field → the form field the message belongs next to.
FIELD_MAP = {
    "title": "title", "start": "start", "end": "end", "rrule": "repeat", "skip": "repeat",
    "is_urgent": "is_urgent", "urgent_reason": "urgent_reason", "rooms": "rooms", "attendees": "attendees",
    "online_details": "online_url", "online_provider": "online_provider", "chair": "chair", "scope": "scope",
    "mode": "mode", "sensitivity": "sensitivity", "agenda": "agenda",
}
_email = EmailValidator()
_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")


class LocalDateTimeField(forms.DateTimeField):
    """A datetime-local input read in the site's time zone (Asia/Ho_Chi_Minh)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    input_formats = LOCAL_FORMATS
    default_error_messages = {"invalid": gettext_lazy("Nhập ngày giờ theo dạng ngày/tháng/năm giờ:phút.")}


def parse_local(value: str | None) -> datetime | None:
    """A GET parameter like 2026-12-08T09:00 (local time) as an aware datetime, or None."""
    if not value:
        return None
    for fmt in LOCAL_FORMATS:
        try:
            naive = datetime.strptime(value.strip()[:19], fmt)
        except ValueError:
            continue
        return timezone.make_aware(naive, timezone.get_default_timezone())
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, timezone.get_default_timezone())


def check_email(raw: str) -> str:
    """A clean lower-case address, or ValidationError with a sentence a secretary understands."""
    value = raw.strip()
    if _CONTROL.search(value):
        raise ValidationError(_("Địa chỉ e-mail không được chứa dấu cách hay xuống dòng: “%(e)s”.") % {"e": value[:80]})
    try:
        _email(value)
    except ValidationError:
        raise ValidationError(
            _("“%(e)s” không phải địa chỉ e-mail hợp lệ (ví dụ đúng: ten@soyte.gov.vn).") % {"e": value[:80]}
        ) from None
    return value.lower()


@dataclass
class PersonRow:
    """One line of the attendee list: a person of the directory or an outside address."""

    key: str  # "u:<user id>" or "e:<email>"
    email: str
    name: str
    unit: Unit | None
    role: str
    user: User | None = None

    def as_input(self) -> AttendeeInput:
        return AttendeeInput(email=self.email, name=self.name, user=self.user, unit=self.unit, role=self.role)


def rows_from_keys(keys: list[str], roles: list[str]) -> tuple[list[PersonRow], list[str]]:
    """Attendee rows from the posted keys (two queries), and error sentences."""
    errors: list[str] = []
    user_ids = []
    for key in keys:
        if key.startswith("u:") and key[2:].isdigit():
            user_ids.append(int(key[2:]))
    users = {u.pk: u for u in User.objects.filter(pk__in=user_ids, is_active=True)}
    units = first_units(list(users.values()))
    rows: list[PersonRow] = []
    seen: set[str] = set()
    for i, key in enumerate(keys):
        role = roles[i] if i < len(roles) and roles[i] in dict(ROLES) else Attendee.Role.REQUIRED
        if key.startswith("u:") and key[2:].isdigit():
            user = users.get(int(key[2:]))
            if user is None:
                errors.append(_("Một người trong danh sách không còn trong danh bạ; hãy bỏ dòng đó."))
                continue
            row = PersonRow(key, user.email.lower(), user.full_name, units.get(user.pk), role, user)
        elif key.startswith("e:"):
            try:
                email = check_email(key[2:])
            except ValidationError as exc:
                errors.extend(exc.messages)
                continue
            row = PersonRow("e:" + email, email, "", None, role)
        else:
            errors.append(_("Danh sách thành phần mời có một dòng không đọc được."))
            continue
        if row.email in seen:
            continue  # the same person added twice (by unit and by name): invite once
        seen.add(row.email)
        rows.append(row)
    return rows, errors


def first_units(users: list[User]) -> dict[int, Unit]:
    """Each user's first unit (one query)."""
    result: dict[int, Unit] = {}
    if users:
        for m in Membership.objects.filter(user__in=users).select_related("unit").order_by("id"):
            result.setdefault(m.user_id, m.unit)
    return result


def representatives(unit_ids: list[int]) -> list[PersonRow]:
    """Who represents a unit at a meeting: its leaders, else its secretaries (one query)."""
    members = (
        Membership.objects.filter(unit_id__in=unit_ids, unit__is_active=True, user__is_active=True,
                                  role__in=[Membership.Role.LEADER, Membership.Role.SECRETARY])
        .select_related("user", "unit").order_by("unit__name", "role", "user__full_name")
    )
    by_unit: dict[int, dict[str, list[Membership]]] = {}
    for m in members:
        by_unit.setdefault(m.unit_id, {}).setdefault(m.role, []).append(m)
    rows = []
    for roles in by_unit.values():
        chosen = roles.get(Membership.Role.LEADER) or roles.get(Membership.Role.SECRETARY) or []
        rows += [PersonRow(f"u:{m.user_id}", m.user.email.lower(), m.user.full_name, m.unit, Attendee.Role.REQUIRED, m.user)
                 for m in chosen]
    return rows


class ComposerForm(forms.Form):
    """The composer: one form for a new meeting and for editing one."""

    token = forms.CharField(widget=forms.HiddenInput)
    version = forms.CharField(widget=forms.HiddenInput, required=False)
    organizing_unit = forms.ModelChoiceField(queryset=Unit.objects.none(), label=gettext_lazy("Đơn vị tổ chức"),
                                             empty_label=None)
    title = forms.CharField(label=gettext_lazy("Tiêu đề"), max_length=300,
                            error_messages={"required": gettext_lazy("Cuộc họp cần có tiêu đề.")})
    agenda = forms.CharField(label=gettext_lazy("Nội dung, chương trình"), required=False,
                             widget=forms.Textarea(attrs={"rows": 4}), max_length=20000)
    chair = forms.ModelChoiceField(queryset=User.objects.none(), label=gettext_lazy("Chủ trì"), required=False,
                                   empty_label=gettext_lazy("— Chưa chọn —"))
    start = LocalDateTimeField(label=gettext_lazy("Bắt đầu"), error_messages={"required": gettext_lazy("Chọn ngày giờ bắt đầu.")})
    end = LocalDateTimeField(label=gettext_lazy("Kết thúc"), required=False)
    duration = forms.TypedChoiceField(
        label=gettext_lazy("hoặc thời lượng"), required=False, coerce=int, empty_value=None,
        choices=[("", "—"), (30, gettext_lazy("30 phút")), (60, gettext_lazy("1 giờ")), (90, gettext_lazy("1 giờ 30")),
                 (120, gettext_lazy("2 giờ")), (180, gettext_lazy("3 giờ")), (240, gettext_lazy("4 giờ"))])
    mode = forms.ChoiceField(label=gettext_lazy("Hình thức"), choices=Meeting.Mode.choices, widget=forms.RadioSelect,
                             initial=Meeting.Mode.IN_PERSON)
    online_provider = forms.ChoiceField(label=gettext_lazy("Phòng họp trực tuyến"), required=False)
    online_url = forms.CharField(label=gettext_lazy("Đường link tham gia"), required=False, max_length=1000)
    online_dial_in = forms.CharField(label=gettext_lazy("Quay số / điểm cầu"), required=False, max_length=500)
    online_passcode = forms.CharField(label=gettext_lazy("Mật mã"), required=False, max_length=64)
    sensitivity = forms.ChoiceField(label=gettext_lazy("Mức độ"), choices=Meeting.Sensitivity.choices,
                                    initial=Meeting.Sensitivity.NORMAL)
    people = forms.IntegerField(label=gettext_lazy("Số người dự kiến"), required=False, min_value=1, max_value=5000,
                                error_messages={"min_value": gettext_lazy("Ít nhất 1 người."),
                                                "max_value": gettext_lazy("Tối đa 5000 người.")})
    equipment = forms.MultipleChoiceField(label=gettext_lazy("Thiết bị cần có"), required=False,
                                          widget=forms.CheckboxSelectMultiple)
    rooms = forms.ModelMultipleChoiceField(
        queryset=Room.objects.none(), required=False, label=gettext_lazy("Phòng"),
        error_messages={"invalid_choice": gettext_lazy("Phòng đã chọn không còn sử dụng."),
                        "invalid_pk_value": gettext_lazy("Phòng đã chọn không hợp lệ.")})
    attendees = forms.CharField(required=False, widget=forms.HiddenInput)  # errors only; rows are posted apart
    repeat = forms.ChoiceField(label=gettext_lazy("Lặp lại"), choices=REPEAT, required=False)
    weekdays = forms.MultipleChoiceField(label=gettext_lazy("Vào các ngày"), choices=WEEKDAYS, required=False,
                                         widget=forms.CheckboxSelectMultiple)
    repeat_end = forms.ChoiceField(label=gettext_lazy("Kết thúc chuỗi"), required=False, widget=forms.RadioSelect,
                                   choices=[("count", gettext_lazy("Sau số buổi")), ("until", gettext_lazy("Đến ngày"))],
                                   initial="count")
    count = forms.IntegerField(label=gettext_lazy("Số buổi"), required=False, min_value=2,
                               error_messages={"min_value": gettext_lazy("Một chuỗi có ít nhất 2 buổi.")})
    until = forms.DateField(label=gettext_lazy("Đến ngày"), required=False, input_formats=["%Y-%m-%d", "%d/%m/%Y"],
                            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                            error_messages={"invalid": gettext_lazy("Nhập ngày theo dạng ngày/tháng/năm.")})
    is_urgent = forms.BooleanField(label=gettext_lazy("Họp khẩn (gửi giấy mời muộn hơn quy định)"), required=False)
    urgent_reason = forms.CharField(label=gettext_lazy("Lý do họp khẩn"), required=False, max_length=2000,
                                    widget=forms.Textarea(attrs={"rows": 2}))
    # Editing only.
    scope = forms.ChoiceField(label=gettext_lazy("Áp dụng cho"), choices=SCOPES, required=False, widget=forms.RadioSelect)
    occurrence = forms.IntegerField(required=False, widget=forms.HiddenInput)
    reason = forms.CharField(label=gettext_lazy("Lý do thay đổi"), required=False, max_length=2000)

    def __init__(self, *args: Any, user: User, meeting: Meeting | None = None, now: datetime | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from integrations.online import registry

        self.user = user
        self.meeting = meeting
        self.now = now or timezone.now()
        units = bookable_units(user)
        self.fields["organizing_unit"].queryset = units
        if meeting is not None:
            self.fields["organizing_unit"].disabled = True
            self.initial.setdefault("organizing_unit", meeting.organizing_unit_id)
            self.fields["organizing_unit"].queryset = Unit.objects.filter(pk=meeting.organizing_unit_id)
        # Who may chair: leaders of any unit and the people of the units this user books for
        # (plus the current chair), not the whole directory in one <select>.
        from django.db.models import Q

        own = Q(memberships__unit__in=units) | Q(memberships__role=Membership.Role.LEADER)
        if meeting is not None and meeting.chair_id:
            own |= Q(pk=meeting.chair_id)
        self.fields["chair"].queryset = User.objects.filter(is_active=True).filter(own).distinct().order_by("full_name")
        self.fields["rooms"].queryset = Room.objects.active().select_related("unit")
        # Evaluated only when rendered or when equipment is asked for (the finder runs often).
        self.fields["equipment"].choices = lambda: [
            (slug, equipment_label(slug, name)) for slug, name in Equipment.objects.values_list("slug", "name")]
        self.fields["online_provider"].choices = [("", _("Mặc định của đơn vị"))] + [
            (k, str(registry.get(k).label)) for k in registry.provider_keys()]
        keys = self.data.getlist("attendee") if hasattr(self.data, "getlist") else []
        roles = self.data.getlist("attendee_role") if hasattr(self.data, "getlist") else []
        self.person_rows, self.person_errors = rows_from_keys(keys, roles) if self.is_bound else ([], [])

    # --- derived values --------------------------------------------------------------

    def times(self) -> tuple[datetime | None, datetime | None]:
        d = self.cleaned_data
        start, end = d.get("start"), d.get("end")
        if start and not end and d.get("duration"):
            end = start + timedelta(minutes=d["duration"])
        return start, end

    def rrule(self) -> str:
        d = self.cleaned_data
        freq = d.get("repeat")
        if not freq:
            return ""
        parts = [f"FREQ={freq}"]
        if freq == "WEEKLY":
            days = d.get("weekdays") or [WEEKDAYS[d["start"].astimezone(timezone.get_default_timezone()).weekday()][0]]
            parts.append("BYDAY=" + ",".join(k for k, _label in WEEKDAYS if k in days))
        if d.get("repeat_end") == "until" and d.get("until"):
            parts.append("UNTIL=" + d["until"].strftime("%Y%m%d"))
        else:
            parts.append(f"COUNT={d.get('count') or 0}")
        return ";".join(parts)

    def occurrence_starts(self) -> list[datetime]:
        """The dates of the series (validated in clean())."""
        start = self.cleaned_data.get("start")
        rule = self.rrule()
        if not start:
            return []
        return recurrence.expand(rule, start) if rule else [start]

    # --- validation ------------------------------------------------------------------

    def clean(self) -> dict[str, Any]:
        d = super().clean()
        start, end = d.get("start"), d.get("end")
        if start and not end and not d.get("duration") and "end" not in self.errors:
            self.add_error("end", _("Chọn giờ kết thúc hoặc thời lượng."))
        start, end = self.times() if start else (None, None)
        if start and end and end <= start:
            self.add_error("end", _("Giờ kết thúc phải sau giờ bắt đầu."))
        elif start and end and end - start > timedelta(hours=24):
            self.add_error("end", _("Một buổi họp không được dài quá 24 giờ."))
        moved = self.meeting is None or start != self.meeting.start
        if start and start < self.now and moved:
            self.add_error("start", _("Không thể đặt lịch họp vào thời điểm đã qua."))
        if start and "start" not in self.errors and d.get("scope") != Scope.OCCURRENCE:
            self._clean_repeat(start)  # one sitting's new time leaves the series' rule alone
        if d.get("mode") != Meeting.Mode.IN_PERSON and d.get("online_provider") == "link" and not d.get("online_url", "").strip():
            self.add_error("online_url", _("Nhập đường link để mọi người tham gia (ví dụ https://vc.soyte.vn/phong-1)."))
        if d.get("is_urgent") and not d.get("urgent_reason", "").strip():
            self.add_error("urgent_reason", _("Họp khẩn phải ghi rõ lý do."))
        for message in self.person_errors:
            self.add_error("attendees", message)
        return d

    def _clean_repeat(self, start: datetime) -> None:
        d = self.cleaned_data
        freq = d.get("repeat")
        if not freq:
            return
        limit = settings.QUORUM_MAX_OCCURRENCES
        local = timezone.localtime(start)
        if freq == "WEEKLY" and d.get("weekdays") and WEEKDAYS[local.weekday()][0] not in d["weekdays"]:
            self.add_error("weekdays", _("Buổi đầu tiên (%(d)s) phải rơi vào một trong các ngày đã chọn.")
                           % {"d": WEEKDAYS[local.weekday()][1]})
            return
        if d.get("repeat_end") == "until":
            until: date | None = d.get("until")
            if until is None:
                self.add_error("until", _("Chọn ngày kết thúc chuỗi."))
                return
            if until < local.date():
                self.add_error("until", _("Ngày kết thúc chuỗi phải sau buổi đầu tiên."))
                return
            if until > local.date() + timedelta(days=recurrence.MAX_SPAN_DAYS):
                self.add_error("until", _("Một chuỗi họp kéo dài tối đa 10 năm."))
                return
        else:
            count = d.get("count")
            if not count:
                self.add_error("count", _("Nhập số buổi của chuỗi (từ 2 đến %(n)s).") % {"n": limit})
                return
            if count > limit:
                self.add_error("count", _("Một chuỗi họp có tối đa %(n)s buổi; bạn chọn %(c)s buổi.")
                               % {"n": limit, "c": count})
                return
        try:
            recurrence.validate(self.rrule(), start)
        except recurrence.RecurrenceError:
            field = "until" if d.get("repeat_end") == "until" else "repeat"
            starts = _count_starts(self.rrule(), start, limit)
            if starts > limit:
                self.add_error(field, _("Chuỗi này có hơn %(n)s buổi: chọn ngày kết thúc sớm hơn hoặc thưa hơn.")
                               % {"n": limit})
            else:
                self.add_error(field, _("Quy tắc lặp lại này không tạo được lịch họp hợp lệ."))

    # --- to the actions ------------------------------------------------------------------

    def online_details(self) -> dict[str, Any]:
        d = self.cleaned_data
        if d.get("online_provider") != "link":
            return {}
        details = {"url": d.get("online_url", "").strip()}
        for name in ("dial_in", "passcode"):
            if d.get(f"online_{name}", "").strip():
                details[name] = d[f"online_{name}"].strip()
        return details

    def meeting_input(self, *, draft: bool) -> MeetingInput:
        d = self.cleaned_data
        start, end = self.times()
        assert start is not None and end is not None
        online = d["mode"] != Meeting.Mode.IN_PERSON
        return MeetingInput(
            title=d["title"], organizing_unit=d["organizing_unit"], start=start, end=end, agenda=d.get("agenda", ""),
            chair=d.get("chair"), rrule=self.rrule(), mode=d["mode"], sensitivity=d["sensitivity"],
            is_urgent=bool(d.get("is_urgent")), urgent_reason=d.get("urgent_reason", "") if d.get("is_urgent") else "",
            online_provider=d.get("online_provider", "") if online else "", online_details=self.online_details() if online else {},
            rooms=[RoomChoice(r) for r in d.get("rooms") or []], attendees=[r.as_input() for r in self.person_rows],
            draft=draft,
        )

    def changes(self, base: tuple[datetime, datetime] | None = None) -> dict[str, Any]:
        """What differs from the meeting being edited (the fields update_meeting takes);
        `base` is the start and end the form was opened with (one sitting's, for a scope)."""
        assert self.meeting is not None
        m = self.meeting
        base_start, base_end = base or (m.start, m.end)
        new = self.meeting_input(draft=False)
        changes: dict[str, Any] = {}
        for name in ("title", "agenda", "mode", "sensitivity", "is_urgent", "urgent_reason", "online_provider",
                     "online_details"):
            if getattr(new, name) != getattr(m, name):
                changes[name] = getattr(new, name)
        if (new.chair.pk if new.chair else None) != m.chair_id:
            changes["chair"] = new.chair
        if new.start != base_start:
            changes["start"] = new.start
        if new.end - new.start != base_end - base_start or "start" in changes:
            changes["end"] = new.end
        if self.cleaned_data.get("scope") != Scope.OCCURRENCE and _rule_differs(new.rrule, new.start, m.rrule, m.start):
            changes["rrule"] = new.rrule
        if {r.room.pk for r in new.rooms} != {mr.room_id for mr in m.room_choices.all()}:
            changes["rooms"] = new.rooms
        current = {(a.email, a.role) for a in m.attendees.all() if a.is_active and a.role != Attendee.Role.CHAIR}
        wanted = {(a.email, a.role) for a in new.attendees if not (new.chair and a.email == new.chair.email.lower())}
        if current != wanted:
            changes["attendees"] = new.attendees
        return changes


def _rule_differs(new_rule: str, new_start: datetime, old_rule: str, old_start: datetime) -> bool:
    """Whether the series' dates differ (FREQ=WEEKLY and FREQ=WEEKLY;BYDAY=MO can be the same)."""
    if not new_rule or not old_rule:
        return bool(new_rule) != bool(old_rule)
    if recurrence.normalise(new_rule) == recurrence.normalise(old_rule):
        return False
    delta = new_start - old_start
    try:
        return [s - delta for s in recurrence.expand(new_rule, new_start)] != recurrence.expand(old_rule, old_start)
    except (recurrence.RecurrenceError, ValueError):
        return True


def _count_starts(rule: str, start: datetime, limit: int) -> int:
    try:
        return len(recurrence.expand(rule, start)[: limit + 1])
    except (recurrence.RecurrenceError, ValueError):
        return 0


def bookable_units(user: User) -> Any:
    from meetings.permissions import is_system_admin, unit_ids

    if is_system_admin(user):
        return Unit.objects.active()
    return Unit.objects.active().filter(pk__in=unit_ids(user, [Membership.Role.SECRETARY, Membership.Role.UNIT_ADMIN]))


class MoveForm(forms.Form):
    """Move one sitting (or the series from it): new time, scope, reason."""

    version = forms.CharField(widget=forms.HiddenInput, required=False)
    occurrence = forms.IntegerField(widget=forms.HiddenInput)
    start = LocalDateTimeField(label=gettext_lazy("Bắt đầu mới"), error_messages={"required": gettext_lazy("Chọn giờ bắt đầu mới.")})
    end = LocalDateTimeField(label=gettext_lazy("Kết thúc mới"), error_messages={"required": gettext_lazy("Chọn giờ kết thúc mới.")})
    scope = forms.ChoiceField(label=gettext_lazy("Áp dụng cho"), choices=SCOPES, widget=forms.RadioSelect, initial=Scope.OCCURRENCE)
    reason = forms.CharField(label=gettext_lazy("Lý do"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, recurring: bool, now: datetime | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.now = now or timezone.now()
        if not recurring:
            self.fields["scope"].choices = [(Scope.ALL, gettext_lazy("Cuộc họp này"))]
            self.fields["scope"].initial = Scope.ALL

    def clean(self) -> dict[str, Any]:
        d = super().clean()
        start, end = d.get("start"), d.get("end")
        if start and end and end <= start:
            self.add_error("end", _("Giờ kết thúc phải sau giờ bắt đầu."))
        if start and start < self.now:
            self.add_error("start", _("Không thể dời buổi họp về thời điểm đã qua."))
        return d


class CancelForm(forms.Form):
    version = forms.CharField(widget=forms.HiddenInput, required=False)
    occurrence = forms.IntegerField(widget=forms.HiddenInput, required=False)
    scope = forms.ChoiceField(label=gettext_lazy("Hủy"), choices=SCOPES, widget=forms.RadioSelect, initial=Scope.OCCURRENCE)
    reason = forms.CharField(label=gettext_lazy("Lý do hủy"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": gettext_lazy("Ghi lý do hủy: người được mời sẽ đọc lý do này.")})

    def __init__(self, *args: Any, recurring: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not recurring:
            self.fields["scope"].choices = [(Scope.ALL, gettext_lazy("Cuộc họp này"))]
            self.fields["scope"].initial = Scope.ALL


def version_of(meeting: Meeting) -> str:
    """What a form remembers of the meeting it was opened on, to notice later changes."""
    return f"{meeting.sequence}:{meeting.updated_at.timestamp():.6f}"


def initial_for(meeting: Meeting) -> dict[str, Any]:
    """The composer's initial values for editing `meeting` (room choices prefetched)."""
    tz = timezone.get_default_timezone()
    local = meeting.start.astimezone(tz)
    initial: dict[str, Any] = {
        "organizing_unit": meeting.organizing_unit_id, "title": meeting.title, "agenda": meeting.agenda,
        "chair": meeting.chair_id, "start": local, "end": meeting.end.astimezone(tz), "mode": meeting.mode,
        "online_provider": meeting.online_provider, "sensitivity": meeting.sensitivity,
        "online_url": meeting.online_details.get("url", ""), "online_dial_in": meeting.online_details.get("dial_in", ""),
        "online_passcode": meeting.online_details.get("passcode", ""),
        "rooms": [mr.room_id for mr in meeting.room_choices.all()],
        "is_urgent": meeting.is_urgent, "urgent_reason": meeting.urgent_reason, "version": version_of(meeting),
        "scope": Scope.ALL,
    }
    if meeting.rrule:
        parts = dict(p.split("=", 1) for p in recurrence.normalise(meeting.rrule).split(";") if "=" in p)
        initial["repeat"] = parts.get("FREQ", "")
        initial["weekdays"] = [d[-2:] for d in parts.get("BYDAY", "").split(",") if d]
        if "COUNT" in parts:
            initial["repeat_end"], initial["count"] = "count", int(parts["COUNT"])
        elif "UNTIL" in parts:
            raw = parts["UNTIL"]
            until = datetime.strptime(raw[:8], "%Y%m%d").date()
            if raw.endswith("Z"):
                until = datetime.strptime(raw, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).astimezone(tz).date()
            initial["repeat_end"], initial["until"] = "until", until
    return initial


def attendee_rows(meeting: Meeting) -> list[PersonRow]:
    """The meeting's active attendees (not the chair, who is added from the chair field)."""
    return [
        PersonRow(f"u:{a.user_id}" if a.user_id else f"e:{a.email}", a.email, a.display_name, a.unit, a.role, a.user)
        for a in meeting.attendees.all() if a.is_active and a.role != Attendee.Role.CHAIR
    ]


def default_start(now: datetime | None = None) -> datetime:
    """The next half hour from now, in local time (a new form's suggestion)."""
    now = timezone.localtime(now or timezone.now())
    base = datetime.combine(now.date(), time(now.hour), tzinfo=now.tzinfo)
    return base + timedelta(minutes=60 if now.minute >= 30 else 30)
