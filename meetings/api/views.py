"""REST API v1. Thin views: fetch through permissions, validate with a serializer, call an
action, respond. Errors are mapped to JSON in errors.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.sqlplans import with_prepared_plans
from meetings import actions, audit, availability
from meetings.api import rows
from meetings.api import serializers as s
from meetings.models import Booking, Meeting, Occurrence, Room, Unit
from meetings.permissions import can_manage_room, can_manage_unit, get_meeting_for_user, unit_ids
from meetings.textsearch import Folded, fold


class AuditedMixin:
    """Makes the API caller (session or token) the actor of signal-recorded audit entries."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        self._actor_token = audit.set_actor(request.user)

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        token = getattr(self, "_actor_token", None)
        if token is not None:
            audit.reset_actor(token)
            self._actor_token = None
        return super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]


class UnitViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.UnitSerializer
    queryset = Unit.objects.active().select_related("parent").order_by("parent_id", "name")
    lookup_field = "code"


class RoomViewSet(AuditedMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.RoomSerializer

    @extend_schema(parameters=[
        OpenApiParameter("unit", str, description="Unit code"),
        OpenApiParameter("equipment", str, description="Comma-separated equipment slugs; rooms having all of them"),
        OpenApiParameter("min_capacity", int),
        OpenApiParameter("q", str, description="Text in the room name or location"),
    ])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Room]:
        qs = Room.objects.active().select_related("unit").prefetch_related("equipment").order_by("unit_id", "name")
        params = self.request.query_params
        if unit := params.get("unit"):
            qs = qs.filter(unit__code=unit)
        if equipment := params.get("equipment"):
            qs = qs.with_equipment([e.strip() for e in equipment.split(",") if e.strip()])
        if min_capacity := params.get("min_capacity"):
            try:
                qs = qs.filter(capacity__gte=int(min_capacity))
            except ValueError:
                raise ValidationError({"min_capacity": [_("Ghi một số nguyên.")]}) from None
        if text := params.get("q"):
            qs = qs.filter(name__icontains=text) | qs.filter(location__icontains=text)
        return qs

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        if not can_manage_unit(self.request.user, serializer.validated_data["unit"]):
            raise PermissionDenied(_("Chỉ quản trị đơn vị mới thêm được phòng."))
        serializer.save()

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        room = serializer.instance
        unit = serializer.validated_data.get("unit", room.unit)
        if not (can_manage_room(self.request.user, room) and can_manage_unit(self.request.user, unit)):
            raise PermissionDenied(_("Chỉ quản trị đơn vị mới sửa được phòng của đơn vị."))
        serializer.save()


def _meeting_list_queryset(user: Any) -> QuerySet[Meeting]:
    return Meeting.objects.visible_listed(user)


def _room_choices() -> QuerySet[Any]:
    from meetings.models import MeetingRoom

    return MeetingRoom.objects.select_related("room__unit")


def parse_bound(raw: str, *, end: bool = False) -> datetime:
    """An API time bound: ISO 8601 with an offset, or a plain date (YYYY-MM-DD) read in
    Asia/Ho_Chi_Minh: `from` = that day's 00:00, `to` = the end of that day. A "+07:00" typed
    unencoded arrives as " 07:00" and is read as meant."""
    from datetime import date, time, timedelta

    from django.utils import timezone

    raw = raw.strip()
    if len(raw) == 10:
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            raise serializers.ValidationError("Ngày phải có dạng YYYY-MM-DD, ví dụ 2026-11-30.") from None
        local = datetime.combine(day + timedelta(days=1) if end else day, time.min, tzinfo=timezone.get_default_timezone())
        return local
    if len(raw) > 19 and raw[-6] == " " and raw[-3] == ":":
        raw = raw[:-6] + "+" + raw[-5:]
    return s.AwareDateTimeField().to_internal_value(raw)


def _parse_range(request: Request) -> tuple[datetime | None, datetime | None]:
    result = []
    for key in ("from", "to"):
        raw = request.query_params.get(key)
        if raw is None:
            result.append(None)
            continue
        try:
            result.append(parse_bound(raw, end=key == "to"))
        except serializers.ValidationError as exc:
            raise ValidationError({key: exc.detail}) from None
    return result[0], result[1]


