from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.encoding import smart_str
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import User
from meetings.actions import AttendeeInput, MeetingInput, RoomChoice, Scope
from meetings.models import Attendee, Booking, Meeting, Occurrence, Room, Unit
from meetings.rawsql import rows_by
from meetings.validators import validate_single_line


class CheapFieldsMixin:
    """DRF deep-copies every declared field for each serializer instance, re-running each
    field's __init__ (about 10 % of a booking's CPU for the write serializer and its two
    nested ones, 4 % of an availability question's). A declared field is a never-bound prototype whose state is set in
    __init__ and only read afterwards, so a shallow copy, bound by DRF as usual, behaves the
    same; nested serializers are still deep-copied, as their binding reaches their children."""

    def get_fields(self) -> dict[str, Any]:
        return {name: copy.deepcopy(field) if isinstance(field, serializers.BaseSerializer) else copy.copy(field)
                for name, field in self._declared_fields.items()}


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with an offset. Naive times are refused instead of being guessed."""

    default_error_messages = {
        "naive": _("Thời gian phải có múi giờ, ví dụ 2026-12-01T08:00:00+07:00."),
        "years": _("Thời gian phải trong khoảng năm 2000 đến 2100."),
    }
    # Meetings happen in this century; year 490 in Asia/Ho_Chi_Minh is local mean time
    # (+07:06:30), an offset RFC 3339 cannot write, found by the API contract test.
    YEARS = (2000, 2100)

    def to_internal_value(self, value: Any) -> datetime:
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
            if parsed is not None and timezone.is_naive(parsed):
                self.fail("naive")
        elif isinstance(value, datetime) and timezone.is_naive(value):
            self.fail("naive")
        result = super().to_internal_value(value)
        if not self.YEARS[0] <= result.year <= self.YEARS[1]:
            self.fail("years")
        return result

    def to_representation(self, value: datetime) -> str:
        return timezone.localtime(value).isoformat()


class UnitSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Unit
        fields = ["id", "code", "name", "short_name", "kind", "parent", "is_active"]


class RoomSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", queryset=Unit.objects.active())
    unit_name = serializers.CharField(source="unit.short_name", read_only=True)
    equipment = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)

    class Meta:
        model = Room
        fields = [
            "id", "unit", "unit_name", "name", "capacity", "location", "equipment",
            "setup_buffer_minutes", "cleanup_buffer_minutes", "requires_approval", "shared",
            "is_active", "opens_at", "closes_at", "max_duration_minutes", "max_days_ahead",
        ]
        extra_kwargs = {
            "capacity": {"min_value": 1, "max_value": 10000},
            "setup_buffer_minutes": {"max_value": 240},
            "cleanup_buffer_minutes": {"max_value": 240},
            "max_duration_minutes": {"min_value": 5, "max_value": 24 * 60},
            "max_days_ahead": {"min_value": 1, "max_value": 3660},
        }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        opens = attrs.get("opens_at", getattr(self.instance, "opens_at", None))
        closes = attrs.get("closes_at", getattr(self.instance, "closes_at", None))
        if opens and closes and opens >= closes:
            raise serializers.ValidationError({"closes_at": [_("Giờ đóng cửa phải sau giờ mở cửa.")]})
        return attrs


class RoomChoiceSerializer(CheapFieldsMixin, serializers.Serializer):
    room = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    expected = serializers.IntegerField(min_value=0, max_value=100000, required=False, allow_null=True)


class AttendeeInputSerializer(CheapFieldsMixin, serializers.Serializer):
    email = serializers.EmailField(required=False)
    user = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    name = serializers.CharField(required=False, allow_blank=True, max_length=200, validators=[validate_single_line])
    unit = serializers.SlugRelatedField(slug_field="code", queryset=Unit.objects.all(), required=False, allow_null=True)
    role = serializers.ChoiceField(choices=Attendee.Role.choices, default=Attendee.Role.REQUIRED)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("email") and not attrs.get("user"):
            raise serializers.ValidationError(_("Mỗi người được mời cần có e-mail hoặc mã người dùng."))
        return attrs


class UnitCodeField(serializers.SlugRelatedField):
    """An active unit by its code, looked up by hand-written SQL (rawsql.rows_by): on the
    booking path compiling the ORM query cost more than the lookup."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, str | int):
            self.fail("invalid")
        found = rows_by(Unit, "code", [str(data)], where="a.is_active") if len(str(data)) <= 100 else []
        if not found:
            self.fail("does_not_exist", slug_name=self.slug_field, value=smart_str(data))
        return found[0]


