"""Export a period of a unit's issued minutes as a ZIP of PDFs with a CSV index: a huey task
builds it while the page polls its progress (htmx), then offers the download."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from archive import exports, permissions
from archive.models import ExportJob


class ExportForm(forms.Form):
    unit = forms.TypedChoiceField(label=gettext_lazy("Đơn vị"), coerce=int, required=False, empty_value=None)
    date_from = forms.DateField(label=gettext_lazy("Từ ngày"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=gettext_lazy("Đến ngày"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["unit"].choices = [("", gettext_lazy("Tất cả đơn vị được xem"))] + [
            (str(u.pk), u.name) for u in permissions.scoped_units(user)]

    def clean(self):
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if start > end:
                self.add_error("date_to", _("“Đến ngày” phải sau “Từ ngày”."))
            elif (end - start).days > 366:
                self.add_error("date_to", _("Mỗi lần xuất tối đa một năm."))
            elif not exports.has_documents(self.user, data.get("unit"), start, end):
                self.add_error("date_from", _("Không có biên bản đã ban hành nào trong khoảng thời gian này: không có gì để xuất."))
        return data


@login_required
@require_http_methods(["GET", "POST"])
def export_start(request: HttpRequest) -> HttpResponse:
    if not permissions.can_use_archive(request.user):
        raise PermissionDenied(_("Xuất lưu trữ dành cho lãnh đạo đơn vị và lãnh đạo Sở."))
    form = ExportForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        from archive.tasks import build_export

        with transaction.atomic():
            job = ExportJob.objects.create(requested_by=request.user, unit_id=form.cleaned_data["unit"],
                                           date_from=form.cleaned_data["date_from"], date_to=form.cleaned_data["date_to"])
            transaction.on_commit(lambda: build_export(job.pk))
        return redirect("archive_export_status", pk=job.pk)
    return render(request, "archive/export.html", {"form": form}, status=400 if form.is_bound else 200)


def _job(request: HttpRequest, pk: int) -> ExportJob:
    job = ExportJob.objects.defer("data").filter(pk=pk, requested_by=request.user).first()
    if job is None:
        raise Http404(_("Không có yêu cầu xuất này."))
    return job


@login_required
@require_GET
def export_status(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    template = "archive/_export_progress.html" if request.htmx else "archive/export_status.html"
    return render(request, template, {"job": job})


@login_required
@require_GET
def export_download(request: HttpRequest, pk: int) -> HttpResponse:
    job = ExportJob.objects.filter(pk=pk, requested_by=request.user, status=ExportJob.Status.DONE).first()
    if job is None or job.data is None:
        raise Http404(_("Tệp xuất chưa sẵn sàng."))
    exports.audit_export(job, "archive.export_downloaded", job.total, request)
    response = HttpResponse(bytes(job.data), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="bien-ban-{job.date_from:%Y%m%d}-{job.date_to:%Y%m%d}.zip"'
    return response
