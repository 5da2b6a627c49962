"""No public sign-up: unit admins invite; the invitee sets a password through a signed link
that expires and works once."""

from __future__ import annotations

import re
import time

from django.core import mail
from django.test import Client

from accounts import invitations
from accounts.models import User
from meetings.models import AuditEntry, Membership

STRONG = "ngày mai họp giao ban lúc 8 giờ"


def _invite(client, org, django_capture_on_commit_callbacks, email="moi@bvdk.vn"):
    client.force_login(org.unit_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/profile/invite/", {"email": email, "full_name": "Người Mới",
                                                    "unit": org.hospital.pk, "role": "member"})
    assert response.status_code == 302
    link = re.search(r"https?://\S+/profile/invitation/\S+/", mail.outbox[-1].body).group(0)
    return link.split("://", 1)[1].split("/", 1)[1]


def test_a_unit_admin_invites_and_the_invitee_sets_a_password_once(org, client, django_capture_on_commit_callbacks):
    path = "/" + _invite(client, org, django_capture_on_commit_callbacks)
    user = User.objects.get(email="moi@bvdk.vn")
    assert not user.has_usable_password()
    assert Membership.objects.filter(user=user, unit=org.hospital, role="member").exists()
    assert AuditEntry.objects.filter(action="user.invited", actor=org.unit_admin, object_id=str(user.pk)).exists()
    invitee = Client()
    page = invitee.get(path)
    assert page.status_code == 200 and "Đặt mật khẩu" in page.content.decode()
    weak = invitee.post(path, {"new_password1": "Quorum@2026", "new_password2": "Quorum@2026"})
    assert weak.status_code == 200 and not User.objects.get(pk=user.pk).has_usable_password()
    done = invitee.post(path, {"new_password1": STRONG, "new_password2": STRONG})
    assert done.status_code == 302 and done["Location"] == "/accounts/login/"
    assert invitee.get(path).status_code == 410  # used
    assert Client().post("/accounts/login/", {"login": "moi@bvdk.vn", "password": STRONG}).status_code == 302


def test_an_expired_or_forged_invitation_is_refused(org, client, monkeypatch, settings):
    user = User.objects.create_user("cu@bvdk.vn", None, full_name="Người Cũ")
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() - settings.QUORUM_INVITATION_MAX_AGE_HOURS * 3600 - 60)
    old = invitations.make_token(user)
    monkeypatch.setattr(time, "time", real_time)
    assert client.get(f"/profile/invitation/{old}/").status_code == 410
    fresh = invitations.make_token(user)
    assert client.get(f"/profile/invitation/{fresh[:-3]}abc/").status_code == 410
    assert client.get(f"/profile/invitation/{fresh}/").status_code == 200


def test_only_unit_admins_invite_and_nobody_signs_up(org, client):
    client.force_login(org.secretary)
    assert client.get("/profile/invite/").status_code == 403
    anonymous = Client()
    anonymous.post("/accounts/signup/", {"email": "tu-dang-ky@ext.test", "password1": STRONG})
    assert not User.objects.filter(email="tu-dang-ky@ext.test").exists()


def test_an_invitation_to_an_existing_address_is_a_form_error(org, client):
    client.force_login(org.unit_admin)
    response = client.post("/profile/invite/", {"email": org.member.email, "full_name": "X",
                                                "unit": org.hospital.pk, "role": "member"})
    assert response.status_code == 200 and "Đã có tài khoản" in response.content.decode()
