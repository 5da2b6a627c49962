"""CSV export of the audit trail (the admin's action). The export itself is audited."""

from __future__ import annotations

import csv
import json
from typing import Any

from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone

from meetings import audit

COLUMNS = ["id", "at", "actor_id", "actor_name", "actor_email", "ip", "action", "object_type", "object_id",
           "object_repr", "meeting_id", "before", "after"]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value  # no formula injection when opened in a spreadsheet
    return value


def rows(queryset: Any) -> Any:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # Excel opens UTF-8 (Vietnamese) correctly with a BOM
    yield writer.writerow(COLUMNS)
    for e in queryset.order_by("at", "id").iterator(chunk_size=2000):
        yield writer.writerow([_cell(v) for v in (
            e.pk, timezone.localtime(e.at).isoformat(), e.actor_id, e.actor_name, e.actor_email, e.ip or "",
            e.action, e.object_type, e.object_id, e.object_repr, e.meeting_id,
            json.dumps(e.before, ensure_ascii=False) if e.before is not None else "",
            json.dumps(e.after, ensure_ascii=False) if e.after is not None else "",
        )])


def csv_response(request: HttpRequest, queryset: Any) -> StreamingHttpResponse:
    audit.security("audit.exported", request.user, request, rows=queryset.count())
    response = StreamingHttpResponse(rows(queryset), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="nhat-ky-quorum-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response
