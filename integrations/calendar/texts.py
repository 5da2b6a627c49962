"""Words of the invitation mails and pages, Vietnamese first with English available, and
dates written the Vietnamese way (Thứ Hai, 07/09/2026, 08:30)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

WEEKDAYS = {
    "vi": ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật"],
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
}

TEXTS: dict[str, dict[str, str]] = {
    "vi": {
        "subject_invite": "Mời họp",
        "subject_update": "Thay đổi lịch họp",
        "subject_cancel": "Hủy cuộc họp",
        "subject_occ_cancel": "Hủy một buổi họp",
        "subject_uninvite": "Hủy cuộc họp",
        "subject_reminder": "Nhắc lịch họp",
        "greeting": "Kính gửi",
        "intro_invite": "Trân trọng kính mời đồng chí tham dự cuộc họp:",
        "intro_update": "Lịch họp đã thay đổi. Thông tin mới:",
        "changed": "Thay đổi",
        "now": "Thông tin cuộc họp sau khi thay đổi:",
        "intro_cancel": "Cuộc họp sau đã bị hủy:",
        "intro_occ_cancel": "Buổi họp sau đã bị hủy (các buổi khác vẫn giữ nguyên):",
        "intro_uninvite": "Đồng chí không còn trong thành phần mời của cuộc họp:",
        "intro_reminder": "Nhắc lịch: đồng chí có cuộc họp sắp diễn ra:",
        "title": "Nội dung",
        "when": "Thời gian",
        "repeat": "Lặp lại",
        "where": "Địa điểm",
        "online": "Trực tuyến",
        "chair": "Chủ trì",
        "organizer": "Đơn vị tổ chức",
        "agenda": "Chương trình",
        "join": "Đường dẫn tham gia riêng của đồng chí",
        "dial_in": "Số gọi vào",
        "passcode": "Mật khẩu",
        "reason": "Lý do",
        "answer": "Xác nhận tham dự",
        "accept": "Tham dự",
        "tentative": "Chưa chắc chắn",
        "decline": "Không tham dự",
        "delegate": "Cử người dự thay",
        "footer": "Thư này được gửi tự động từ hệ thống Lịch họp. Trả lời thư sẽ đến thư ký đơn vị tổ chức.",
        "confidential": "Cuộc họp mật: nội dung chương trình không gửi qua thư điện tử.",
        "series": "Chuỗi họp định kỳ",
        "occurrence": "Buổi họp",
    },
    "en": {
        "subject_invite": "Invitation",
        "subject_update": "Updated invitation",
        "subject_cancel": "Cancelled",
        "subject_occ_cancel": "One meeting cancelled",
        "subject_uninvite": "Cancelled",
        "subject_reminder": "Reminder",
        "greeting": "Dear",
        "intro_invite": "You are invited to the following meeting:",
        "intro_update": "The meeting has changed. New details:",
        "changed": "What changed",
        "now": "The meeting after the change:",
        "intro_cancel": "The following meeting has been cancelled:",
        "intro_occ_cancel": "This sitting has been cancelled (the others are unchanged):",
        "intro_uninvite": "You are no longer invited to the meeting:",
        "intro_reminder": "Reminder: you have an upcoming meeting:",
        "title": "Subject",
        "when": "When",
        "repeat": "Repeats",
        "where": "Where",
        "online": "Online",
        "chair": "Chair",
        "organizer": "Organised by",
        "agenda": "Agenda",
        "join": "Your personal join link",
        "dial_in": "Dial-in",
        "passcode": "Passcode",
        "reason": "Reason",
        "answer": "Will you attend?",
        "accept": "Accept",
        "tentative": "Tentative",
        "decline": "Decline",
        "delegate": "Send a substitute",
        "footer": "Sent automatically by the meeting calendar. Replies go to the organising unit's secretary.",
        "confidential": "Confidential meeting: the agenda is not sent by e-mail.",
        "series": "Recurring meeting",
        "occurrence": "Sitting",
    },
}


def lang_of(value: str | None) -> str:
    return value if value in TEXTS else "vi"


def texts(lang: str | None) -> dict[str, str]:
    return TEXTS[lang_of(lang)]


def when(dt: datetime, lang: str | None = "vi") -> str:
    """'Thứ Hai, 07/09/2026, 08:30' in the local time zone."""
    local = timezone.localtime(dt)
    return f"{WEEKDAYS[lang_of(lang)][local.weekday()]}, {local:%d/%m/%Y}, {local:%H:%M}"


def span(start: datetime, end: datetime, lang: str | None = "vi") -> str:
    """'Thứ Hai, 07/09/2026, 08:30 – 10:00' (the end date too when it differs)."""
    a, b = timezone.localtime(start), timezone.localtime(end)
    tail = f"{b:%H:%M}" if a.date() == b.date() else when(b, lang)
    return f"{when(a, lang)} – {tail}"
