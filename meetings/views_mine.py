""""My meetings" (me/): the attendee's page. Thin views: fetch the person's own invitation,
validate with a form, call the invitation app's named action, respond (htmx: one card)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from integrations.calendar import answers, personal
from meetings import mine
from meetings.actions import ActionError, Forbidden
from meetings.forms_mine import AnswerForm, DelegateForm
from meetings.models import Attendee


def _page_number(request: HttpRequest, key: str = "past") -> int:
    value = request.GET.get(key, "1")
    return int(value) if value.isdigit() and 0 < int(value) < 10_000 else 1


@login_required
@require_GET
def my_meetings(request: HttpRequest) -> HttpResponse:
    page = mine.page_for(request.user, past_page=_page_number(request), ahead_page=_page_number(request, "ahead"))
    return render(request, "meetings/my_meetings.html", {"page": page, "feed": personal.current(request.user)})


def _own(request: HttpRequest, attendee_id: int) -> Attendee:
    """The person's own invitation row: others' rows are simply not found."""
    return get_object_or_404(
        Attendee.objects.select_related("meeting__organizing_unit", "unit", "user"),
        pk=attendee_id, user=request.user, is_active=True,
    )


def _card(request: HttpRequest, occurrence_id: Any) -> mine.Card:
    card = mine.card_for(request.user, int(occurrence_id)) if str(occurrence_id).isdigit() else None
    if card is None:
        raise Http404(_("Không có buổi họp này trong lịch của đồng chí."))
    return card


def _respond(request: HttpRequest, card: mine.Card, status: int = 200, **extra: Any) -> HttpResponse:
    """htmx: the card alone; otherwise back to the page (errors: the page with this card's form)."""
    if request.htmx:
        return render(request, "meetings/_my_card.html", {"card": card, **extra}, status=status)
    if status == 200:
        if extra.get("announce"):
            messages.success(request, extra["announce"])
        return redirect("my_meetings")
    return _full(request, card, status, **extra)


def _full(request: HttpRequest, card: mine.Card, status: int, **extra: Any) -> HttpResponse:
    """The whole page, with this card's open form (no JavaScript, or an error to show)."""
    page = mine.page_for(request.user)
    return render(request, "meetings/my_meetings.html",
                  {"page": page, "feed": personal.current(request.user), "errored": card.occurrence.pk, **extra},
                  status=status)


@login_required
@require_POST
def answer(request: HttpRequest, attendee_id: int) -> HttpResponse:
    attendee = _own(request, attendee_id)
    card = _card(request, request.POST.get("occurrence"))
    if card.attendee is None or card.attendee.pk != attendee.pk:
        raise Http404(_("Không có buổi họp này trong lịch của đồng chí."))
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            answers.respond(attendee, form.cleaned_data["rsvp"], form.cleaned_data["comment"], actor=request.user)
        except ActionError as exc:
            form.add_error("rsvp" if exc.field == "rsvp" else None, exc.message)
    if not form.is_valid():
        return _respond(request, card, 400, answer_form=form)
    card = _card(request, card.occurrence.pk)
    label = dict(AnswerForm.base_fields["rsvp"].choices)[form.cleaned_data["rsvp"]]
    return _respond(request, card, announce=_("Đã ghi nhận câu trả lời: %(a)s.") % {"a": label})


@login_required
@require_http_methods(["GET", "POST"])
def delegate(request: HttpRequest, attendee_id: int) -> HttpResponse:
    attendee = _own(request, attendee_id)
    card = _card(request, request.POST.get("occurrence") or request.GET.get("occurrence"))
    if card.attendee is None or card.attendee.pk != attendee.pk:
        raise Http404(_("Không có buổi họp này trong lịch của đồng chí."))
    if request.method == "GET":
        extra = {"delegate_form": DelegateForm(attendee=attendee), "suggestions": answers.substitutes(attendee)}
        if request.htmx:
            return render(request, "meetings/_my_card.html", {"card": card, **extra})
        return _full(request, card, 200, **extra)
    form = DelegateForm(request.POST, attendee=attendee)
    if form.is_valid():
        try:
            answers.delegate(attendee, form.substitute, actor=request.user, comment=form.cleaned_data["comment"])
        except ActionError as exc:
            form.add_error("email" if exc.field == "substitute" else None, exc.message)
        except Forbidden as exc:
            form.add_error(None, str(exc))
    if not form.is_valid():
        return _respond(request, card, 400, delegate_form=form, suggestions=answers.substitutes(attendee))
    card = _card(request, card.occurrence.pk)
    return _respond(request, card, announce=_("Đã cử %(n)s dự thay.") % {"n": form.substitute.full_name or form.substitute.email})


@login_required
@require_POST
def reset_feed(request: HttpRequest) -> HttpResponse:
    had = personal.current(request.user) is not None
    personal.reset(request.user)
    messages.success(request, _("Đã tạo địa chỉ mới; địa chỉ cũ không dùng được nữa.") if had
                     else _("Đã tạo địa chỉ đăng ký lịch của đồng chí."))
    return redirect("my_meetings")