def _rooms(items: list[dict[str, Any]]) -> list[RoomChoice]:
    ids = [i["room"] for i in items]
    found = {r.pk: r for r in rows_by(Room, "id", ids, related="unit")}
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise serializers.ValidationError({"rooms": [_("Không có phòng mã số: %(ids)s.") % {"ids": ", ".join(missing)}]})
    return [RoomChoice(found[i["room"]], i.get("expected")) for i in items]


def _attendees(items: list[dict[str, Any]]) -> list[AttendeeInput]:
    user_ids = [i["user"] for i in items if i.get("user")]
    # No ids, no query: even an empty IN costs a compile on the booking path.
    users = {u.pk: u for u in User.objects.filter(pk__in=user_ids, is_active=True)} if user_ids else {}
    missing = [str(i) for i in user_ids if i not in users]
    if missing:
        raise serializers.ValidationError({"attendees": [_("Không có người dùng (hoặc tài khoản đã khóa) mã số: %(ids)s.") % {"ids": ", ".join(missing)}]})
    result = []
    for i in items:
        user = users.get(i["user"]) if i.get("user") else None
        email = (i.get("email") or (user.email if user else "")).strip().lower()
        result.append(AttendeeInput(email=email, name=i.get("name", ""), user=user, unit=i.get("unit"), role=i["role"]))
    return result


def _chair(value: int | None) -> User | None:
    if value is None:
        return None
    user = User.objects.filter(pk=value, is_active=True).first()
    if user is None:
        raise serializers.ValidationError({"chair": [_("Không có người dùng (hoặc tài khoản đã khóa) mã số %(id)s.") % {"id": value}]})
    return user


def _normalize_room_items(value: Any) -> Any:
    if isinstance(value, list):
        return [{"room": v} if isinstance(v, int) else v for v in value]
    return value


class MeetingWriteSerializer(CheapFieldsMixin, serializers.Serializer):
    title = serializers.CharField(max_length=300, validators=[validate_single_line])
    agenda = serializers.CharField(required=False, allow_blank=True, default="")
    organizing_unit = UnitCodeField(slug_field="code", queryset=Unit.objects.active())
    chair = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**63 - 1)
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    rrule = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    mode = serializers.ChoiceField(choices=Meeting.Mode.choices, default=Meeting.Mode.IN_PERSON)
    sensitivity = serializers.ChoiceField(choices=Meeting.Sensitivity.choices, default=Meeting.Sensitivity.NORMAL)
    is_urgent = serializers.BooleanField(default=False)
    urgent_reason = serializers.CharField(required=False, allow_blank=True, default="")
    online_provider = serializers.CharField(required=False, allow_blank=True, default="", max_length=20)
    online_details = serializers.DictField(required=False, default=dict, help_text="Provider-specific: for 'link', url, dial_in, passcode.")
    rooms = RoomChoiceSerializer(many=True, required=False, default=list)
    attendees = AttendeeInputSerializer(many=True, required=False, default=list)
    skip = serializers.ListField(child=AwareDateTimeField(), required=False, default=list, max_length=500)
    draft = serializers.BooleanField(default=False)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict) and "rooms" in data:
            data = {**data, "rooms": _normalize_room_items(data["rooms"])}
        return super().to_internal_value(data)

    def to_input(self) -> tuple[MeetingInput, list[datetime]]:
        d = self.validated_data
        data = MeetingInput(
            title=d["title"],
            organizing_unit=d["organizing_unit"],
            start=d["start"],
            end=d["end"],
            agenda=d["agenda"],
            chair=_chair(d.get("chair")),
            rrule=d["rrule"],
            mode=d["mode"],
            sensitivity=d["sensitivity"],
            is_urgent=d["is_urgent"],
            urgent_reason=d["urgent_reason"],
            online_provider=d["online_provider"],
            online_details=d["online_details"],
            rooms=_rooms(d["rooms"]),
            attendees=_attendees(d["attendees"]),
            draft=d["draft"],
        )
        return data, d["skip"]


class MeetingUpdateSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=Scope.CHOICES, default=Scope.ALL)
    occurrence = AwareDateTimeField(required=False, help_text="The occurrence's original start (RECURRENCE-ID).")
    skip = serializers.ListField(child=AwareDateTimeField(), required=False, default=list, max_length=500)
    title = serializers.CharField(max_length=300, required=False, validators=[validate_single_line])
    agenda = serializers.CharField(required=False, allow_blank=True)
    chair = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**63 - 1)
    start = AwareDateTimeField(required=False)
    end = AwareDateTimeField(required=False)
    rrule = serializers.CharField(required=False, allow_blank=True, max_length=500)
    mode = serializers.ChoiceField(choices=Meeting.Mode.choices, required=False)
    sensitivity = serializers.ChoiceField(choices=Meeting.Sensitivity.choices, required=False)
    is_urgent = serializers.BooleanField(required=False)
    urgent_reason = serializers.CharField(required=False, allow_blank=True)
    online_provider = serializers.CharField(required=False, allow_blank=True, max_length=20)
    online_details = serializers.DictField(required=False)
    rooms = RoomChoiceSerializer(many=True, required=False)
    attendees = AttendeeInputSerializer(many=True, required=False)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict) and "rooms" in data:
            data = {**data, "rooms": _normalize_room_items(data["rooms"])}
        return super().to_internal_value(data)

    def changes(self) -> dict[str, Any]:
        d = dict(self.validated_data)
        for key in ("scope", "occurrence", "skip"):
            d.pop(key, None)
        if "rooms" in d:
            d["rooms"] = _rooms(d["rooms"])
        if "attendees" in d:
            d["attendees"] = _attendees(d["attendees"])
        if "chair" in d:
            d["chair"] = _chair(d["chair"])
        return d


class CancelSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=Scope.CHOICES, default=Scope.ALL)
    occurrence = AwareDateTimeField(required=False)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class PublishSerializer(serializers.Serializer):
    skip = serializers.ListField(child=AwareDateTimeField(), required=False, default=list, max_length=500)


class DecisionSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


# --- read side -------------------------------------------------------------------------


class AttendeeSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Attendee
        fields = ["id", "user", "email", "name", "unit", "role", "rsvp", "rsvp_comment", "responded_at", "is_active"]


class BookingSerializer(serializers.ModelSerializer):
    start = AwareDateTimeField(read_only=True)
    end = AwareDateTimeField(read_only=True)
    room_name = serializers.CharField(source="room.name", read_only=True)
    unit = serializers.CharField(source="room.unit.code", read_only=True)

    class Meta:
        model = Booking
        fields = ["id", "room", "room_name", "unit", "start", "end", "status", "expected_attendees", "decision_note"]


class BookingRequestSerializer(BookingSerializer):
    """A booking as a room admin needs it to decide: what, who, why. A confidential meeting
    is named only "Cuộc họp mật" with its organising unit; its purpose is not shown."""

    meeting = serializers.UUIDField(source="occurrence.meeting.uid", read_only=True)
    meeting_title = serializers.SerializerMethodField()
    organizing_unit = serializers.CharField(source="occurrence.meeting.organizing_unit.code", read_only=True)
    organizer = serializers.CharField(source="occurrence.meeting.created_by.full_name", read_only=True)
    purpose = serializers.SerializerMethodField()

    class Meta(BookingSerializer.Meta):
        fields = [*BookingSerializer.Meta.fields, "meeting", "meeting_title", "organizing_unit", "organizer", "purpose",
                  "decided_at"]

    def _confidential(self, b: Booking) -> bool:
        return b.occurrence.meeting.sensitivity == Meeting.Sensitivity.CONFIDENTIAL

    def get_meeting_title(self, b: Booking) -> str:
        if self._confidential(b):
            return gettext("Cuộc họp mật (%(unit)s)") % {"unit": b.occurrence.meeting.organizing_unit.short_name}
        return b.occurrence.meeting.title

    def get_purpose(self, b: Booking) -> str:
        return "" if self._confidential(b) else b.occurrence.meeting.agenda


class OccurrenceSerializer(serializers.ModelSerializer):
    recurrence_id = AwareDateTimeField(read_only=True)
    start = AwareDateTimeField(read_only=True)
    end = AwareDateTimeField(read_only=True)
    bookings = serializers.SerializerMethodField()

    class Meta:
        model = Occurrence
        fields = ["id", "index", "recurrence_id", "start", "end", "status", "is_exception", "cancelled_individually", "bookings"]

    def get_bookings(self, occ: Occurrence) -> list[dict[str, Any]]:
        live = (Booking.Status.CONFIRMED, Booking.Status.REQUESTED)
        return BookingSerializer([b for b in occ.bookings.all() if b.status in live], many=True).data