_PAGE = {
    "count": serializers.IntegerField(),
    "next": serializers.URLField(allow_null=True),
    "previous": serializers.URLField(allow_null=True),
}
_LIMITS = [
    OpenApiParameter("limit", int, description="At most 200 (larger values are clamped)"),
    OpenApiParameter("offset", int),
]


class MeetingListView(AuditedMixin, APIView):
    @extend_schema(
        operation_id="v1_meetings_list",
        responses=inline_serializer("PaginatedMeetingList", {**_PAGE, "results": s.MeetingSerializer(many=True)}),
        parameters=[
            OpenApiParameter("from", datetime), OpenApiParameter("to", datetime),
            OpenApiParameter("unit", str), OpenApiParameter("status", str, enum=[c.value for c in Meeting.Status]),
            OpenApiParameter("q", str, description="Words in the title, any diacritics: 'hop giao ban' finds 'Họp giao ban'"),
            *_LIMITS,
        ],
    )
    def get(self, request: Request) -> Response:
        qs = _meeting_list_queryset(request.user)
        start, end = _parse_range(request)
        if start:
            qs = qs.filter(pk__in=Occurrence.objects.filter(end__gt=start).values("meeting_id"))
        if end:
            qs = qs.filter(start__lt=end)
        if unit := request.query_params.get("unit"):
            qs = qs.filter(organizing_unit__code=unit)
        if state := request.query_params.get("status"):
            qs = qs.filter(status=state)
        if q := request.query_params.get("q", "").strip():
            if len(q) > 200:
                raise ValidationError({"q": ["Từ khóa tìm kiếm tối đa 200 ký tự."]})
            qs = qs.alias(title_folded=Folded("title"))
            for word in fold(q).split():  # every word, diacritics ignored: "hop giao ban" finds "Họp giao ban"
                qs = qs.filter(title_folded__contains=word)
        paginator = self.paginator
        page = paginator.paginate_queryset(rows.meeting_rows(qs.order_by("start", "pk")), request, view=self)
        return paginator.get_paginated_response(rows.meetings_json(page))

    @property
    def paginator(self) -> Any:
        if not hasattr(self, "_paginator"):
            self._paginator = rows.WindowCountPagination()
        return self._paginator

    @extend_schema(request=s.MeetingWriteSerializer, responses={201: s.MeetingDetailSerializer})
    @with_prepared_plans  # the booking's short statements, run thousands of times a day
    def post(self, request: Request) -> Response:
        ser = s.MeetingWriteSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data, skip = ser.to_input()
        meeting = actions.create_meeting(request.user, data, skip=skip)
        # The action hands back what it wrote (rooms, attendees, occurrences, bookings), and
        # its author may see it: answered from memory, not read back (one booking, 5 queries).
        return Response(rows.created_meeting_json(meeting, meeting.written), status=status.HTTP_201_CREATED)


def _detail(user: Any, uid: Any) -> dict[str, Any]:
    meeting = get_meeting_for_user(user, uid)
    # Load the rest onto the instance the permission helper returned (no second fetch).
    prefetch_related_objects(
        [meeting],
        Prefetch("room_choices", queryset=_room_choices()),
        Prefetch("attendees", queryset=_attendees_qs()),
        Prefetch(
            "occurrences",
            queryset=Occurrence.objects.order_by("index", "start").prefetch_related(
                Prefetch("bookings", queryset=Booking.objects.select_related("room__unit"))
            ),
        ),
    )
    return s.MeetingDetailSerializer(meeting).data


def _attendees_qs() -> QuerySet[Any]:
    from meetings.models import Attendee

    return Attendee.objects.select_related("unit").order_by("id")


def _occurrence(meeting: Meeting, recurrence_id: datetime | None) -> Occurrence | None:
    if recurrence_id is None:
        return None
    occ = meeting.occurrences.filter(recurrence_id=recurrence_id, in_series=True).first()
    if occ is None:
        raise actions.ActionError(
            _("Cuộc họp không có buổi nào (theo lịch ban đầu) bắt đầu vào lúc đó."), "occurrence"
        )
    return occ


