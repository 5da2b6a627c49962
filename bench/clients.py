"""Django test clients for the benches, under the production settings."""

from __future__ import annotations


def page_client(user):  # type: ignore[no-untyped-def]
    """A logged-in browser for the HTML pages under the production settings: a real host
    name, HTTPS as the proxy says, and a session that has passed the second factor (staff
    must enrol; the pages redirect otherwise)."""
    from django.test import Client

    client = Client(HTTP_HOST="localhost", HTTP_X_FORWARDED_PROTO="https")
    client.force_login(user)
    session = client.session
    session["quorum_mfa_ok"] = user.pk
    session.save()
    return client
