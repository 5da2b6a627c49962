"""The host-licence pool: a licensed Zoom user runs one meeting at a time, so each
occurrence holds a host for its time plus buffers, never overlapping another.

`reserve()` runs inside the meeting's transaction (see integrations.online.lifecycle):
- PostgreSQL: the exclusion constraint (migration 0002) catches two transactions that
  both saw the host free; the insert runs in a savepoint so the loser tries the next host;
- SQLite: the transaction holds the write lock (BEGIN IMMEDIATE), so check and insert
  cannot interleave.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations.zoom.models import (
    DAILY_BUDGET,
    HostAllocation,
    HostUsage,
    ZoomHostAccount,
    utc_day,
)
from meetings.models import Meeting, Occurrence

# Join-before-host opens 10 minutes early; meetings overrun. Both keep the host busy.
BUFFER_BEFORE = timedelta(minutes=10)
BUFFER_AFTER = timedelta(minutes=15)


class NoFreeHost(Exception):
    def __init__(self, occurrence: Occurrence) -> None:
        when = timezone.localtime(occurrence.start).strftime("%d/%m/%Y %H:%M")
        super().__init__(
            _(
                "Không còn tài khoản Zoom (host) nào trống cho buổi họp %(w)s: mỗi tài khoản chỉ chủ trì "
                "một cuộc họp tại một thời điểm. Hãy đổi giờ, hoặc chọn Jitsi hay đường link cho cuộc họp."
            )
            % {"w": when}
        )
        self.message = str(self)


def window(occurrence: Occurrence) -> tuple[datetime, datetime]:
    return occurrence.start - BUFFER_BEFORE, occurrence.end + BUFFER_AFTER


def _busy(host_ids: list[int], start: datetime, end: datetime, occurrence_id: int) -> set[int]:
    return set(
        HostAllocation.objects.filter(host_id__in=host_ids, active=True, blocked_start__lt=end, blocked_end__gt=start)
        .exclude(occurrence_id=occurrence_id)
        .values_list("host_id", flat=True)
    )


def _sqlstate(exc: Exception) -> str | None:
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) or getattr(getattr(cause, "diag", None), "sqlstate", None)


def _is_overlap(exc: IntegrityError) -> bool:
    return _sqlstate(exc) == "23P01" or "zoom_allocation_no_overlap" in str(exc)


def reserve(occurrence: Occurrence, meeting: Meeting) -> HostAllocation:
    """Give `occurrence` a free host (keeping its current one if still free). Must run
    inside a transaction. Raises NoFreeHost."""
    start, end = window(occurrence)
    current = HostAllocation.objects.filter(occurrence=occurrence).select_related("host").first()
    if current and current.active and current.host.is_active and (current.blocked_start, current.blocked_end) == (start, end):
        return current
    hosts = list(ZoomHostAccount.objects.usable_by(meeting.organizing_unit_id).order_by(F("unit_id").asc(nulls_last=True), "pk"))
    # Keep the host it has (no new Zoom meeting needed), then the unit's own, then shared ones.
    if current and current.host in hosts:
        hosts.remove(current.host)
        hosts.insert(0, current.host)
    busy = _busy([h.pk for h in hosts], start, end, occurrence.pk)
    for host in hosts:
        if host.pk in busy:
            continue
        for attempt in range(3):
            try:
                with transaction.atomic():  # a savepoint: a lost race leaves the transaction usable
                    if current is None:
                        current = HostAllocation.objects.create(
                            host=host, occurrence=occurrence, blocked_start=start, blocked_end=end
                        )
                    else:
                        HostAllocation.objects.filter(pk=current.pk).update(
                            host=host, blocked_start=start, blocked_end=end, active=True
                        )
                        current.host, current.blocked_start, current.blocked_end, current.active = host, start, end, True
                return current
            except IntegrityError as exc:
                if not _is_overlap(exc):
                    raise
                break  # another transaction took this host a moment ago
            except OperationalError as exc:
                # Two transactions inserting overlapping allocations check the exclusion
                # constraint against each other's uncommitted row: PostgreSQL aborts one as
                # a deadlock (its savepoint is gone). Inserting again waits for the winner,
                # then meets the constraint (or succeeds if the winner rolled back).
                if _sqlstate(exc) != "40P01" or attempt == 2:
                    raise
    raise NoFreeHost(occurrence)


def release(occurrence_id: int) -> None:
    HostAllocation.objects.filter(occurrence_id=occurrence_id, active=True).update(active=False)


def host_for(occurrence_id: int) -> ZoomHostAccount | None:
    allocation = HostAllocation.objects.filter(occurrence_id=occurrence_id, active=True).select_related("host").first()
    return allocation.host if allocation else None


def spend(host_user_id: str) -> bool:
    """Count one create/update request against the host's daily budget (UTC day).
    False when the budget is used up."""
    host = ZoomHostAccount.objects.filter(zoom_user_id=host_user_id).first()
    if host is None:
        return True
    day = utc_day()
    HostUsage.objects.get_or_create(host=host, day=day)
    return bool(
        HostUsage.objects.filter(host=host, day=day, count__lt=DAILY_BUDGET).update(count=F("count") + 1)
    )
