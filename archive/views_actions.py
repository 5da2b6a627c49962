"""Action-item pages: the unit's list, my list, and the htmx status change of one row."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from archive import actionlists, permissions
from meetings.models import Unit
from meetings.permissions import unit_ids
from minutes.documents import MinutesError
from minutes.models import ActionItem

PAGE_SIZE = 50


def _page(request: HttpRequest, qs, form, **context) -> HttpResponse:
    today = timezone.localdate()
    data = form.cleaned_data if form.is_valid() else {}
    qs = actionlists.rows(actionlists.apply_filters(qs, data, today))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = actionlists.decorate(list(page.object_list), request.user, today)
    return render(request, "archive/actions.html", {"form": form, "page": page, "rows": rows, **context})


@login_required
@require_GET
def unit_actions(request: HttpRequest) -> HttpResponse:
    """?unit=<id>: that unit's items (members and department leaders); default: my first unit."""
    user = request.user
    choices = list(permissions.scoped_units(user)) if permissions.sees_everything(user) else list(
        Unit.objects.filter(pk__in=unit_ids(user), is_active=True).order_by("name"))
    if not choices:
        raise PermissionDenied(_("Bạn chưa thuộc đơn vị nào nên không có danh sách việc của đơn vị."))
    try:
        wanted = int(request.GET.get("unit") or choices[0].pk)
    except ValueError:
        raise Http404(_("Không có đơn vị này.")) from None
    unit = next((u for u in choices if u.pk == wanted), None)
    if unit is None:
        raise Http404(_("Không có đơn vị này, hoặc bạn không được xem việc của đơn vị này."))
    base = permissions.visible_items(user, ActionItem.objects.for_unit(unit))
    owners = sorted({(pk, name) for pk, name in base.filter(owner_user__isnull=False).values_list(
        "owner_user_id", "owner_user__full_name")}, key=lambda o: o[1])
    form = actionlists.ActionFilterForm(request.GET or None, owners=owners)
    return _page(request, base, form, unit=unit, units=choices, mine=False)


@login_required
@require_GET
def my_actions(request: HttpRequest) -> HttpResponse:
    form = actionlists.ActionFilterForm(request.GET or None)
    return _page(request, actionlists.for_person(request.user), form, mine=True)


@login_required
@require_POST
def action_status(request: HttpRequest, item_id: int) -> HttpResponse:
    item = get_object_or_404(
        ActionItem.objects.select_related("owner_user", "owner_unit", "minutes__occurrence__meeting"), pk=item_id)
    visible = permissions.visible_items(request.user, ActionItem.objects.filter(pk=item.pk)).exists()
    if not visible:
        raise Http404(_("Không có việc này."))
    if not permissions.can_change_item(request.user, item):
        raise PermissionDenied(_("Chỉ người được giao việc (hoặc lãnh đạo, thư ký đơn vị được giao) được đổi trạng thái."))
    form = actionlists.StatusForm(request.POST)
    today = timezone.localdate()
    status = 200
    if form.is_valid():
        try:
            item = actionlists.set_status(request.user, item, form.cleaned_data["status"], form.cleaned_data["note"])
            item = ActionItem.objects.select_related("owner_user", "owner_unit", "minutes__occurrence__meeting").get(pk=item.pk)
        except MinutesError as exc:
            form.add_error("status", exc.message)
            status = 400
    else:
        status = 400
    row = actionlists.Row(item, item.effective_status(today) == ActionItem.Status.OVERDUE, True)
    saved = status == 200
    # htmx swaps only 2xx answers: the row comes back with the error next to the field.
    if request.htmx:
        status = 200
    return render(request, "archive/_action_row.html", {"row": row, "form": form, "saved": saved}, status=status)