class MeetingSerializer(serializers.ModelSerializer):
    organizing_unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    start = AwareDateTimeField(read_only=True)
    end = AwareDateTimeField(read_only=True)
    rooms = serializers.SerializerMethodField()
    chair_name = serializers.CharField(source="chair.full_name", read_only=True, default=None)

    class Meta:
        model = Meeting
        fields = [
            "uid", "title", "organizing_unit", "chair", "chair_name", "start", "end", "rrule", "mode",
            "status", "sensitivity", "is_urgent", "urgent_reason", "sequence", "online_provider", "rooms",
        ]

    def get_rooms(self, meeting: Meeting) -> list[dict[str, Any]]:
        return [
            {"room": mr.room_id, "name": mr.room.name, "unit": mr.room.unit.code, "expected": mr.expected_attendees}
            for mr in meeting.room_choices.all()
        ]


class MeetingDetailSerializer(MeetingSerializer):
    attendees = serializers.SerializerMethodField()
    occurrences = serializers.SerializerMethodField()

    class Meta(MeetingSerializer.Meta):
        fields = [*MeetingSerializer.Meta.fields, "agenda", "cancel_reason", "attendees", "occurrences"]

    def get_attendees(self, meeting: Meeting) -> list[dict[str, Any]]:
        return AttendeeSerializer([a for a in meeting.attendees.all() if a.is_active], many=True).data

    def get_occurrences(self, meeting: Meeting) -> list[dict[str, Any]]:
        return OccurrenceSerializer([o for o in meeting.occurrences.all() if o.in_series or o.status != "cancelled"], many=True).data


class CalendarEntrySerializer(serializers.ModelSerializer):
    """One occurrence in a calendar view, with its meeting's headline."""

    start = AwareDateTimeField(read_only=True)
    end = AwareDateTimeField(read_only=True)
    recurrence_id = AwareDateTimeField(read_only=True)
    meeting = serializers.UUIDField(source="meeting.uid", read_only=True)
    title = serializers.CharField(source="meeting.title", read_only=True)
    organizing_unit = serializers.CharField(source="meeting.organizing_unit.code", read_only=True)
    mode = serializers.CharField(source="meeting.mode", read_only=True)
    rooms = serializers.SerializerMethodField()

    class Meta:
        model = Occurrence
        fields = ["id", "meeting", "title", "organizing_unit", "mode", "recurrence_id", "start", "end", "status", "rooms"]

    def get_rooms(self, occ: Occurrence) -> list[str]:
        return [b.room.name for b in occ.bookings.all() if b.status in (Booking.Status.CONFIRMED, Booking.Status.REQUESTED)]


class AvailabilityQuerySerializer(CheapFieldsMixin, serializers.Serializer):
    start = AwareDateTimeField()
    end = AwareDateTimeField(required=False)
    duration = serializers.IntegerField(required=False, min_value=5, max_value=24 * 60, help_text="Minutes, instead of end.")
    people = serializers.IntegerField(required=False, min_value=1, max_value=5000, default=1)
    units = serializers.CharField(required=False, default="", help_text="Comma-separated unit codes.")
    equipment = serializers.CharField(required=False, default="", help_text="Comma-separated equipment slugs.")
    attendees = serializers.CharField(required=False, default="", help_text="Comma-separated user ids.")
    for_unit = serializers.SlugRelatedField(slug_field="code", queryset=Unit.objects.active(), required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        from datetime import timedelta

        if "end" not in attrs and "duration" not in attrs:
            raise serializers.ValidationError(_("Ghi giờ kết thúc (end) hoặc thời lượng tính bằng phút (duration)."))
        if "end" not in attrs:
            attrs["end"] = attrs["start"] + timedelta(minutes=attrs["duration"])
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": [_("Giờ kết thúc phải sau giờ bắt đầu.")]})
        if attrs["end"] - attrs["start"] > timedelta(hours=24):
            raise serializers.ValidationError({"end": [_("Một cuộc họp kéo dài tối đa 24 giờ.")]})
        try:
            attrs["attendee_ids"] = [int(x) for x in attrs["attendees"].split(",") if x.strip()]
            if any(not 0 < x < 2**63 for x in attrs["attendee_ids"]) or len(attrs["attendee_ids"]) > 500:
                raise ValueError
        except ValueError:
            raise serializers.ValidationError({"attendees": [_("Ghi các mã người dùng, cách nhau bằng dấu phẩy.")]}) from None
        attrs["unit_codes"] = [x.strip() for x in attrs["units"].split(",") if x.strip()]
        attrs["equipment_slugs"] = [x.strip() for x in attrs["equipment"].split(",") if x.strip()]
        return attrs