class MeetingDetailView(AuditedMixin, APIView):
    @extend_schema(responses=s.MeetingDetailSerializer)
    def get(self, request: Request, uid: str) -> Response:
        return Response(_detail(request.user, uid))

    @extend_schema(request=s.MeetingUpdateSerializer, responses=s.MeetingDetailSerializer)
    def patch(self, request: Request, uid: str) -> Response:
        meeting = get_meeting_for_user(request.user, uid, edit=True)
        ser = s.MeetingUpdateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        occ = _occurrence(meeting, ser.validated_data.get("occurrence"))
        result = actions.update_meeting(
            request.user, meeting, ser.changes(), scope=ser.validated_data["scope"],
            occurrence=occ, skip=ser.validated_data["skip"],
        )
        return Response(_detail(request.user, result.uid))


class MeetingCancelView(AuditedMixin, APIView):
    @extend_schema(request=s.CancelSerializer, responses=s.MeetingDetailSerializer)
    def post(self, request: Request, uid: str) -> Response:
        meeting = get_meeting_for_user(request.user, uid, edit=True)
        ser = s.CancelSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        occ = _occurrence(meeting, ser.validated_data.get("occurrence"))
        actions.cancel_meeting(
            request.user, meeting, scope=ser.validated_data["scope"], occurrence=occ,
            reason=ser.validated_data["reason"],
        )
        return Response(_detail(request.user, meeting.uid))


class MeetingPublishView(AuditedMixin, APIView):
    @extend_schema(request=s.PublishSerializer, responses=s.MeetingDetailSerializer)
    def post(self, request: Request, uid: str) -> Response:
        meeting = get_meeting_for_user(request.user, uid, edit=True)
        ser = s.PublishSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        actions.publish_meeting(request.user, meeting, skip=ser.validated_data["skip"])
        return Response(_detail(request.user, meeting.uid))


class CalendarView(APIView):
    """Occurrences between `from` and `to` that the caller may see: the calendar page's data."""

    @extend_schema(
        responses=s.CalendarEntrySerializer(many=True),
        parameters=[OpenApiParameter("from", datetime, required=True), OpenApiParameter("to", datetime, required=True),
                    OpenApiParameter("unit", str)],
    )
    def get(self, request: Request) -> Response:
        start, end = _parse_range(request)
        if start is None or end is None:
            raise ValidationError({"from": [_("Ghi cả thời điểm bắt đầu (from) và kết thúc (to).")]})
        if end <= start or (end - start).days > 92:
            raise ValidationError({"to": [_("Thời điểm kết thúc (to) phải sau thời điểm bắt đầu (from), cách nhau tối đa 92 ngày.")]})
        visible = Meeting.objects.visible_listed(request.user)
        if unit := request.query_params.get("unit"):
            visible = visible.filter(organizing_unit__code=unit)
        occs = (
            Occurrence.objects.filter(meeting__in=visible.values("pk"), in_series=True, start__lt=end, end__gt=start)
            .exclude(meeting__status=Meeting.Status.DRAFT)
        )
        return Response(rows.calendar_json(occs))


