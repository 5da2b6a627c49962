"""Pages (answer links, feeds) and the API of the invitation app. Thin: fetch through the
permission helpers, call a named action, respond."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from integrations.calendar import answers, feeds, texts
from integrations.calendar.models import Delivery, FeedToken
from meetings import audit
from meetings.actions import ActionError
from meetings.models import Attendee, Meeting, Room, Unit
from meetings.permissions import can_edit_meeting, get_meeting_for_user

# --- answer links (no login) ----------------------------------------------------------------

BAD_LINK_STATUS = {"expired": 410, "tampered": 400, "not_invited": 404}


def _bad_link(request: HttpRequest, reason: str, status_code: int, meeting: Meeting | None = None) -> HttpResponse:
    return render(request, "invitations/answer_error.html", {"reason": reason, "meeting": meeting}, status=status_code)


@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the meeting and the choices (link scanners must not answer for people);
    POST records the answer or names a substitute."""
    try:
        attendee = answers.attendee_for(token)
    except answers.BadLink as exc:
        return _bad_link(request, exc.reason, BAD_LINK_STATUS.get(exc.reason, 400))
    meeting = attendee.meeting
    if meeting.status == Meeting.Status.CANCELLED:
        return _bad_link(request, "cancelled", 409, meeting)
    lang = texts.lang_of(attendee.user.language if attendee.user else "vi")
    ctx: dict[str, Any] = {
        "attendee": attendee, "meeting": meeting, "t": texts.texts(lang),
        "when": texts.span(meeting.start, meeting.end, lang),
        "choice": request.GET.get("r", ""), "substitutes": answers.substitutes(attendee),
        "confidential": meeting.sensitivity == Meeting.Sensitivity.CONFIDENTIAL,
        **answers.page_facts(attendee),
    }
    if request.method == "POST":
        try:
            if request.POST.get("action") == "delegate":
                sub = User.objects.filter(pk=request.POST.get("substitute") or 0, is_active=True).first()
                if sub is None:
                    raise ActionError(_("Hãy chọn người dự thay."), "substitute")
                answers.delegate(attendee, sub, by_link=True, actor=attendee.user, comment=request.POST.get("comment", ""))
                ctx["done"] = "delegated"
                ctx["substitute"] = sub
            else:
                answers.respond(attendee, request.POST.get("rsvp", ""), request.POST.get("comment", ""), actor=attendee.user)
                ctx["done"] = "answered"
        except ActionError as exc:
            meeting.refresh_from_db(fields=["status"])
            if meeting.status == Meeting.Status.CANCELLED:
                return _bad_link(request, "cancelled", 409, meeting)
            ctx["error"] = exc.message
            return render(request, "invitations/answer.html", ctx, status=409 if exc.conflict else 400)
        attendee.refresh_from_db()
    return render(request, "invitations/answer.html", ctx)


# --- feeds ----------------------------------------------------------------------------------


def feed(request: HttpRequest, token: str) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405)
    row = feeds.lookup(token)
    if row is None:
        raise Http404(_("Không có lịch này hoặc địa chỉ đã bị thu hồi."))
    result = feeds.render(row, request.headers.get("If-None-Match", ""))
    if result.not_modified:
        response = HttpResponse(status=304)
    else:
        body, encoding = result.content(accepts_gzip="gzip" in request.headers.get("Accept-Encoding", ""))
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="lich-hop.ics"'
        if encoding:
            response["Content-Encoding"] = encoding
    patch_vary_headers(response, ["Accept-Encoding"])
    response["ETag"] = result.etag
    response["Cache-Control"] = "private, max-age=300"
    response["Referrer-Policy"] = "no-referrer"
    now = timezone.now()
    if row.last_used_at is None or now - row.last_used_at > timedelta(hours=1):
        FeedToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return response


# --- API ------------------------------------------------------------------------------------


def _editable(request: Request, uid: str) -> Meeting:
    meeting = get_meeting_for_user(request.user, uid)
    if not can_edit_meeting(request.user, meeting):
        raise PermissionDenied(_("Chỉ thư ký đơn vị tổ chức mới xem được."))
    return meeting


class DeliveriesView(APIView):
    """Delivery state of every invitation message, per attendee (queued, sent, failed + reason)."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, uid: str) -> Response:
        meeting = _editable(request, uid)
        rows = Delivery.objects.filter(meeting=meeting).select_related("attendee__unit").order_by("attendee_id", "id")
        if state := request.query_params.get("status"):
            rows = rows.filter(status=state)
        counts = dict(Delivery.objects.filter(meeting=meeting).values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
        return Response({
            "meeting": str(meeting.uid),
            "counts": counts,
            "deliveries": [
                {
                    "id": d.pk, "attendee": d.attendee_id, "email": d.attendee.email, "name": d.attendee.display_name,
                    "unit": d.attendee.unit.code if d.attendee.unit else None, "kind": d.kind, "method": d.method,
                    "sequence": d.sequence, "occurrence": d.occurrence_id, "status": d.status, "attempts": d.attempts,
                    "error": d.last_error, "sent_at": timezone.localtime(d.sent_at).isoformat() if d.sent_at else None,
                    "next_attempt_at": timezone.localtime(d.available_at).isoformat() if d.status == Delivery.Status.QUEUED else None,
                }
                for d in rows
            ],
        })


class AnswersView(APIView):
    """Answers grouped by unit, for the organizing unit's secretaries."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, uid: str) -> Response:
        meeting = _editable(request, uid)
        units: dict[str, dict[str, Any]] = {}
        for a in meeting.attendees.filter(is_active=True).select_related("unit", "delegated_from").order_by("unit__name", "id"):
            code = a.unit.code if a.unit else ""
            group = units.setdefault(code, {
                "unit": code or None, "name": a.unit.short_name if a.unit else "Khách mời ngoài",
                "counts": {r: 0 for r in Attendee.Rsvp.values}, "attendees": [],
            })
            group["counts"][a.rsvp] += 1
            group["attendees"].append({
                "id": a.pk, "email": a.email, "name": a.display_name, "role": a.role, "rsvp": a.rsvp,
                "comment": a.rsvp_comment, "responded_at": timezone.localtime(a.responded_at).isoformat() if a.responded_at else None,
                "delegated_from": a.delegated_from.email if a.delegated_from else None,
            })
        return Response({"meeting": str(meeting.uid), "units": list(units.values())})


