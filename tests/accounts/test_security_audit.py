"""Security events in the audit trail: role changes, logout, token issue from the command line."""

from __future__ import annotations

from django.core.management import call_command

from meetings import audit
from meetings.models import AuditEntry, Membership


def test_granting_staff_or_superuser_is_audited_with_before_and_after(org):
    root = org.dept_leader
    with audit.acting_as(root):
        org.member.is_staff = True
        org.member.save()
        org.member.last_login = None
        org.member.save()  # not a role change: nothing more recorded
    entries = AuditEntry.objects.filter(action="user.roles_changed", object_id=str(org.member.pk))
    assert entries.count() == 1
    entry = entries.get()
    assert (entry.before, entry.after, entry.actor_id) == ({"is_staff": False}, {"is_staff": True}, root.pk)


def test_a_new_unit_role_is_audited(org):
    with audit.acting_as(org.unit_admin):
        Membership.objects.create(user=org.member, unit=org.hospital, role=Membership.Role.SECRETARY)
    entry = AuditEntry.objects.filter(object_type="membership", action="created").latest("id")
    assert entry.actor_id == org.unit_admin.pk and entry.after["role"] == "secretary"


def test_logout_and_command_line_tokens_are_audited(org, client, capsys):
    client.force_login(org.member)
    client.post("/accounts/logout/")
    call_command("issue_api_token", org.member.email)
    actions = list(AuditEntry.objects.filter(object_id=str(org.member.pk)).values_list("action", flat=True))
    assert "auth.logout" in actions and "token.api_issued" in actions
