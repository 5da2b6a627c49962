"""Document numbers, per issuing unit per calendar year (NĐ 30/2020: numbering restarts on
1 January). One counter row per unit and year, locked while a number is taken."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from archive.models import DocumentCounter
from meetings.models import Unit


def next_number(unit: Unit, year: int) -> int:
    """The next number; must run inside the caller's transaction (the number is used only if
    that transaction commits, so numbers are never skipped by a refused approval)."""
    counter = DocumentCounter.objects.select_for_update().filter(unit=unit, year=year).first()
    if counter is None:
        try:
            with transaction.atomic():
                DocumentCounter.objects.create(unit=unit, year=year, last=0)
        except IntegrityError:  # created at the same moment by another approval
            pass
        counter = DocumentCounter.objects.select_for_update().get(unit=unit, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last
