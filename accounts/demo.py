"""MFA for the demo department (`make run`).

MFA stays required in the demo as in production, so the demo shows the real login. The
demo's privileged accounts are enrolled with ONE published TOTP secret: add it to any
authenticator app, or print the current code with `manage.py demo_logins` / `demo_totp`.
It is as public as the demo password, and like it only ever given to the demo's own
accounts (@quorum.test), which `seed_demo` creates.
"""

from __future__ import annotations

import base64

from django.conf import settings

DEMO_TOTP_SECRET = base64.b32encode(b"quorum-demo-mfa-2026").decode()  # public on purpose


def enrol_privileged(emails_domain: str) -> int:
    """Enrol every privileged demo user without MFA; returns how many were enrolled."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP

    from accounts.models import User
    from accounts.security import is_privileged

    if not settings.QUORUM_MFA_REQUIRED:
        return 0
    enrolled = 0
    for user in User.objects.filter(email__endswith="@" + emails_domain, is_active=True):
        if not is_privileged(user) or Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            continue
        TOTP.activate(user, DEMO_TOTP_SECRET)
        RecoveryCodes.activate(user)
        enrolled += 1
    return enrolled


def current_code() -> str:
    import time

    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    return format_hotp_value(hotp_value(DEMO_TOTP_SECRET, int(time.time()) // app_settings.TOTP_PERIOD))
