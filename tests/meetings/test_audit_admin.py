"""The admin filters the audit trail and exports it as CSV (the export is audited too)."""

from __future__ import annotations

import csv
import io

from meetings import audit
from meetings.models import AuditEntry
from tests.factories import make_user


def test_the_admin_filters_the_trail_and_exports_it_as_csv(org, client):
    root = make_user("root@quorum.test", is_staff=True, is_superuser=True, full_name="Quản Trị")
    audit.security("auth.login_failed", org.member, None, email=org.member.email)
    audit.security("auth.login", org.member)
    audit.security("token.api_issued", org.member, None, token="k1", name="=cmd|' /C calc'!A0")
    client.force_login(root)
    page = client.get("/admin/meetings/auditentry/", {"action": "auth.login_failed"})
    assert page.status_code == 200
    assert page.context["cl"].result_count == 1
    ids = list(AuditEntry.objects.filter(action__startswith="auth.").values_list("pk", flat=True))
    response = client.post("/admin/meetings/auditentry/?action__startswith=auth.",
                           {"action": "export_csv", "_selected_action": ids})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(body)))
    assert [r["action"] for r in table] == ["auth.login_failed", "auth.login"]
    assert table[0]["actor_email"] == org.member.email
    assert AuditEntry.objects.filter(action="audit.exported", actor=root).exists()


def test_csv_cells_cannot_become_spreadsheet_formulas():
    from meetings.audit_export import _cell

    assert _cell("=SUM(1)") == "'=SUM(1)" and _cell("@x") == "'@x" and _cell("meeting.created") == "meeting.created"
