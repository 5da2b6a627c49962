"""The audit trail cannot be changed by the application's own database role (D3)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from meetings import audit
from meetings.models import AuditEntry
from tests.meetings.conftest import requires_postgres


@pytest.fixture
def app_role(org):
    """A runtime role as production has it: granted by `grant_app_role`, not the owner."""
    role = f"{connection.settings_dict['NAME']}_app"[:60]
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cur.fetchone() is None:
            cur.execute(f'CREATE ROLE "{role}" NOLOGIN')
    call_command("grant_app_role", role)
    yield role


@requires_postgres
@pytest.mark.parametrize("statement", [
    "UPDATE meetings_auditentry SET action = 'tampered'",
    "DELETE FROM meetings_auditentry",
    "TRUNCATE meetings_auditentry",
    "ALTER TABLE meetings_auditentry DISABLE TRIGGER meetings_audit_append_only",
    "ALTER TABLE meetings_auditentry DISABLE TRIGGER ALL",
])
def test_the_app_role_cannot_change_truncate_or_unguard_audit_rows(org, app_role, statement):
    audit.security("auth.login", org.member)
    with connection.cursor() as cur:
        cur.execute(f'SET ROLE "{app_role}"')
        try:
            # What it may do: read and append.
            cur.execute("SELECT count(*) FROM meetings_auditentry")
            with pytest.raises(DatabaseError), transaction.atomic():
                cur.execute(statement)
        finally:
            cur.execute("RESET ROLE")
    assert AuditEntry.objects.filter(action="auth.login").count() == 1


@requires_postgres
def test_the_app_role_may_append_audit_rows(org, app_role):
    with connection.cursor() as cur:
        cur.execute(f'SET ROLE "{app_role}"')
        try:
            audit.security("auth.login", org.member)
        finally:
            cur.execute("RESET ROLE")
    assert AuditEntry.objects.filter(action="auth.login").exists()


@requires_postgres
def test_even_the_owner_cannot_truncate_while_the_trigger_is_there(org):
    audit.security("auth.login", org.member)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("TRUNCATE meetings_auditentry")
    assert AuditEntry.objects.exists()


@requires_postgres
def test_grant_app_role_refuses_the_owner_itself(org):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="different role"):
        call_command("grant_app_role", connection.settings_dict["USER"])
