"""Forms: the calendar's and the rooms page's query strings, and a room admin's decision."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from meetings.models import Equipment, Unit


def _sane_day(value: date | None) -> date | None:
    # Far-off dates would overflow the date arithmetic of the views (a 500, never acceptable).
    if value is not None and not (date(2000, 1, 1) <= value <= date(2099, 12, 31)):
        raise forms.ValidationError(_("Ngày phải trong khoảng 2000–2099."))
    return value


VIEWS = [
    ("day", _("Ngày")),
    ("week", _("Tuần")),
    ("month", _("Tháng")),
    ("rooms", _("Phòng theo ngày")),
    ("roomweek", _("Phòng theo tuần")),
]


class CalendarQuery(forms.Form):
    view = forms.ChoiceField(label=_("Kiểu xem"), choices=VIEWS, required=False)
    d = forms.DateField(label=_("Ngày"), required=False, input_formats=["%Y-%m-%d", "%d/%m/%Y"],
                        error_messages={"invalid": _("Ngày không hợp lệ; nhập theo dạng dd/mm/yyyy.")})
    unit = forms.ChoiceField(label=_("Đơn vị"), required=False)

    def __init__(self, *args: Any, units: list[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.code, u.short_name) for u in units]
        self.fields["view"].error_messages["invalid_choice"] = _("Kiểu xem không hợp lệ.")
        self.fields["unit"].error_messages["invalid_choice"] = _("Đồng chí không xem được lịch của đơn vị này.")

    def clean_d(self) -> date | None:
        return _sane_day(self.cleaned_data.get("d"))


class RoomFilter(forms.Form):
    unit = forms.ModelChoiceField(
        label=_("Đơn vị"), queryset=Unit.objects.none(), required=False, to_field_name="code",
        empty_label=_("Tất cả đơn vị"), error_messages={"invalid_choice": _("Đơn vị không tồn tại.")},
    )
    capacity = forms.IntegerField(
        label=_("Sức chứa tối thiểu"), min_value=1, max_value=10000, required=False,
        error_messages={"invalid": _("Nhập một số nguyên."), "min_value": _("Sức chứa phải từ 1 trở lên."),
                        "max_value": _("Sức chứa tối đa 10.000.")},
    )
    equipment = forms.ModelMultipleChoiceField(
        label=_("Thiết bị"), queryset=Equipment.objects.none(), required=False, to_field_name="slug",
        widget=forms.CheckboxSelectMultiple, error_messages={"invalid_choice": _("Thiết bị không tồn tại.")},
    )
    d = forms.DateField(label=_("Ngày"), required=False, input_formats=["%Y-%m-%d", "%d/%m/%Y"],
                        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                        error_messages={"invalid": _("Ngày không hợp lệ; nhập theo dạng dd/mm/yyyy.")})

    def __init__(self, *args: Any, units: Any, equipment: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["equipment"].queryset = equipment

    def clean_d(self) -> date | None:
        return _sane_day(self.cleaned_data.get("d"))


def _ids(values: list[str]) -> list[int]:
    try:
        ids = [int(v) for v in values]
    except (TypeError, ValueError):
        raise forms.ValidationError(_("Danh sách buổi họp không hợp lệ.")) from None
    if any(i <= 0 or i >= 2**63 for i in ids):
        raise forms.ValidationError(_("Danh sách buổi họp không hợp lệ."))
    return ids


class DecisionForm(forms.Form):
    """One request (a meeting's sittings in one room): approve the ticked sittings and refuse
    the others, or refuse them all. `step` is "preview" first, then "confirm"."""

    decision = forms.ChoiceField(
        choices=[("approve", _("Duyệt")), ("reject", _("Từ chối"))],
        error_messages={"required": _("Chọn duyệt hoặc từ chối."), "invalid_choice": _("Chọn duyệt hoặc từ chối.")},
    )
    note = forms.CharField(label=_("Ghi chú cho người đặt"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}),
                           error_messages={"max_length": _("Ghi chú tối đa 1000 ký tự.")})
    step = forms.ChoiceField(choices=[("preview", "preview"), ("confirm", "confirm")], required=False)

    def __init__(self, data: Any = None, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.bookings: list[int] = []
        self.ticked: list[int] = []
        self._raw = data

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        data = self._raw
        try:
            self.bookings = _ids(data.getlist("bookings"))
            self.ticked = _ids(data.getlist("sitting"))
        except forms.ValidationError as exc:
            self.add_error(None, exc)
            return cleaned
        if not self.bookings:
            self.add_error(None, _("Chưa chọn yêu cầu nào để xử lý."))
        elif not set(self.ticked) <= set(self.bookings):
            self.add_error(None, _("Danh sách buổi họp không hợp lệ."))
        elif cleaned.get("decision") == "approve" and not self.ticked:
            self.add_error(None, _("Chọn ít nhất một buổi để duyệt, hoặc bấm Từ chối."))
        return cleaned

    def split(self) -> tuple[list[int], list[int]]:
        """(approve, reject) booking ids."""
        if self.cleaned_data["decision"] == "reject":
            return [], list(self.bookings)
        ticked = set(self.ticked)
        return [b for b in self.bookings if b in ticked], [b for b in self.bookings if b not in ticked]
