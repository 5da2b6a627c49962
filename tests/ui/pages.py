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
                     Visit(lambda d: f"/minutes/{d.occurrence.pk}/", "member", "viewer"),
                     Visit(lambda d: f"/minutes/{d.occurrence.pk}/", "leader", "chair")],
    "meeting_list": [Visit(lambda d: "/meetings/", "secretary")],
    "composer": [Visit(lambda d: "/meetings/new/", "secretary")],
    "meeting_detail": [Visit(lambda d: f"/meetings/{d.meeting.uid}/", "secretary", "organiser"),
                       Visit(lambda d: f"/meetings/{d.meeting.uid}/", "member", "invitee")],
    "meeting_edit": [Visit(lambda d: f"/meetings/{d.meeting.uid}/edit/", "secretary")],
    "meeting_move": [Visit(lambda d: f"/meetings/{d.meeting.uid}/move/", "secretary")],
    "meeting_cancel": [Visit(lambda d: f"/meetings/{d.meeting.uid}/cancel/", "secretary")],
    "calendar": [Visit(lambda d: "/calendar/", "secretary"), Visit(lambda d: "/calendar/?view=day", "secretary", "day")],
    "rooms": [Visit(lambda d: "/rooms/", "secretary")],
    "room_queue": [Visit(lambda d: "/rooms/requests/", "unit_admin")],
    "archive": [Visit(lambda d: "/archive/", "leader")],
    "archive_document": [Visit(lambda d: f"/archive/documents/{d.document.pk}/", "leader")],
    "archive_export": [Visit(lambda d: "/archive/export/", "leader")],
    "archive_export_status": [Visit(lambda d: f"/archive/export/{d.export.pk}/", "leader")],
    "dashboard": [Visit(lambda d: "/dashboard/", "leader")],
    "unit_actions": [Visit(lambda d: "/actions/units/", "leader")],
    "my_actions": [Visit(lambda d: "/actions/mine/", "member")],
    "invite": [Visit(lambda d: "/profile/invite/", "unit_admin")],
    "accept-invitation": [Visit(lambda d: f"/profile/invitation/{d.invitation}/"),
                          Visit(lambda d: "/profile/invitation/hong/", label="invalid")],
    "mfa_index": [Visit(lambda d: "/accounts/2fa/", "member"), Visit(lambda d: "/accounts/2fa/", "dept_leader", "enrolled")],
    "mfa_activate_totp": [Visit(lambda d: "/accounts/2fa/totp/activate/", "member")],
    "mfa_deactivate_totp": [Visit(lambda d: "/accounts/2fa/totp/deactivate/", "dept_leader")],
    "mfa_reauthenticate": [Visit(lambda d: "/accounts/2fa/reauthenticate/", "dept_leader")],
    "mfa_view_recovery_codes": [Visit(lambda d: "/accounts/2fa/recovery-codes/", "dept_leader")],
    "mfa_generate_recovery_codes": [Visit(lambda d: "/accounts/2fa/recovery-codes/generate/", "dept_leader")],
    "usersessions_list": [Visit(lambda d: "/accounts/sessions/", "member")],
    "socialaccount_connections": [Visit(lambda d: "/accounts/3rdparty/", "member")],
    "socialaccount_login_cancelled": [Visit(lambda d: "/accounts/3rdparty/login/cancelled/")],
    "socialaccount_login_error": [Visit(lambda d: "/accounts/3rdparty/login/error/")],
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
    "minutes:unit-actions": "old address: a permanent redirect to unit_actions (checked there)",
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
    "readyz": "JSON readiness probe for load balancers",
    "metrics": "Prometheus text for the monitoring system",
    "mfa_authenticate": "allauth's second login step: only inside a login in progress, else a redirect to login "
                        "(exercised by tests/accounts/test_mfa.py)",
    "mfa_download_recovery_codes": "text file download",
    "socialaccount_signup": "only inside a single sign-on login in progress, else a redirect to login "
                            "(auto-signup is off: SSO only links existing accounts)",
    "accounts/social/login/cancelled/": "allauth's old address: redirects to accounts/3rdparty/",
    "accounts/social/login/error/": "allauth's old address: redirects to accounts/3rdparty/",
    "accounts/social/signup/": "allauth's old address: redirects to accounts/3rdparty/",
    "accounts/social/connections/": "allauth's old address: redirects to accounts/3rdparty/",
    "openid_connect_login": "redirect to the identity provider (no provider is configured in tests)",
    "openid_connect_callback": "the identity provider's redirect back: finishes the login and redirects",
    "minutes:roll-call": "htmx partial: the roll-call section of the minutes page (checked there)",
    "minutes_workflow": "htmx partial: the sign-off panel of the minutes page (checked there)",
    "minutes:roll-call-add": "POST only (htmx roll-call section; the section is checked on the minutes page)",
    "minutes:roll-call-set": "POST only (htmx roll-call section)",
    "minutes:roll-call-unit": "POST only (htmx roll-call section)",
    "composer_rooms": "htmx partial of the composer (room availability)",
    "composer_checks": "htmx partial of the composer (conflict and rule checks)",
    "composer_people": "htmx partial of the composer (people search)",
    "composer_rows": "htmx partial of the composer (attendee rows)",
    "meeting_move_check": "POST only (htmx check inside the move form)",
    "meeting_publish": "POST only (button on the meeting page)",
    "meeting_deliveries": "htmx partial of the meeting page (delivery log, loaded on demand)",
    "meeting_remind": "POST only (button on the meeting page)",
    "meeting_online_retry": "POST only (button on the meeting page)",
    "archive_file": "PDF/DOCX download",
    "archive_sign": "POST only (signature upload on the document page)",
    "archive_export_download": "ZIP download",
    "action_status": "POST only (htmx status change in the action lists)",
    "room_decide": "POST only (buttons in the room queue)",
}
# Whole URL prefixes that are not Quorum's pages: Django's admin and the REST API (JSON).
NOT_PAGE_PREFIXES = ("admin/", "api/")
