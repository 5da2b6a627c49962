"""Small pieces the composer and the meeting page share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from meetings.booking import BookingConflict
from meetings.models import Occurrence

SHOWN_CLASHES = 10


def put_action_error(form: forms.Form, exc: Exception, *, clash_field: str, fields: Mapping[str, str]) -> None:
    """An action's refusal next to the field it concerns: room clashes (the first ten, then how
    many more) next to `clash_field`; another error next to `fields[exc.field]`, or on the form."""
    if isinstance(exc, BookingConflict):
        for clash in exc.clashes[:SHOWN_CLASHES]:
            form.add_error(clash_field, clash.sentence())
        if len(exc.clashes) > SHOWN_CLASHES:
            form.add_error(clash_field, _("… và %(n)s xung đột khác.") % {"n": len(exc.clashes) - SHOWN_CLASHES})
        return
    field = fields.get(getattr(exc, "field", None) or "")
    form.add_error(field if field in form.fields else None, getattr(exc, "message", str(exc)))


def chosen_occurrence(
    occurrences: QuerySet[Occurrence], data: Mapping[str, Any], otherwise: QuerySet[Occurrence] | None = None
) -> Occurrence | None:
    """The sitting named by data["occurrence"] among `occurrences` (None if it is not one of
    them); without a number, the first of `otherwise`, or None."""
    occ_id = data.get("occurrence") or ""
    if occ_id.isdigit():
        return occurrences.filter(pk=occ_id).first()
    return otherwise.first() if otherwise is not None else None
