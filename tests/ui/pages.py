"""Every URL pattern of the site, as a page to check in the browser or as a non-page.

To add a page: one line in PAGES, `"url_name": [Visit(path, user)]`, where `path` builds the
address from the sample data (see `sample()` in test_accessibility.py) and `user` names one
of its people (None: not logged in). A pattern in neither dict makes
test_every_url_pattern_is_checked fail, so no page escapes the accessibility sweep.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Visit:
    path: Callable[[Any], str]
    user: str | None = None
    label: str = ""


PAGES: dict[str, list[Visit]] = {
    "home": [Visit(lambda d: "/"), Visit(lambda d: "/", "secretary", "secretary")],
    "account_login": [Visit(lambda d: "/accounts/login/")],
    "account_logout": [Visit(lambda d: "/accounts/logout/", "member")],
    "account_signup": [Visit(lambda d: "/accounts/signup/")],
    "account_inactive": [Visit(lambda d: "/accounts/inactive/")],
    "account_reauthenticate": [Visit(lambda d: "/accounts/reauthenticate/", "member")],
    "account_email": [Visit(lambda d: "/accounts/email/", "member")],
    "account_email_verification_sent": [Visit(lambda d: "/accounts/confirm-email/")],
    "account_change_password": [Visit(lambda d: "/accounts/password/change/", "member")],
    "account_set_password": [Visit(lambda d: "/accounts/password/set/", "member")],
    "account_reset_password": [Visit(lambda d: "/accounts/password/reset/")],
    "account_reset_password_done": [Visit(lambda d: "/accounts/password/reset/done/")],
    "account_reset_password_from_key": [Visit(lambda d: "/accounts/password/reset/key/1-bad-key/")],
    "account_reset_password_from_key_done": [Visit(lambda d: "/accounts/password/reset/key/done/")],
    "account_confirm_email": [Visit(lambda d: "/accounts/confirm-email/bad-key/")],
    "account_confirm_login_code": [Visit(lambda d: "/accounts/login/code/confirm/")],
    "profile": [Visit(lambda d: "/profile/", "member")],
    "invitations:answer": [Visit(lambda d: d.answer_path)],
    "online-join": [Visit(lambda d: f"/j/{d.join_token}"), Visit(lambda d: "/j/khong-co", label="invalid")],
    "online-start-as-host": [Visit(lambda d: f"/online/{d.meeting.uid}/host/", "leader")],
    "my_meetings": [Visit(lambda d: "/me/", "member")],
    "my_meetings_delegate": [Visit(lambda d: f"/me/delegate/{d.attendee.pk}/?occurrence={d.occurrence.pk}", "member")],
    "minutes_index": [Visit(lambda d: "/minutes/", "member")],
    "minutes:page": [Visit(lambda d: f"/minutes/{d.occurrence.pk}/", "secretary", "editor"),
                     Visit(lambda d: f"/minutes/{d.occurrence.pk}/", "member", "viewer")],
    "minutes:unit-actions": [Visit(lambda d: f"/minutes/units/{d.unit.pk}/actions/", "member")],
    # Not a URL name: Django's error pages in the site's layout.
    "404": [Visit(lambda d: "/khong-co/"), Visit(lambda d: "/minutes/999999/", "member", "minutes")],
}

# Patterns that are not pages people read, and why.
NOT_PAGES: dict[str, str] = {
    "healthz": "JSON probe for load balancers",
    "revoke-token": "POST only (profile form)",
    "set-language": "POST only (profile and login forms)",
    "invitations:feed": "ICS feed",
    "zoom-webhook": "Zoom webhook",
    "my_meetings_answer": "POST only (htmx card)",
    "my_meetings_feed_reset": "POST only",
    "minutes:preview": "JSON",
    "minutes:action-status": "JSON",
    "minutes:detail": "JSON",
    "minutes:attendance": "JSON",
    "minutes:conclusions": "JSON",
    "minutes:actions": "JSON",
    "minutes:sections": "JSON",
    "minutes:section-remove": "JSON",
    "minutes:section-move": "JSON",
    "minutes:scribes": "JSON",
    "minutes:issue": "JSON",
    "minutes:revisions": "JSON",
    "minutes:diff": "JSON",
    "minutes:restore": "JSON",
}
# Whole URL prefixes that are not Quorum's pages: Django's admin and the REST API (JSON).
NOT_PAGE_PREFIXES = ("admin/", "api/")