class BookingViewSet(AuditedMixin, viewsets.ReadOnlyModelViewSet):
    """Bookings of the rooms the caller administers (to approve), and of their own meetings.

    A room admin sees the bookings of the rooms they decide on plus those of the meetings
    they may edit, never other units' requests they cannot decide (`?status=requested` is
    their queue). Others see the bookings of the meetings they may see.
    """

    serializer_class = s.BookingRequestSerializer
    queryset = Booking.objects.none()  # for the schema (the id's type); get_queryset() decides

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        # The browsable API's form for approve/reject is the decision (a note), not a booking.
        return s.DecisionSerializer if self.action in ("approve", "reject") else s.BookingRequestSerializer

    def get_queryset(self) -> QuerySet[Booking]:
        user = self.request.user
        qs = Booking.objects.select_related("room__unit", "occurrence__meeting__organizing_unit", "occurrence__meeting__created_by")
        if not user.is_superuser:
            from meetings.models import Membership

            admin_units = unit_ids(user, [Membership.Role.UNIT_ADMIN])
            if admin_units:
                booking_units = unit_ids(user, [Membership.Role.SECRETARY, Membership.Role.UNIT_ADMIN])
                # The meetings they may edit: a unit's confidential ones only to whoever booked them
                # (the editors rule of models._visibility_q).
                own = Meeting.objects.filter(Q(created_by=user) | (
                    Q(organizing_unit_id__in=booking_units) & ~Q(sensitivity=Meeting.Sensitivity.CONFIDENTIAL))).values("pk")
                qs = qs.filter(room__unit_id__in=admin_units) | qs.filter(occurrence__meeting__in=own)
            else:
                qs = qs.filter(occurrence__meeting__in=Meeting.objects.visible_to(user).values("pk"))
        if state := self.request.query_params.get("status"):
            qs = qs.filter(status=state)
        return qs.order_by("start", "pk")

    @extend_schema(request=s.DecisionSerializer, responses=s.BookingSerializer)
    def approve(self, request: Request, pk: str) -> Response:
        booking = get_object_or_404(self.get_queryset(), pk=pk)
        ser = s.DecisionSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        booking = actions.approve_booking(request.user, booking, ser.validated_data["note"])
        return Response(s.BookingSerializer(booking).data)

    @extend_schema(request=s.DecisionSerializer, responses=s.BookingSerializer)
    def reject(self, request: Request, pk: str) -> Response:
        booking = get_object_or_404(self.get_queryset(), pk=pk)
        ser = s.DecisionSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        booking = actions.reject_booking(request.user, booking, ser.validated_data["note"])
        return Response(s.BookingSerializer(booking).data)


_ROOM = inline_serializer("AvailableRoom", {
    "id": serializers.IntegerField(), "name": serializers.CharField(), "unit": serializers.CharField(),
    "unit_name": serializers.CharField(), "capacity": serializers.IntegerField(), "location": serializers.CharField(),
})
_AVAILABILITY = inline_serializer("Availability", {
    "start": serializers.DateTimeField(), "end": serializers.DateTimeField(),
    "rooms": _ROOM.__class__(many=True),
    "busy_attendees": inline_serializer("BusyAttendee", {
        "user": serializers.IntegerField(), "name": serializers.CharField(),
        "start": serializers.DateTimeField(), "end": serializers.DateTimeField()}, many=True),
    "next_slots": inline_serializer("NextSlot", {
        "start": serializers.DateTimeField(), "end": serializers.DateTimeField(),
        "rooms": _ROOM.__class__(many=True)}, many=True),
})


class AvailabilityView(APIView):
    @extend_schema(parameters=[s.AvailabilityQuerySerializer], responses=_AVAILABILITY)
    @with_prepared_plans  # the finder's statement: the request users run most
    def get(self, request: Request) -> Response:
        ser = s.AvailabilityQuerySerializer(data=request.query_params)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        unit_lookup = dict(Unit.objects.filter(code__in=d["unit_codes"]).values_list("code", "pk")) if d["unit_codes"] else {}
        missing = [c for c in d["unit_codes"] if c not in unit_lookup]
        if missing:
            raise ValidationError({"units": [_("Không có đơn vị mã: %(codes)s.") % {"codes": ", ".join(missing)}]})
        query = availability.Query(
            start=d["start"], end=d["end"], people=d["people"], units=list(unit_lookup.values()),
            equipment=d["equipment_slugs"], attendees=d["attendee_ids"],
            for_unit=d["for_unit"].pk if d.get("for_unit") else None,
        )
        result = availability.find(request.user, query)
        return Response(_availability_json(query, result))


def _room_json(room: Room) -> dict[str, Any]:
    return {"id": room.pk, "name": room.name, "unit": room.unit.code, "unit_name": room.unit.short_name,
            "capacity": room.capacity, "location": room.location}


def _availability_json(q: availability.Query, r: availability.Result) -> dict[str, Any]:
    from django.utils import timezone

    iso = lambda dt: timezone.localtime(dt).isoformat()  # noqa: E731
    return {
        "start": iso(q.start),
        "end": iso(q.end),
        "rooms": [_room_json(room) for room in r.rooms],
        "busy_attendees": [{"user": b.user_id, "name": b.name, "start": iso(b.start), "end": iso(b.end)} for b in r.busy],
        "next_slots": [{"start": iso(slot.start), "end": iso(slot.end), "rooms": [_room_json(x) for x in slot.rooms]} for slot in r.next_slots],
    }
