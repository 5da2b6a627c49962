"""The archive query: who may see what, filters, diacritic-insensitive search, snippets.
Used by the archive page and by the API (same parameters, same results)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import Max, QuerySet
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from archive import permissions, search
from archive.models import IssuedDocument, SearchEntry
from archive.text import QueryError, parse_query, snippet
from meetings import audit
from meetings.models import Meeting
from meetings.widgets import FastSelect

if TYPE_CHECKING:
    from accounts.models import User

CHAIRS_TTL = 300
STATUS_CHOICES = [
    ("", _("Bản đang có hiệu lực")),
    ("on_time", _("Ban hành đúng hạn")),
    ("late", _("Ban hành trễ hạn")),
    ("superseded", _("Đã được đính chính (bản cũ)")),
    ("signed", _("Đã ký số")),
    ("unsigned", _("Chưa ký số")),
]


class ArchiveFilterForm(forms.Form):
    q = forms.CharField(label=_("Tìm kiếm"), required=False, max_length=20000,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("ví dụ: họp giao ban")}))
    unit = forms.TypedChoiceField(label=_("Đơn vị"), coerce=int, required=False, empty_value=None, widget=FastSelect)
    chair = forms.TypedChoiceField(label=_("Chủ trì"), coerce=int, required=False, empty_value=None, widget=FastSelect)
    date_from = forms.DateField(label=_("Từ ngày"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("Đến ngày"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    status = forms.ChoiceField(label=_("Tình trạng"), choices=STATUS_CHOICES, required=False, widget=FastSelect)
    sensitivity = forms.ChoiceField(label=_("Độ mật"), required=False, widget=FastSelect,
                                    choices=[("", _("Tất cả")), *Meeting.Sensitivity.choices])

    def __init__(self, *args: Any, units: list[tuple[int, str]] = (), chairs: list[tuple[int, str]] = (),
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", _("Tất cả đơn vị"))] + [(str(k), v) for k, v in units]
        self.fields["chair"].choices = [("", _("Tất cả"))] + [(str(k), v) for k, v in chairs]
        self.terms: list[str] = []

    def clean_q(self) -> str:
        value = self.cleaned_data.get("q") or ""
        try:
            self.terms = parse_query(value)
        except QueryError as exc:
            raise forms.ValidationError(str(exc)) from None
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("“Đến ngày” phải sau “Từ ngày”."))
        return data


def filtered(user: User, data: dict[str, Any], terms: list[str]) -> QuerySet[SearchEntry]:
    """The entries the user may see that pass the filters and contain every term (unordered)."""
    qs = permissions.visible_entries(user)
    status = data.get("status") or ""
    if status == "superseded":
        qs = qs.filter(is_current=False)
    else:
        qs = qs.filter(is_current=True)
        if status == "on_time":
            qs = qs.filter(on_time=True)
        elif status == "late":
            qs = qs.filter(on_time=False)
        elif status == "signed":
            qs = qs.filter(signed_at__isnull=False)
        elif status == "unsigned":
            qs = qs.filter(signed_at__isnull=True)
    if data.get("unit"):
        qs = qs.filter(unit_id=data["unit"])
    if data.get("chair"):
        qs = qs.filter(chair_id=data["chair"])
    if data.get("date_from"):
        qs = qs.filter(meeting_date__gte=data["date_from"])
    if data.get("date_to"):
        qs = qs.filter(meeting_date__lte=data["date_to"])
    if data.get("sensitivity"):
        qs = qs.filter(sensitivity=data["sensitivity"])
    return search.matching(qs, terms)


LIST_FIELDS = ["id", "code", "title", "meeting_date", "unit__short_name", "unit__name", "chair__full_name",
               "sensitivity", "on_time", "signed_at", "is_current", "version", "search_text", "minutes__occurrence_id"]


@dataclass
class Hit:
    id: int
    code: str
    title: str
    meeting_date: date
    unit: str
    chair: str
    sensitivity: str
    on_time: bool | None
    signed: bool
    version: int
    occurrence_id: int
    snippet: str


def hits(rows: list[dict[str, Any]], terms: list[str]) -> list[Hit]:
    return [
        Hit(r["id"], r["code"], r["title"], r["meeting_date"], r["unit__short_name"], r["chair__full_name"] or "",
            r["sensitivity"], r["on_time"], r["signed_at"] is not None, r["version"], r["minutes__occurrence_id"],
            snippet(r["search_text"], terms))
        for r in rows
    ]


def choices_for(user: User) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """Units and chairs to filter by: only those of documents the user may see."""
    units = [(u.pk, u.name) for u in permissions.scoped_units(user)]
    # Distinct chairs scan every visible document: computed once per user every few minutes.
    latest = IssuedDocument.objects.aggregate(n=Max("id"))["n"] or 0  # a new document renews the list
    key = f"archive:chairs:{user.pk}:{latest}"
    chairs = cache.get(key)
    if chairs is None:
        chairs = sorted(
            {(pk, name) for pk, name in permissions.visible_entries(user).filter(chair__isnull=False)
             .values_list("chair_id", "chair__full_name").distinct()}, key=lambda c: c[1])
        cache.set(key, chairs, CHAIRS_TTL)
    return units, chairs


class _Results:
    """What Paginator pages through: the capped count, and each page's rows fetched on demand
    (search.page_ids, then the listed columns of those documents alone)."""

    def __init__(self, qs: QuerySet[SearchEntry], terms: list[str]) -> None:
        self.qs, self.terms = qs, terms

    @cached_property
    def _count(self) -> tuple[int, bool]:
        return search.capped_count(self.qs)

    def count(self) -> int:
        return self._count[0]

    @property
    def capped(self) -> bool:
        return self._count[1]

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key: slice) -> list[dict[str, Any]]:
        start, stop = key.start or 0, key.stop
        if stop <= start:
            return []
        ids = search.page_ids(self.qs, self.terms, start, stop - start)
        rows = {r["id"]: r for r in IssuedDocument.objects.filter(pk__in=ids).values(*LIST_FIELDS)}
        return [rows[i] for i in ids if i in rows]


def paginate(qs: QuerySet[SearchEntry], terms: list[str], per_page: int, number: Any) -> tuple[Page, bool]:
    """A page of results and whether the count stopped at search.COUNT_CAP."""
    results = _Results(qs, terms)
    with search.planned():  # the count and the page's rows are read here
        page = Paginator(results, per_page).get_page(number)
    return page, results.capped


def audit_search(request: Any, data: dict[str, Any], page: Page, capped: bool) -> None:
    """One audit entry per search: the words typed, the filters and the number of results;
    never titles or text of the results (some may be confidential)."""
    filters = {k: v.isoformat() if isinstance(v, date) else v for k, v in data.items() if k != "q" and v}
    audit.security("archive.searched", request.user, getattr(request, "_request", request),
                   q=data.get("q") or "", filters=filters, count=page.paginator.count, count_capped=capped,
                   page=page.number)
