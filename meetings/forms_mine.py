"""Forms of "My meetings": an answer, and sending someone in one's place."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from meetings.models import Attendee

ANSWER_CHOICES = [
    (Attendee.Rsvp.ACCEPTED.value, _("Tham dự")),
    (Attendee.Rsvp.TENTATIVE.value, _("Chưa chắc chắn")),
    (Attendee.Rsvp.DECLINED.value, _("Không tham dự")),
]


class AnswerForm(forms.Form):
    rsvp = forms.ChoiceField(
        label=_("Câu trả lời"), choices=ANSWER_CHOICES,
        error_messages={
            "required": _("Hãy chọn Tham dự, Chưa chắc chắn hoặc Không tham dự."),
            "invalid_choice": _("Hãy chọn Tham dự, Chưa chắc chắn hoặc Không tham dự."),
        },
    )
    comment = forms.CharField(label=_("Ghi chú"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class DelegateForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail người dự thay"), max_length=254,
        error_messages={"required": _("Nhập e-mail của người dự thay."),
                        "invalid": _("Địa chỉ e-mail này không hợp lệ (ví dụ đúng: ten@soyte.gov.vn).")},
    )
    comment = forms.CharField(label=_("Lời nhắn"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, attendee: Attendee, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.attendee = attendee
        self.substitute: User | None = None

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if email == self.attendee.email.lower() or (self.attendee.user and email == self.attendee.user.email.lower()):
            raise forms.ValidationError(_("Không thể cử chính mình dự thay."))
        if self.attendee.meeting.attendees.filter(email__iexact=email, is_active=True).exists():
            raise forms.ValidationError(_("%(e)s đã có trong thành phần mời của cuộc họp này.") % {"e": email})
        self.substitute = User.objects.filter(email__iexact=email, is_active=True).first()
        if self.substitute is None:
            raise forms.ValidationError(_("Không có tài khoản Quorum nào dùng e-mail này."))
        return email
