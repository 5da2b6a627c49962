"""One regression test per defect of the 2026-12-01 security review (D1–D18).

D4 (MFA) is in test_mfa.py, D7 (live-minutes socket) in tests/minutes/test_access_revocation.py,
D3 on PostgreSQL in tests/meetings/test_audit_guards.py, D12 in test_api_contract.py.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from integrations.online import lifecycle
from integrations.online.models import OnlineRoom
from integrations.online.tests.helpers import online_input, run_online_outbox
from meetings import actions, audit
from meetings.actions import AttendeeInput
from meetings.models import Attendee, AuditEntry, Meeting
from tests.factories import at, make_user, working_day
from tests.meetings.conftest import book

PASSWORD = "pw-Quorum-2026"


def _meeting_payload(org, **kw):
    day = working_day(10)
    return {
        "title": kw.pop("title", "Họp giao ban"), "organizing_unit": org.hospital.code,
        "start": at(day, 8).isoformat(), "end": at(day, 9).isoformat(), **kw,
    }


# --- D1: one way in ----------------------------------------------------------------------


def test_d1_admin_login_page_sends_to_the_allauth_login(org, client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_d1_admin_login_form_cannot_log_a_superuser_in_without_allauth(org, client):
    admin = make_user("admin@quorum.test", is_staff=True, is_superuser=True)
    response = client.post("/admin/login/", {"username": admin.email, "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_d1_allauth_login_locks_out_after_five_failures_and_audits_it(org, client):
    for i in range(5):
        r = client.post("/accounts/login/", {"login": org.leader.email, "password": f"wrong-{i}"})
        assert r.status_code == 200
    r = client.post("/accounts/login/", {"login": org.leader.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert "quá nhiều lần" in r.content.decode()
    failed = AuditEntry.objects.filter(action="auth.login_failed", object_id=str(org.leader.pk))
    assert failed.count() == 5 and failed.first().ip == "127.0.0.1"
    assert AuditEntry.objects.filter(action="auth.lockout", actor_email=org.leader.email).exists()


# --- D2: online-room notices of a confidential meeting ---------------------------------------


def test_d2_confidential_notices_hide_the_title_and_reach_only_those_who_may_see(org, settings):
    settings.ADMINS = ["admin@quorum.test"]
    meeting = actions.create_meeting(org.secretary, online_input(
        org, "jitsi", title="MẬT: Kỷ luật cán bộ X", sensitivity=Meeting.Sensitivity.CONFIDENTIAL))
    run_online_outbox()
    room = OnlineRoom.objects.get(occurrence__meeting=meeting)
    mail.outbox.clear()
    lifecycle.notify_changed_outside(room, "Phòng bị sửa trong Zoom.")
    lifecycle.notify_failure(room, "Zoom trả lời 500")
    assert len(mail.outbox) == 3  # changed-outside, failure, failure to ADMINS
    for message in mail.outbox:
        assert "Kỷ luật" not in message.subject and "Kỷ luật" not in message.body
    to_people = [m for m in mail.outbox if "admin@quorum.test" not in m.to]
    # The unit admin of the hospital is a "secretary" for notices but may not see it.
    assert all(m.to == [org.secretary.email] for m in to_people)


# --- D3: append-only on SQLite too -------------------------------------------------------------


@pytest.mark.skipif(settings.IS_POSTGRES, reason="the SQLite triggers")
def test_d3_sqlite_triggers_refuse_update_and_delete_of_audit_rows(org):
    audit.security("auth.login", org.member)
    pk = AuditEntry.objects.get(action="auth.login").pk
    for statement in ("UPDATE meetings_auditentry SET action = 'tampered' WHERE id = %s",
                      "DELETE FROM meetings_auditentry WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(statement, [pk])
    assert AuditEntry.objects.get(pk=pk).action == "auth.login"


# --- D5: production settings pass check --deploy ------------------------------------------------


def test_d5_production_settings_pass_check_deploy_without_warnings(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL", "QUORUM_", "DEBUG"))}
    env.update(QUORUM_EMBEDDED="false", SECRET_KEY="x" * 20 + "production-only-secret-KEY-0123456789!#%",
               SQLITE_PATH=str(tmp_path / "db.sqlite3"), STATIC_ROOT=str(tmp_path / "static"),
               ALLOWED_HOSTS="lich.soyte.example.vn", EMAIL_HOST="smtp.soyte.example.vn")
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_d5_session_cookie_is_httponly(org, client):
    client.force_login(org.member)
    response = client.get("/", follow=True)  # "/" sends a member on to My meetings
    assert settings.SESSION_COOKIE_HTTPONLY and response.status_code == 200


# --- D6: CR/LF in titles and names ------------------------------------------------------------


@pytest.mark.parametrize("field", ["title", "attendee_name"])
def test_d6_line_breaks_in_a_title_or_name_are_a_400(org, api, field):
    title = "Giao ban\r\nBcc: x@evil.test" if field == "title" else "Giao ban"
    name = "Evil\r\nBcc: attacker@evil.test" if field == "attendee_name" else "Khách"
    response = api(org.secretary).post("/api/v1/meetings/", _meeting_payload(
        org, title=title, attendees=[{"email": "khach@ext.test", "name": name}]), format="json")
    assert response.status_code == 400, response.content
    assert "xuống dòng" in response.json()["message"]
    assert not Meeting.objects.exists()


def test_d6_the_model_refuses_control_characters_so_forms_do_too(org):
    meeting = Meeting(title="Họp\nmật", organizing_unit=org.hospital, created_by=org.secretary,
                      start=at(working_day(10), 8), end=at(working_day(10), 9))
    with pytest.raises(ValidationError) as err:
        meeting.full_clean()
    assert "title" in err.value.message_dict


# --- D8: deeply nested JSON ---------------------------------------------------------------------

DEEP = "[" * 100_000 + "]" * 100_000


def test_d8_deeply_nested_json_is_a_400_on_the_api(org, api):
    response = api(org.secretary).post("/api/v1/meetings/", DEEP, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] in {"invalid", "error"}


def test_d8_deeply_nested_json_is_a_400_on_the_minutes_json_views(org, client):
    client.force_login(org.secretary)
    response = client.post("/minutes/preview/", DEEP, content_type="application/json")
    assert response.status_code == 400


def _signed(body: bytes, timestamp: str) -> dict[str, str]:
    secret = settings.ZOOM_WEBHOOK_SECRET_TOKEN
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body.decode()}".encode(), hashlib.sha256).hexdigest()
    return {"HTTP_X_ZM_REQUEST_TIMESTAMP": timestamp, "HTTP_X_ZM_SIGNATURE": f"v0={digest}"}


def test_d8_deeply_nested_json_is_a_400_on_the_signed_zoom_webhook(db, client, settings):
    settings.ZOOM_WEBHOOK_SECRET_TOKEN = "sec-test-secret"
    body = ("[" * 2000 + "]" * 2000).encode()
    response = client.post("/integrations/zoom/webhook", body, content_type="application/json",
                           **_signed(body, str(int(time.time()))))
    assert response.status_code == 400


# --- D9: Content-Security-Policy ------------------------------------------------------------------


def test_d9_pages_carry_a_csp_without_inline_scripts(org, client):
    client.force_login(org.member)
    policy = client.get("/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["base-uri"] == "'none'"
    assert "unsafe-inline" not in directives["script-src"]


# --- D10: drafts ----------------------------------------------------------------------------------


def test_d10_a_draft_is_invisible_to_its_invitees_and_leaders_until_published(org, api):
    meeting = book(org.secretary, org.hospital, at(working_day(10), 8), at(working_day(10), 9),
                   [org.room_a], draft=True, attendees=[org.outsider.email])
    assert meeting.status == Meeting.Status.DRAFT
    for user in (org.outsider, org.leader, org.member, org.dept_leader):
        assert api(user).get(f"/api/v1/meetings/{meeting.uid}/").status_code == 404
        assert api(user).get("/api/v1/meetings/").json()["count"] == 0
    assert api(org.secretary).get(f"/api/v1/meetings/{meeting.uid}/").status_code == 200
    assert api(org.unit_admin).get(f"/api/v1/meetings/{meeting.uid}/").status_code == 200


# --- D11: raw online room only to insiders ---------------------------------------------------------


def test_d11_raw_room_url_and_passcode_only_for_invitees_chair_and_editors(org, api):
    meeting = actions.create_meeting(org.secretary, online_input(org, "jitsi"))
    run_online_outbox()
    url = f"/api/v1/meetings/{meeting.uid}/online/"
    invited = api(org.member).get(url).json()["occurrences"][0]
    assert invited["join_url"].startswith("https://")
    # The unit admin sees the meeting (same unit) and edits it; the leader chairs.
    assert api(org.leader).get(url).json()["occurrences"][0]["join_url"]
    viewer = make_user("chuyenvien2@bvdk.vn", org.hospital, "member")
    seen = api(viewer).get(url).json()
    assert seen["occurrences"][0]["join_url"] == "" and seen["occurrences"][0]["passcode"] == ""
    assert seen["my_join_link"] == ""


# --- D13: NaN timestamp -----------------------------------------------------------------------------


@pytest.mark.parametrize("stamp", ["NaN", "nan", "inf", "-Infinity"])
def test_d13_a_non_finite_webhook_timestamp_is_refused(db, client, settings, stamp):
    settings.ZOOM_WEBHOOK_SECRET_TOKEN = "sec-test-secret"
    body = json.dumps({"event": "meeting.started", "payload": {"object": {"id": 1}}}).encode()
    response = client.post("/integrations/zoom/webhook", body, content_type="application/json",
                           **_signed(body, stamp))
    assert response.status_code == 401 and response.json()["error"] == "stale"


# --- D14: password policy -----------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["Quorum@2026", "soyte2026", "123456789012345", "password1234"])
def test_d14_weak_passwords_are_refused(db, password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_d14_a_long_passphrase_is_accepted(db):
    validate_password("ngày mai họp giao ban lúc 8 giờ")


# --- D15: huge limit ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/rooms/", "/api/v1/units/", "/api/v1/bookings/", "/api/v1/meetings/"])
def test_d15_a_huge_limit_is_clamped_not_a_500(org, api, path):
    response = api(org.secretary).get(path, {"limit": "99999999999999999999"})
    assert response.status_code == 200
    assert "results" in response.json()


# --- D16: deleting a user keeps who did what ------------------------------------------------------


def test_d16_deleting_a_user_keeps_their_name_and_id_in_the_audit_trail(org):
    quantri = make_user("quantri2@bvdk.vn", org.hospital, "unit_admin", full_name="Đặng Văn Trị")
    with audit.acting_as(quantri):
        audit.security("token.api_issued", quantri, None, token="abc")
    pk = quantri.pk
    quantri.delete()
    entry = AuditEntry.objects.get(action="token.api_issued")
    assert (entry.actor_id, entry.actor_name, entry.actor_email) == (pk, "Đặng Văn Trị", "quantri2@bvdk.vn")


def test_d16_the_admin_offers_no_user_deletion(org, rf):
    from django.contrib import admin

    from accounts.models import User

    request = rf.get("/admin/accounts/user/")
    request.user = make_user("root@quorum.test", is_staff=True, is_superuser=True)
    assert admin.site._registry[User].has_delete_permission(request) is False


# --- D17: minutes writes and tokens are audited ------------------------------------------------------


def test_d17_minutes_writes_are_in_the_meetings_audit_trail(org):
    from minutes import actions as minutes_actions
    from minutes import rollcall, workflow

    # Issuing now goes through the sign-off workflow (draft → submitted → approved → issued,
    # issue 11); the roll call is minutes.rollcall (issue 13). Every step is in the trail.
    meeting = book(org.secretary, org.hospital, at(working_day(5), 8), at(working_day(5), 9), [org.room_a],
                   chair=org.leader, attendees=[org.member.email])
    minutes = minutes_actions.ensure_minutes(meeting.occurrences.get())
    record = minutes.attendance.get(email=org.member.email)
    rollcall.set_entry(org.secretary, minutes, record.pk, "excused", reason="Đi công tác")
    rollcall.set_unit_present(org.secretary, minutes, org.hospital.pk)
    minutes_actions.add_conclusion(org.secretary, minutes, "Thống nhất kế hoạch tiêm chủng")
    item = minutes_actions.add_action_item(org.secretary, minutes, {"what": "Báo cáo", "owner_user": org.member.pk})
    minutes_actions.set_action_status(org.member, item, "done")
    workflow.submit(org.secretary, minutes)
    workflow.approve(org.leader, minutes)
    minutes_actions.issue_minutes(org.secretary, minutes)
    trail = list(AuditEntry.objects.filter(meeting=meeting, action__startswith="minutes.").order_by("id")
                 .values_list("action", "actor_id"))
    assert trail == [
        ("minutes.attendance_changed", org.secretary.pk), ("minutes.attendance_unit_present", org.secretary.pk),
        ("minutes.conclusion_added", org.secretary.pk), ("minutes.action_item_added", org.secretary.pk),
        ("minutes.action_status_changed", org.member.pk), ("minutes.submitted", org.secretary.pk),
        ("minutes.approved", org.leader.pk), ("minutes.issued", org.secretary.pk),
    ]
    changed = AuditEntry.objects.get(meeting=meeting, action="minutes.attendance_changed")
    assert changed.before["status"] != "excused" and changed.after["status"] == "excused"


def test_d17_api_token_issue_and_revoke_and_logins_are_audited(org, client):
    client.post("/accounts/login/", {"login": org.member.email, "password": PASSWORD})
    client.post("/profile/", {"name": "Lịch Outlook"})
    token = org.member.api_tokens.get()
    client.post(f"/profile/tokens/{token.pk}/revoke/")
    actions_seen = list(AuditEntry.objects.filter(actor=org.member).order_by("id").values_list("action", flat=True))
    assert actions_seen == ["auth.login", "token.api_issued", "token.api_revoked"]


# --- D18: join tokens ---------------------------------------------------------------------------------


def test_d18_join_tokens_are_not_stored_and_rotate_when_the_attendee_is_removed(org, client):
    meeting = actions.create_meeting(org.secretary, online_input(org, "jitsi"))
    attendee = meeting.attendees.get(email=org.member.email)
    token = attendee.join_token
    stored = Attendee.objects.filter(pk=attendee.pk).values().get()
    assert token not in json.dumps(stored, default=str)  # only the public half is stored
    assert Attendee.by_join_token(token) == attendee
    assert client.get(f"/j/{attendee.join_key}").status_code == 404  # the stored half opens nothing
    assert client.get(f"/j/{token[:-2]}xx").status_code == 404
    actions.update_meeting(org.secretary, meeting, {"attendees": [AttendeeInput(email=org.leader.email)]},
                           scope="all")
    attendee.refresh_from_db()
    assert not attendee.is_active and attendee.join_token != token
    assert client.get(f"/j/{token}").status_code == 404


# --- found by schemathesis on PostgreSQL -----------------------------------------------------------


def test_a_nul_character_in_the_query_string_is_a_400_not_a_500(org, api):
    response = api(org.secretary).get("/api/v1/meetings/?status=a%00b")
    assert response.status_code == 400 and response.json()["error"] == "invalid"
