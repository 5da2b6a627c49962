"""The leadership archive: search page, one issued document (PDF, DOCX, signature state),
signing, and the sign-off panel of the minutes (submit, approve, send back, issue, correct)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from archive import permissions, queries, signing
from archive import render as documents
from archive.models import DocumentFile, IssuedDocument
from meetings import audit
from minutes import workflow
from minutes.documents import MinutesError
from minutes.models import Minutes
from minutes.permissions import Access, access
from minutes.views import minutes_for

PAGE_SIZE = 20


@login_required
@require_GET
def archive_index(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not permissions.can_use_archive(user):
        raise PermissionDenied(_("Lưu trữ biên bản dành cho lãnh đạo đơn vị và lãnh đạo Sở."))
    units, chairs = queries.choices_for(user)
    form = queries.ArchiveFilterForm(request.GET or None, units=units, chairs=chairs)
    status = 200
    page, capped = None, False
    results: list[queries.Hit] = []
    if form.is_bound and not form.is_valid():
        status = 400
    else:
        data = form.cleaned_data if form.is_bound else {}
        qs = queries.filtered(user, data, form.terms)
        page, capped = queries.paginate(qs, form.terms, PAGE_SIZE, request.GET.get("page"))
        results = queries.hits(list(page.object_list), form.terms)
        if form.is_bound:
            queries.audit_search(request, data, page, capped)
    context = {"form": form, "page": page, "results": results, "capped": capped}
    return render(request, "archive/index.html", context, status=status)


def document_for(user, pk: int) -> IssuedDocument:
    """The one way views fetch an issued document: 404 unless the archive or the minutes
    themselves are the user's to see."""
    doc = IssuedDocument.objects.select_related(
        "unit", "approved_by", "issued_by", "supersedes", "minutes__occurrence__meeting").filter(
        pk=pk, issued_at__isnull=False).first()
    if doc is None:
        raise Http404(_("Không có văn bản này."))
    if permissions.visible_documents(user).filter(pk=pk).exists():
        return doc
    if access(user, doc.minutes.occurrence.meeting, doc.minutes) != Access.NONE:
        return doc
    raise Http404(_("Không có văn bản này, hoặc bạn không có quyền xem."))


class SignForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Mật khẩu chứng thư số"), required=False, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text=gettext_lazy("Để trống nếu mật khẩu đã được cấu hình trên máy chủ."),
    )


@login_required
@require_GET
def document_detail(request: HttpRequest, pk: int) -> HttpResponse:
    doc = document_for(request.user, pk)
    documents.ensure_files(doc)
    pdf = doc.files.filter(kind=DocumentFile.Kind.PDF).select_related("document").first()
    verdict = signing.verify_file(pdf) if pdf else None
    versions = list(IssuedDocument.objects.filter(minutes_id=doc.minutes_id, issued_at__isnull=False)
                    .order_by("version").values("id", "code", "version", "is_current"))
    can_sign = (doc.chair_id == request.user.pk or request.user.is_superuser) and verdict is not None \
        and verdict.state != DocumentFile.Signature.VALID
    return render(request, "archive/document.html", {
        "doc": doc, "verdict": verdict, "versions": versions, "can_sign": can_sign,
        "sign_form": SignForm(), "certificate": signing.certificate_for(doc) if can_sign else None,
    })


@login_required
@require_GET
def document_file(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    doc = document_for(request.user, pk)
    documents.ensure_files(doc)
    file = doc.files.filter(kind=kind).first()
    if file is None:
        raise Http404(_("Không có tệp này."))
    types = {"pdf": "application/pdf",
             "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
    # Which document and file, not its title (it may be confidential).
    audit.security("archive.document_downloaded", request.user, request, document=doc.pk, code=doc.code, kind=kind)
    response = HttpResponse(bytes(file.data), content_type=types[kind])
    name = f"bien-ban-{doc.code.replace('/', '-')}.{kind}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def document_sign(request: HttpRequest, pk: int) -> HttpResponse:
    doc = document_for(request.user, pk)
    if not (doc.chair_id == request.user.pk or request.user.is_superuser):
        raise PermissionDenied(_("Chỉ người ký (chủ trì cuộc họp) được ký số văn bản này."))
    form = SignForm(request.POST)
    if form.is_valid():
        try:
            signing.sign_document(request.user, doc, form.cleaned_data["password"] or None)
        except signing.SigningError as exc:
            form.add_error("password", exc.message)
        else:
            messages.success(request, _("Đã ký số văn bản %(code)s.") % {"code": doc.code})
            return redirect("archive_document", pk=doc.pk)
    pdf = doc.files.filter(kind=DocumentFile.Kind.PDF).first()
    return render(request, "archive/document.html", {
        "doc": doc, "verdict": signing.verify_file(pdf) if pdf else None, "can_sign": True, "sign_form": form,
        "versions": [], "certificate": signing.certificate_for(doc),
    }, status=400)


# --- the sign-off panel of the minutes ------------------------------------------------------


class StepForm(forms.Form):
    step = forms.ChoiceField(choices=[(s, s) for s in ("submit", "approve", "send_back", "issue", "correct")])
    comment = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))


def _panel(request: HttpRequest, minutes: Minutes, level: Access, error: str = "", status: int = 200) -> HttpResponse:
    meeting = minutes.occurrence.meeting
    current = minutes.documents.filter(is_current=True).only("id", "code").first()
    context = {
        "minutes": minutes, "meeting": meeting, "error": error, "current": current,
        "is_chair": meeting.chair_id == request.user.pk, "can_write": level == Access.EDIT,
    }
    return render(request, "archive/_workflow.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def minutes_workflow(request: HttpRequest, occurrence_id: int) -> HttpResponse:
    minutes, level = minutes_for(request, occurrence_id)
    if request.method == "GET":
        return _panel(request, minutes, level)
    form = StepForm(request.POST)
    if not form.is_valid():
        return _panel(request, minutes, level, _("Bước không hợp lệ."), 400)
    step, comment = form.cleaned_data["step"], form.cleaned_data["comment"]
    try:
        if step == "submit":
            workflow.submit(request.user, minutes)
        elif step == "approve":
            workflow.approve(request.user, minutes)
        elif step == "send_back":
            workflow.send_back(request.user, minutes, comment)
        elif step == "issue":
            workflow.issue(request.user, minutes)
        else:
            workflow.start_correction(request.user, minutes, comment)
    except MinutesError as exc:
        minutes.refresh_from_db()
        return _panel(request, minutes, level, exc.message, 200 if request.htmx else exc.status)
    minutes.refresh_from_db()
    if not request.htmx:
        return redirect(reverse("minutes:page", args=[occurrence_id]))
    return _panel(request, minutes, level)
