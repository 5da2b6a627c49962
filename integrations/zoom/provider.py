"""Zoom as an online-room provider: one scheduled Zoom meeting (type 2) per occurrence,
hosted by a licence from the pool."""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.conf import settings
from django.utils.translation import gettext as _

from integrations.online import registry
from integrations.online.registry import BaseProvider, RoomInfo, RoomSpec
from integrations.zoom import pool
from integrations.zoom.client import (
    Credentials,
    ZoomAPI,
    ZoomError,
    configuration_problem,
    seconds_to_utc_midnight,
)
from integrations.zoom.models import ZoomHostAccount

if TYPE_CHECKING:
    from accounts.models import User
    from integrations.online.models import OnlineRoom
    from meetings.models import Attendee, Meeting, Occurrence

# Sensible defaults for a health department: no recording unless a unit opts in, guests
# without Zoom accounts may join, people can join up to 10 minutes before the host.
MEETING_SETTINGS = {
    "join_before_host": True,
    "jbh_time": 10,
    "waiting_room": False,
    "mute_upon_entry": True,
    "host_video": False,
    "participant_video": False,
    "approval_type": 2,
    "auto_recording": "none",
    "meeting_authentication": False,
    "email_notification": False,
}


def marker(spec: RoomSpec) -> str:
    # Lets a create whose answer was lost be found again (no meeting details: the agenda
    # shows in Zoom's invitations).
    return f"Quorum ref {spec.key}"


def meeting_body(spec: RoomSpec) -> dict[str, Any]:
    return {
        "topic": spec.topic,
        "type": 2,
        # zoomus appends "Z" without converting: hand it UTC.
        "start_time": spec.start.astimezone(UTC),
        "duration": spec.duration_minutes,
        "timezone": settings.TIME_ZONE,
        "agenda": marker(spec),
        "settings": dict(MEETING_SETTINGS),
    }


def dial_in_text(data: dict[str, Any]) -> str:
    numbers = (data.get("settings") or {}).get("global_dial_in_numbers") or []
    lines = [" ".join(str(n.get(k, "")) for k in ("country_name", "city", "number") if n.get(k)) for n in numbers]
    return "\n".join(line for line in lines if line)


def info_from(data: dict[str, Any], spec: RoomSpec) -> RoomInfo:
    return RoomInfo(
        external_id=str(data["id"]),
        join_url=data.get("join_url", ""),
        passcode=data.get("password", ""),
        dial_in=dial_in_text(data),
        host=data.get("host_email") or spec.host,
        extra={"uuid": data.get("uuid", ""), "timezone": data.get("timezone", "")},
    )


class ZoomProvider(BaseProvider):
    key = "zoom"
    label = "Zoom"
    capabilities = frozenset({"webhooks", "attendance", "passcode", "dial_in", "host_pool"})

    def api(self) -> ZoomAPI:
        return ZoomAPI()

    def unavailable_reason(self, subject: Any = None) -> str | None:
        if not Credentials.from_settings().configured:
            return _(
                "Zoom chưa được cấu hình trên hệ thống này (thiếu ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET). "
                "Hãy chọn nhà cung cấp khác: Jitsi hoặc đường link."
            )
        problem = configuration_problem()
        if problem:
            return _("Zoom đang lỗi cấu hình, hãy chọn nhà cung cấp khác (Jitsi hoặc đường link). Chi tiết: %(p)s") % {"p": problem}
        unit = getattr(subject, "organizing_unit", None)
        if unit is not None and not ZoomHostAccount.objects.usable_by(unit.pk).exists():
            return _(
                "Chưa có tài khoản Zoom (host) nào cho %(u)s. Quản trị viên cần thêm tài khoản; "
                "trong lúc chờ, hãy chọn Jitsi hoặc đường link."
            ) % {"u": unit.short_name}
        return None

    # --- inside the meeting's transaction -----------------------------------------------

    def reserve(self, room: OnlineRoom, occurrence: Occurrence, meeting: Meeting) -> None:
        from integrations.online.models import UnitOnlinePolicy
        from meetings.actions import ActionError

        try:
            pool.reserve(occurrence, meeting)
        except pool.NoFreeHost as exc:
            policy = UnitOnlinePolicy.objects.filter(unit_id=meeting.organizing_unit_id).first()
            fallback = policy.fallback_provider if policy else ""
            if fallback and fallback != self.key and registry.get(fallback) is not None:
                pool.release(occurrence.pk)
                room.provider = fallback
                return
            raise ActionError(exc.message, "online_provider", conflict=True) from None

    def release(self, room: OnlineRoom) -> None:
        pool.release(room.occurrence_id)

    def spec_host(self, room: OnlineRoom) -> str:
        host = pool.host_for(room.occurrence_id)
        return host.zoom_user_id if host else ""

    # --- outside any transaction --------------------------------------------------------

    def _spend(self, host: str) -> None:
        if not pool.spend(host):
            raise ZoomError(
                _("Tài khoản Zoom %(h)s đã dùng hết 100 lần tạo/sửa cuộc họp trong ngày; Quorum sẽ tiếp tục sau 07:00 (00:00 UTC).") % {"h": host},
                temporary=True, retry_after=seconds_to_utc_midnight(),
            )

    def create(self, spec: RoomSpec, remember: Any) -> RoomInfo:
        if not spec.host:
            raise ZoomError(_("Buổi họp chưa được phân tài khoản Zoom (host)."))
        api = self.api()
        self._spend(spec.host)
        created = api.create_meeting(spec.host, meeting_body(spec))
        meeting_id = str(created["id"])
        remember(meeting_id)
        # Read back what Zoom kept (account-locked settings override ours).
        return info_from(api.get_meeting(meeting_id), spec)

    def find(self, spec: RoomSpec) -> RoomInfo | None:
        if not spec.host:
            return None
        api = self.api()
        for item in api.list_meetings(spec.host):
            if marker(spec) in (item.get("agenda") or ""):
                return info_from(api.get_meeting(str(item["id"])), spec)
        return None

    def update(self, room: OnlineRoom, spec: RoomSpec, previous: dict[str, Any]) -> RoomInfo:
        api = self.api()
        now = spec.fingerprint()
        body = meeting_body(spec)
        if not previous:
            changes = {k: v for k, v in body.items() if k != "type"}
        else:
            # Only what changed (each PATCH counts against the host's daily budget).
            changes = {}
            if previous.get("topic") != now["topic"]:
                changes["topic"] = body["topic"]
            if previous.get("start") != now["start"]:
                changes["start_time"] = body["start_time"]
                changes["timezone"] = body["timezone"]
            if previous.get("duration") != now["duration"]:
                changes["duration"] = body["duration"]
        if changes:
            self._spend(spec.host)
            api.update_meeting(room.external_id, changes)
        return info_from(api.get_meeting(room.external_id), spec)

    def delete(self, room: OnlineRoom) -> None:
        self.api().delete_meeting(room.external_id)

    def join_link(self, room: OnlineRoom, attendee: Attendee | None) -> str:
        if attendee is None or not room.join_url:
            return room.join_url
        # The web client pre-fills the name; webhooks then carry it (attendance matching).
        sep = "&" if "?" in room.join_url else "?"
        return room.join_url + sep + urlencode({"uname": attendee.public_name})  # never the e-mail

    def host_link(self, room: OnlineRoom, user: User) -> str:
        # start_url logs the browser in as the host and expires after 2 hours: fetched
        # fresh on every click, never stored or e-mailed.
        return self.api().get_meeting(room.external_id).get("start_url", "")
