"""A room typed by the secretary: the department's Viettel video-conference system or any
other system without an API. Quorum only checks and passes on the link and dial-in; the
video-conference endpoints of the booked rooms are listed for the invitation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from integrations.online.registry import BaseProvider, RoomInfo, RoomSpec
from meetings.models import Booking

if TYPE_CHECKING:
    from integrations.online.models import OnlineRoom
    from meetings.models import Meeting, Occurrence

MAX_TEXT = 500


def check_url(value: Any) -> str:
    from meetings.actions import ActionError

    url = str(value or "").strip()
    if not url:
        raise ActionError(
            _("Phòng họp kiểu “đường link” cần có đường link (url) để tham gia, ví dụ https://vc.soyte.vn/phong-1."),
            "online_details",
        )
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        raise ActionError(
            _("Đường link “%(u)s” không hợp lệ: chỉ nhận địa chỉ bắt đầu bằng http:// hoặc https://.") % {"u": url[:100]},
            "online_details",
        )
    if len(url) > 1000:
        raise ActionError(_("Đường link quá dài (tối đa 1000 ký tự)."), "online_details")
    return url


class LinkProvider(BaseProvider):
    key = "link"
    label = _("Đường link / truyền hình hội nghị")
    capabilities = frozenset({"dial_in", "passcode"})

    def validate(self, details: dict[str, Any], subject: Any) -> dict[str, Any]:
        from meetings.actions import ActionError

        if not isinstance(details, dict):
            raise ActionError(_("Thông tin phòng trực tuyến phải là một đối tượng {url, dial_in, passcode}."), "online_details")
        unknown = set(details) - {"url", "dial_in", "passcode"}
        if unknown:
            raise ActionError(
                _("Thông tin phòng trực tuyến không nhận các trường: %(f)s.") % {"f": ", ".join(sorted(unknown))},
                "online_details",
            )
        clean = {"url": check_url(details.get("url"))}
        for name in ("dial_in", "passcode"):
            value = str(details.get(name) or "").strip()
            if len(value) > MAX_TEXT:
                raise ActionError(_("%(f)s quá dài (tối đa %(n)s ký tự).") % {"f": name, "n": MAX_TEXT}, "online_details")
            clean[name] = value
        return clean

    def spec_details(self, occurrence: Occurrence, meeting: Meeting) -> dict[str, Any]:
        endpoints = [
            {"room": b.room.name, "unit": b.room.unit.short_name, "endpoint": b.room.vc_endpoint}
            for b in occurrence.bookings.filter(
                status__in=[Booking.Status.CONFIRMED, Booking.Status.REQUESTED]
            ).exclude(room__vc_endpoint="").select_related("room__unit").order_by("room_id")
        ]
        return {**meeting.online_details, "vc_endpoints": endpoints}

    def _info(self, spec: RoomSpec) -> RoomInfo:
        d = spec.details
        return RoomInfo(
            external_id="", join_url=d.get("url", ""), passcode=d.get("passcode", ""),
            dial_in=d.get("dial_in", ""), extra={"vc_endpoints": d.get("vc_endpoints", [])},
        )

    def create(self, spec: RoomSpec, remember: Any) -> RoomInfo:
        return self._info(spec)

    def update(self, room: OnlineRoom, spec: RoomSpec, previous: dict[str, Any]) -> RoomInfo:
        return self._info(spec)
