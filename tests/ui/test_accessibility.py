"""Every page (tests/ui/pages.py) in one Chromium session, at 1366 and 390 px: axe-core finds
no critical or serious violation, nothing scrolls sideways, one h1, a one-line header and
tap targets of at least 44 px. Screenshots go to var/screenshots/a11y/."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from integrations.calendar import answers
from meetings.models import Attendee, Meeting
from minutes.actions import ensure_minutes
from tests.meetings.mine_helpers import sitting
from tests.ui.conftest import inject_axe
from tests.ui.pages import NOT_PAGE_PREFIXES, NOT_PAGES, PAGES

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots" / "a11y"
WIDTHS = (1366, 390)

# Runs in the page: the sizes and structure axe does not judge.
LAYOUT_JS = """() => {
  const small = [];
  const sel = 'button, select, summary, a.btn, .site-header a, .site-header summary, '
    + 'input:not([type=hidden]):not([type=checkbox]):not([type=radio])';
  for (const el of document.querySelectorAll(sel)) {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height || getComputedStyle(el).visibility === 'hidden') continue;  // not shown
    if (r.height < 43.5 || r.width < 43.5) small.push(`${el.tagName.toLowerCase()} "${(el.innerText || el.name || el.id || '').trim().slice(0, 30)}" ${Math.round(r.width)}x${Math.round(r.height)}`);
  }
  const header = document.querySelector('.site-header');
  return {
    scroll: document.documentElement.scrollWidth, width: window.innerWidth,
    h1: document.querySelectorAll('h1').length,
    header: header ? Math.round(header.getBoundingClientRect().height) : 0,
    small,
  };
}"""


def _patterns(patterns, prefix="", namespace=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _patterns(p.url_patterns, prefix + str(p.pattern), p.namespace or namespace)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else p.name
            yield prefix + str(p.pattern), name


def test_every_url_pattern_is_checked_or_explained():
    missing = []
    for route, name in _patterns(get_resolver().url_patterns):
        if route.startswith(NOT_PAGE_PREFIXES):
            continue
        key = name or route
        if key not in PAGES and key not in NOT_PAGES:
            missing.append(key)
    assert not missing, f"add these to tests/ui/pages.py (PAGES or NOT_PAGES): {missing}"
    assert not set(PAGES) & set(NOT_PAGES)


def sample(org) -> SimpleNamespace:
    """One online meeting in two days: the member is invited, the leader chairs; minutes exist.
    Last week's meeting has issued minutes (the archive's document); the leader has an export
    job; a newly invited person has an invitation link; the Sở leader has enrolled in MFA."""
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP

    from accounts.invitations import make_token
    from archive.models import ExportJob
    from tests.factories import make_user, sign_off_and_issue

    occ = sitting(org, timezone.now() + timedelta(days=2), people=[org.member, org.unit_admin],
                  mode=Meeting.Mode.HYBRID, room=org.room_a, title="Giao ban chuyên môn tháng 12")
    past = sitting(org, timezone.now() - timedelta(days=3), people=[org.member], title="Họp tuần trước")
    ensure_minutes(occ)
    sign_off_and_issue(org.secretary, ensure_minutes(past))
    document = past.minutes.documents.get(is_current=True)
    today = timezone.localdate()
    export = ExportJob.objects.create(requested_by=org.leader, unit=org.hospital, date_from=today - timedelta(days=30),
                                      date_to=today)
    invited = make_user("moi@bvdk.vn", org.hospital, "member", full_name="Người Được Mời")
    invited.set_unusable_password()
    invited.save()
    TOTP.activate(org.dept_leader, "JBSWY3DPEHPK3PXP")
    RecoveryCodes.activate(org.dept_leader)
    from allauth.mfa.models import Authenticator

    # A passkey row as allauth stores it (the credential itself is only read when signing in).
    key = Authenticator.objects.create(user=org.unit_admin, type=Authenticator.Type.WEBAUTHN, data={
        "name": "Máy tính phòng hành chính", "credential": {"clientExtensionResults": {"credProps": {"rk": True}}}})
    attendee = Attendee.objects.get(meeting=occ.meeting, user=org.member)
    return SimpleNamespace(
        occurrence=occ, meeting=occ.meeting, attendee=attendee, unit=org.hospital,
        join_token=attendee.join_token, answer_path=answers.links(attendee)["page"].split("8000", 1)[-1],
        member=org.member, secretary=org.secretary, leader=org.leader, unit_admin=org.unit_admin,
        dept_leader=org.dept_leader, document=document, export=export, invitation=make_token(invited),
        webauthn_key=key.pk,
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_every_page_passes_axe_and_fits_a_phone(org, live_server, browser):
    if not AXE.exists():
        pytest.skip("axe-core missing: run `make static` (npm ci)")
    data = sample(org)
    SHOTS.mkdir(parents=True, exist_ok=True)
    sessions = {}
    for who in {v.user for visits in PAGES.values() for v in visits if v.user}:
        client = Client()
        client.force_login(getattr(data, who))
        sessions[who] = client.cookies[settings.SESSION_COOKIE_NAME].value
    failures: list[str] = []
    page = browser.new_page()
    try:
        for name, visits in PAGES.items():
            for visit in visits:
                browser.clear_cookies()
                if visit.user:
                    browser.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": sessions[visit.user],
                                          "url": live_server.url}])
                for width in WIDTHS:
                    page.set_viewport_size({"width": width, "height": 844 if width < 500 else 900})
                    label = f"{name}{'-' + visit.label if visit.label else ''}@{width}"
                    response = page.goto(live_server.url + visit.path(data), wait_until="load")
                    if response is None or response.status >= 500:
                        failures.append(f"{label}: HTTP {response.status if response else '?'}")
                        continue
                    inject_axe(page)
                    result = page.evaluate("""async () => {
                      const r = await axe.run(document, {resultTypes: ['violations']});
                      return r.violations.filter(v => v.impact === 'critical' || v.impact === 'serious')
                        .map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')}`);
                    }""")
                    failures += [f"{label}: axe {v}" for v in result]
                    layout = page.evaluate(LAYOUT_JS)
                    if layout["scroll"] > layout["width"]:
                        failures.append(f"{label}: scrolls sideways ({layout['scroll']} > {layout['width']} px)")
                    if layout["h1"] != 1:
                        failures.append(f"{label}: {layout['h1']} h1 elements")
                    if layout["header"] > 64:
                        failures.append(f"{label}: header is {layout['header']} px high (more than one line)")
                    failures += [f"{label}: tap target under 44 px: {s}" for s in layout["small"]]
                    page.screenshot(path=str(SHOTS / f"{label.replace(':', '_')}.png"), full_page=True)
    finally:
        page.close()
    assert not failures, "\n" + "\n".join(failures)
