"""Filters of the secretary's pages (meetings/templates/meetings/)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

register = template.Library()

AUDIT_LABELS = {
    "meeting.created": _lazy("tạo cuộc họp"),
    "meeting.updated": _lazy("sửa cuộc họp"),
    "meeting.published": _lazy("gửi giấy mời (bản nháp)"),
    "meeting.draft_rooms_released": _lazy("trả phòng của bản nháp"),
    "meeting.cancelled": _lazy("hủy cuộc họp"),
    "meeting.split": _lazy("tách chuỗi từ một buổi"),
    "meeting.truncated": _lazy("hủy các buổi từ một buổi trở đi"),
    "meeting.change_reason": _lazy("ghi lý do thay đổi"),
    "meeting.reminded": _lazy("nhắc người chưa trả lời"),
    "occurrence.updated": _lazy("dời một buổi"),
    "occurrence.cancelled": _lazy("hủy một buổi"),
    "booking.approved": _lazy("đơn vị duyệt phòng"),
    "booking.rejected": _lazy("đơn vị từ chối phòng"),
    "attendee.responded": _lazy("trả lời giấy mời"),
    "attendee.responded_occurrence": _lazy("trả lời cho một buổi"),
    "attendee.delegated": _lazy("cử người dự thay"),
    "attendee.created": _lazy("thêm người được mời"),
}
FIELD_LABELS = {
    "title": _lazy("tiêu đề"), "agenda": _lazy("nội dung"), "chair_id": _lazy("chủ trì"), "start": _lazy("thời gian"),
    "end": _lazy("giờ kết thúc"), "rrule": _lazy("lịch lặp"), "mode": _lazy("hình thức"), "status": _lazy("trạng thái"),
    "sensitivity": _lazy("mức độ"), "online_provider": _lazy("phòng trực tuyến"), "is_urgent": _lazy("họp khẩn"),
}


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """mapping[key] in a template (None when absent)."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def audit_label(entry: Any) -> str:
    """What an audit entry did, in words ("sửa cuộc họp: tiêu đề, thời gian")."""
    label = str(AUDIT_LABELS.get(entry.action, entry.action))
    if entry.action == "meeting.updated" and isinstance(entry.after, dict):
        fields = [str(FIELD_LABELS[k]) for k in entry.after if k in FIELD_LABELS]
        if fields:
            label += ": " + ", ".join(dict.fromkeys(fields))
    if entry.action.startswith("attendee.") and entry.object_repr:
        label = f"{entry.object_repr} {label}"
    return label or _("thay đổi")


@register.filter
def vn_span(start: Any, end: Any) -> str:
    """{{ start|vn_span:end }} → Thứ Ba, 08/12/2026, 09:00 – 11:00."""
    from meetings.formatting import vn_span as span

    return span(start, end) if start and end else ""


@register.filter
def vn_day(value: Any) -> str:
    from meetings.formatting import vn_day as day

    return day(value) if value else ""
