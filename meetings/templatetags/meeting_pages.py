"""Filters of the secretary's pages (meetings/templates/meetings/)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

register = template.Library()

AUDIT_LABELS = {
    "meeting.created": gettext_lazy("tạo cuộc họp"),
    "meeting.updated": gettext_lazy("sửa cuộc họp"),
    "meeting.published": gettext_lazy("gửi giấy mời (bản nháp)"),
    "meeting.draft_rooms_released": gettext_lazy("trả phòng của bản nháp"),
    "meeting.cancelled": gettext_lazy("hủy cuộc họp"),
    "meeting.split": gettext_lazy("tách chuỗi từ một buổi"),
    "meeting.truncated": gettext_lazy("hủy các buổi từ một buổi trở đi"),
    "meeting.change_reason": gettext_lazy("ghi lý do thay đổi"),
    "meeting.reminded": gettext_lazy("nhắc người chưa trả lời"),
    "occurrence.updated": gettext_lazy("dời một buổi"),
    "occurrence.cancelled": gettext_lazy("hủy một buổi"),
    "booking.approved": gettext_lazy("đơn vị duyệt phòng"),
    "booking.rejected": gettext_lazy("đơn vị từ chối phòng"),
    "attendee.responded": gettext_lazy("trả lời giấy mời"),
    "attendee.responded_occurrence": gettext_lazy("trả lời cho một buổi"),
    "attendee.delegated": gettext_lazy("cử người dự thay"),
    "attendee.created": gettext_lazy("thêm người được mời"),
}
FIELD_LABELS = {
    "title": gettext_lazy("tiêu đề"), "agenda": gettext_lazy("nội dung"), "chair_id": gettext_lazy("chủ trì"), "start": gettext_lazy("thời gian"),
    "end": gettext_lazy("giờ kết thúc"), "rrule": gettext_lazy("lịch lặp"), "mode": gettext_lazy("hình thức"), "status": gettext_lazy("trạng thái"),
    "sensitivity": gettext_lazy("mức độ"), "online_provider": gettext_lazy("phòng trực tuyến"), "is_urgent": gettext_lazy("họp khẩn"),
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