class DelegateSerializer(serializers.Serializer):
    user = serializers.IntegerField(required=False)
    email = serializers.EmailField(required=False)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("user") and not attrs.get("email"):
            raise serializers.ValidationError(_("Ghi mã người dùng hoặc e-mail của người dự thay."))
        return attrs


class AnswerSerializer(serializers.Serializer):
    rsvp = serializers.ChoiceField(choices=[(r, r) for r in answers.ANSWERS])
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


def _attendee(request: Request, uid: str, pk: int) -> Attendee:
    meeting = get_meeting_for_user(request.user, uid)
    return get_object_or_404(Attendee.objects.select_related("meeting", "unit", "user"), meeting=meeting, pk=pk)


class DelegateView(APIView):
    @extend_schema(request=DelegateSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request, uid: str, pk: int) -> Response:
        attendee = _attendee(request, uid, pk)
        ser = DelegateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        qs = User.objects.filter(is_active=True)
        sub = qs.filter(pk=d["user"]).first() if d.get("user") else qs.filter(email__iexact=d["email"]).first()
        if sub is None:
            raise ValidationError({"substitute": [_("Không tìm thấy người dự thay, hoặc tài khoản đã khóa.")]})
        new = answers.delegate(attendee, sub, actor=request.user, comment=d["comment"])
        return Response({"attendee": new.pk, "email": new.email, "delegated_from": attendee.email}, status=status.HTTP_201_CREATED)


class AnswerView(APIView):
    """A logged-in attendee answers their own invitation."""

    @extend_schema(request=AnswerSerializer, responses={200: OpenApiTypes.OBJECT})
    def post(self, request: Request, uid: str, pk: int) -> Response:
        attendee = _attendee(request, uid, pk)
        if attendee.user_id != request.user.pk:
            raise PermissionDenied(_("Chỉ người được mời mới trả lời được."))
        ser = AnswerSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        row = answers.respond(attendee, ser.validated_data["rsvp"], ser.validated_data["comment"], actor=request.user)
        return Response({"attendee": row.pk, "rsvp": row.rsvp})


class FeedCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=FeedToken.Kind.choices, default=FeedToken.Kind.PERSONAL)
    unit = serializers.SlugRelatedField(slug_field="code", queryset=Unit.objects.active(), required=False)
    room = serializers.PrimaryKeyRelatedField(queryset=Room.objects.active(), required=False)


def _feed_json(row: FeedToken) -> dict[str, Any]:
    return {
        "id": row.pk, "kind": row.kind, "unit": row.unit.code if row.unit else None, "room": row.room_id,
        "created_at": timezone.localtime(row.created_at).isoformat(),
        "last_used_at": timezone.localtime(row.last_used_at).isoformat() if row.last_used_at else None,
        "revoked": row.revoked_at is not None,
    }


class FeedListView(APIView):
    """The caller's subscription links. The URL is shown once, when it is created."""

    @extend_schema(responses={200: inline_serializer("Feed", {
        "id": serializers.IntegerField(), "kind": serializers.CharField(),
        "unit": serializers.CharField(allow_null=True), "room": serializers.IntegerField(allow_null=True),
        "created_at": serializers.DateTimeField(), "last_used_at": serializers.DateTimeField(allow_null=True),
        "revoked": serializers.BooleanField()}, many=True)})
    def get(self, request: Request) -> Response:
        rows = FeedToken.objects.filter(owner=request.user, revoked_at__isnull=True).select_related("unit")
        return Response([_feed_json(r) for r in rows])

    @extend_schema(request=FeedCreateSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request) -> Response:
        ser = FeedCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        kind, unit, room = ser.validated_data["kind"], ser.validated_data.get("unit"), ser.validated_data.get("room")
        if kind == FeedToken.Kind.UNIT and unit is None:
            raise ValidationError({"unit": [_("Lịch đơn vị cần mã đơn vị (unit).")]})
        if kind == FeedToken.Kind.ROOM and room is None:
            raise ValidationError({"room": [_("Lịch phòng họp cần mã phòng (room).")]})
        if not feeds.allowed(request.user, kind, unit=unit, room=room):
            raise PermissionDenied(_("Đồng chí không được xem lịch này."))
        row, token = FeedToken.issue(
            request.user, kind, unit=unit if kind == FeedToken.Kind.UNIT else None,
            room=room if kind == FeedToken.Kind.ROOM else None,
        )
        audit.security("token.feed_issued", request.user, request, feed=row.pk, kind=kind)
        return Response({**_feed_json(row), **feeds.urls(token)}, status=status.HTTP_201_CREATED)


class FeedDetailView(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        row = get_object_or_404(FeedToken, pk=pk, owner=request.user)
        if row.revoked_at is None:
            row.revoke()
            audit.security("token.feed_revoked", request.user, request, feed=row.pk, kind=row.kind)
        return Response(status=status.HTTP_204_NO_CONTENT)
