"""The authorization matrix: every URL pattern, API route and WebSocket route × every role
× three scopes (own unit, another unit, a confidential meeting), each with its expected outcome.

Adding a route: add ONE line to ROUTES (or, for a third-party namespace, to PREFIXES). A route
without a line fails `test_every_route_has_an_entry`. Policies say who may do something in
words: see ALLOW below. A request is "allowed" when the view reached its own logic (2xx, 3xx
to somewhere else than the login page, 400/409 validation, 410 for a spent link) and
"denied" on 401/403/404 or a redirect to the login page. Writes are sent with an invalid body
where possible and every request is rolled back, so cells do not influence each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from config.routing import websocket_urlpatterns
from meetings.models import Booking, Meeting, Membership
from tests.factories import at, make_user, working_day
from tests.meetings.conftest import book

ROLES = ["anonymous", "member", "secretary", "unit_admin", "room_admin", "unit_leader", "dept_leader", "superuser"]
SCOPES = ["own", "other", "confidential"]
EVERYONE = set(ROLES)
SIGNED_IN = EVERYONE - {"anonymous"}

# Who may, per scope. "own" = a normal meeting of the hospital (the unit of member, secretary,
# unit admin and unit leader); "other" = a normal meeting of the CDC; "confidential" = a
# confidential hospital meeting that none of the roles booked, chairs or is invited to.
# room_admin administers the department's shared hall, which all three meetings requested.
ALLOW: dict[str, dict[str, set[str]]] = {
    "public": {s: EVERYONE for s in SCOPES},
    "signed_in": {s: SIGNED_IN for s in SCOPES},
    "nobody": {s: set() for s in SCOPES},
    "see_meeting": {
        "own": {"member", "secretary", "unit_admin", "unit_leader", "dept_leader", "superuser"},
        "other": {"dept_leader", "superuser"},
        "confidential": {"dept_leader", "superuser"},
    },
    "edit_meeting": {
        "own": {"secretary", "unit_admin", "superuser"},
        "other": {"superuser"},
        "confidential": {"superuser"},
    },
    "host_meeting": {  # chair or editors
        "own": {"secretary", "unit_admin", "superuser"},
        "other": {"superuser"},
        "confidential": {"superuser"},
    },
    "see_minutes": {  # invitees, chair, booker, the unit's secretaries/admins/leaders, dept leaders
        "own": {"secretary", "unit_admin", "unit_leader", "dept_leader", "superuser"},
        "other": {"dept_leader", "superuser"},
        "confidential": {"dept_leader", "superuser"},
    },
    "decide_room": {s: {"room_admin", "superuser"} for s in SCOPES},
    "superuser": {s: {"superuser"} for s in SCOPES},
    "unit_admins": {s: {"unit_admin", "room_admin", "superuser"} for s in SCOPES},
}
ALLOW["edit_minutes"] = ALLOW["edit_meeting"]
ALLOW["unit_people"] = {  # a unit's people (and department leaders) see its action items
    "own": ALLOW["see_meeting"]["own"], "other": ALLOW["see_meeting"]["other"], "confidential": ALLOW["see_meeting"]["own"],
}


@dataclass
class Route:
    policy: str
    url: Callable[[Any, str], str]
    method: str = "get"
    body: Any = None
    scoped: bool = True  # False: the scope changes nothing (tried once per role)
    deny: set[int] = field(default_factory=set)  # further codes meaning "refused" (a forged link: 400/410)


def m(path: str) -> Callable[[Any, str], str]:
    """A meeting-scoped URL: {uid}, {occ}, {booking}, {attendee}, {record}, {item}, {unit}."""
    return lambda w, scope: path.format(**w.ids[scope])


def fixed(path: str) -> Callable[[Any, str], str]:
    return lambda w, scope: path


BAD = {"scope": "không-hợp-lệ", "rsvp": "không-hợp-lệ", "status": "không-hợp-lệ", "kind": "không-hợp-lệ"}

# One line per route pattern (as the resolver spells it).
ROUTES: dict[str, Route] = {
    "": Route("public", fixed("/"), scoped=False),  # anonymous: the sign-in invitation
    "healthz": Route("public", fixed("/healthz"), scoped=False),
    "profile/": Route("signed_in", fixed("/profile/"), scoped=False),
    "profile/tokens/<int:pk>/revoke/": Route("nobody", fixed("/profile/tokens/999999/revoke/"), "post", scoped=False),
    "profile/invite/": Route("unit_admins", fixed("/profile/invite/"), scoped=False),
    "profile/invitation/<str:token>/": Route("nobody", fixed("/profile/invitation/forged/"), scoped=False, deny={410}),
    "invitations/answer/<str:token>/": Route("nobody", fixed("/invitations/answer/forged/"), scoped=False, deny={400}),
    "feeds/<str:token>.ics": Route("nobody", fixed("/feeds/forged.ics"), scoped=False),
    "api/v1/meetings/<uuid:uid>/deliveries/": Route("edit_meeting", m("/api/v1/meetings/{uid}/deliveries/")),
    "api/v1/meetings/<uuid:uid>/answers/": Route("edit_meeting", m("/api/v1/meetings/{uid}/answers/")),
    "api/v1/meetings/<uuid:uid>/attendees/<int:pk>/delegate/": Route(
        "edit_meeting", m("/api/v1/meetings/{uid}/attendees/{attendee}/delegate/"), "post", {"email": "thanhvien@bvdk.vn"}),
    "api/v1/meetings/<uuid:uid>/attendees/<int:pk>/answer/": Route(
        "nobody", m("/api/v1/meetings/{uid}/attendees/{attendee}/answer/"), "post", BAD),  # only the attendee
    "api/v1/feeds/": Route("signed_in", fixed("/api/v1/feeds/"), scoped=False),
    "api/v1/feeds/<int:pk>/": Route("nobody", fixed("/api/v1/feeds/999999/"), "delete", scoped=False),
    "api/v1/meetings/": Route("signed_in", fixed("/api/v1/meetings/"), scoped=False),
    "api/v1/meetings/<uuid:uid>/": Route("see_meeting", m("/api/v1/meetings/{uid}/")),
    "api/v1/meetings/<uuid:uid>/cancel/": Route("edit_meeting", m("/api/v1/meetings/{uid}/cancel/"), "post", BAD),
    "api/v1/meetings/<uuid:uid>/publish/": Route("edit_meeting", m("/api/v1/meetings/{uid}/publish/"), "post", BAD),
    "api/v1/calendar/": Route("signed_in", fixed("/api/v1/calendar/"), scoped=False),
    "api/v1/availability/": Route("signed_in", fixed("/api/v1/availability/"), scoped=False),
    "api/v1/bookings/<int:pk>/approve/": Route("decide_room", m("/api/v1/bookings/{booking}/approve/"), "post", {"note": 1.5}),
    "api/v1/bookings/<int:pk>/reject/": Route("decide_room", m("/api/v1/bookings/{booking}/reject/"), "post", {"note": 1.5}),
    "api/v1/^units/$": Route("signed_in", fixed("/api/v1/units/"), scoped=False),
    "api/v1/^units/(?P<code>[^/.]+)/$": Route("signed_in", m("/api/v1/units/{unit_code}/")),
    "api/v1/^rooms/$": Route("signed_in", fixed("/api/v1/rooms/"), scoped=False),
    "api/v1/^rooms/(?P<pk>[^/.]+)/$": Route("signed_in", m("/api/v1/rooms/{room}/")),
    "api/v1/^bookings/$": Route("signed_in", fixed("/api/v1/bookings/"), scoped=False),
    "api/v1/^bookings/(?P<pk>[^/.]+)/$": Route("see_booking", m("/api/v1/bookings/{booking}/")),
    "api/v1/": Route("signed_in", fixed("/api/v1/"), scoped=False),
    "api/v1/meetings/<uuid:uid>/online/": Route("see_meeting", m("/api/v1/meetings/{uid}/online/")),
    "api/v1/meetings/<uuid:uid>/online/retry/": Route("edit_meeting", m("/api/v1/meetings/{uid}/online/retry/"), "post"),
    "j/<str:token>": Route("nobody", fixed("/j/forged.token"), scoped=False),
    "online/<uuid:uid>/host/": Route("host_meeting", m("/online/{uid}/host/")),
    "integrations/zoom/webhook": Route("nobody", fixed("/integrations/zoom/webhook"), "post", {}, scoped=False),
    "minutes/preview/": Route("signed_in", fixed("/minutes/preview/"), "post", {"text": "a"}, scoped=False),
    # Old address: a permanent redirect for anyone to actions/units/?unit=…, which decides.
    "minutes/units/<int:unit_id>/actions/": Route("public", m("/minutes/units/{unit}/actions/")),
    "minutes/actions/<int:item_id>/status/": Route("edit_minutes", m("/minutes/actions/{item}/status/"), "post", BAD),
    "minutes/<int:occurrence_id>/": Route("see_minutes", m("/minutes/{occ}/")),
    "minutes/<int:occurrence_id>/data/": Route("see_minutes", m("/minutes/{occ}/data/")),
    "minutes/<int:occurrence_id>/attendance/<int:record_id>/": Route(
        "edit_minutes", m("/minutes/{occ}/attendance/{record}/"), "post", BAD),
    "minutes/<int:occurrence_id>/conclusions/": Route("edit_minutes", m("/minutes/{occ}/conclusions/"), "post", {}),
    "minutes/<int:occurrence_id>/actions/": Route("edit_minutes", m("/minutes/{occ}/actions/"), "post", {}),
    "minutes/<int:occurrence_id>/sections/": Route("edit_minutes", m("/minutes/{occ}/sections/"), "post", {}),
    "minutes/<int:occurrence_id>/issue/": Route("edit_minutes", m("/minutes/{occ}/issue/"), "post", {}),
    "minutes/<int:occurrence_id>/revisions/": Route("see_minutes", m("/minutes/{occ}/revisions/")),
    "minutes/<int:occurrence_id>/revisions/<int:a>/diff/<int:b>/": Route(
        "see_minutes", m("/minutes/{occ}/revisions/1/diff/2/")),
    "minutes/<int:occurrence_id>/revisions/<int:number>/restore/": Route(
        "edit_minutes", m("/minutes/{occ}/revisions/1/restore/"), "post"),
    "api/schema/": Route("signed_in", fixed("/api/schema/"), scoped=False),
    "api/docs/": Route("signed_in", fixed("/api/docs/"), scoped=False),
    "api/redoc/": Route("signed_in", fixed("/api/redoc/"), scoped=False),
    # Operations: probes answer everyone; /metrics is fenced off by nginx (deploy/nginx), not by Django.
    "readyz": Route("public", fixed("/readyz"), scoped=False),
    "metrics": Route("public", fixed("/metrics"), scoped=False),
    "profile/language/": Route("public", fixed("/profile/language/"), "post", {"language": "xx"}, scoped=False),
    # My meetings: one's own invitations only; the hospital meeting's guest is nobody here.
    "me/": Route("signed_in", fixed("/me/"), scoped=False),
    "me/answer/<int:attendee_id>/": Route("nobody", m("/me/answer/{attendee}/"), "post", BAD),
    "me/delegate/<int:attendee_id>/": Route("nobody", m("/me/delegate/{attendee}/")),
    "me/feed/reset/": Route("signed_in", fixed("/me/feed/reset/"), "post", scoped=False),
    # Meeting pages and the composer (meetings/web): seeing through visible_to, changing as an editor.
    "meetings/": Route("signed_in", fixed("/meetings/"), scoped=False),
    "meetings/new/": Route("bookers", fixed("/meetings/new/"), scoped=False),
    "meetings/new/rooms/": Route("bookers", fixed("/meetings/new/rooms/"), scoped=False),
    "meetings/new/checks/": Route("bookers", fixed("/meetings/new/checks/"), scoped=False),
    "meetings/new/people/": Route("bookers", fixed("/meetings/new/people/"), scoped=False),
    "meetings/new/rows/": Route("bookers", fixed("/meetings/new/rows/"), scoped=False),
    "meetings/<uuid:uid>/": Route("see_meeting", m("/meetings/{uid}/")),
    "meetings/<uuid:uid>/edit/": Route("edit_meeting", m("/meetings/{uid}/edit/")),
    "meetings/<uuid:uid>/move/": Route("edit_meeting", m("/meetings/{uid}/move/")),
    "meetings/<uuid:uid>/move/check/": Route("edit_meeting", m("/meetings/{uid}/move/check/"), "post", BAD),
    "meetings/<uuid:uid>/cancel/": Route("edit_meeting", m("/meetings/{uid}/cancel/")),
    "meetings/<uuid:uid>/publish/": Route("edit_meeting", m("/meetings/{uid}/publish/"), "post", BAD),
    "meetings/<uuid:uid>/deliveries/": Route("edit_meeting", m("/meetings/{uid}/deliveries/")),
    "meetings/<uuid:uid>/remind/": Route("edit_meeting", m("/meetings/{uid}/remind/"), "post", BAD),
    "meetings/<uuid:uid>/online/retry/": Route("edit_meeting", m("/meetings/{uid}/online/retry/"), "post", BAD),
    # Calendar, room finder, room requests (workspace).
    "calendar/": Route("signed_in", fixed("/calendar/"), scoped=False),
    "rooms/": Route("signed_in", fixed("/rooms/"), scoped=False),
    "rooms/requests/": Route("unit_admins", fixed("/rooms/requests/"), scoped=False),
    "rooms/requests/decide/": Route("unit_admins", fixed("/rooms/requests/decide/"), "post", BAD, scoped=False),
    # Roll call, structure and sign-off of the minutes.
    "minutes/": Route("signed_in", fixed("/minutes/"), scoped=False),
    "minutes/<int:occurrence_id>/roll-call/": Route("see_minutes", m("/minutes/{occ}/roll-call/")),
    "minutes/<int:occurrence_id>/roll-call/add/": Route("edit_minutes", m("/minutes/{occ}/roll-call/add/"), "post", BAD),
    "minutes/<int:occurrence_id>/roll-call/<int:record_id>/": Route(
        "edit_minutes", m("/minutes/{occ}/roll-call/{record}/"), "post", BAD),
    "minutes/<int:occurrence_id>/roll-call/units/<int:unit_id>/present/": Route(
        "edit_minutes", m("/minutes/{occ}/roll-call/units/{unit}/present/"), "post", BAD),
    "minutes/<int:occurrence_id>/sections/<int:section_id>/remove/": Route(
        "edit_minutes", m("/minutes/{occ}/sections/{section}/remove/"), "post", {}),
    "minutes/<int:occurrence_id>/sections/<int:section_id>/move/": Route(
        "edit_minutes", m("/minutes/{occ}/sections/{section}/move/"), "post", {"direction": "không-hợp-lệ"}),
    "minutes/<int:occurrence_id>/scribes/": Route("edit_minutes", m("/minutes/{occ}/scribes/"), "post", {"user": -1}),
    "minutes/<int:occurrence_id>/signoff/": Route("see_minutes", m("/minutes/{occ}/signoff/")),
    "api/v1/meetings/<uuid:uid>/occurrences/<int:occurrence_id>/attendance/": Route(
        "see_meeting", m("/api/v1/meetings/{uid}/occurrences/{occ}/attendance/")),
    # Archive, dashboard, action lists. No document is issued in this world: a forged id is nobody's.
    "api/v1/archive/": Route("archive", fixed("/api/v1/archive/"), scoped=False),
    "archive/": Route("archive", fixed("/archive/"), scoped=False),
    "archive/documents/<int:pk>/": Route("nobody", fixed("/archive/documents/999999/"), scoped=False),
    "archive/documents/<int:pk>/file.<str:kind>": Route("nobody", fixed("/archive/documents/999999/file.pdf"),
                                                        scoped=False),
    "archive/documents/<int:pk>/sign/": Route("nobody", fixed("/archive/documents/999999/sign/"), "post", {},
                                              scoped=False),
    "archive/export/": Route("archive", fixed("/archive/export/"), scoped=False),
    "archive/export/<int:pk>/": Route("nobody", fixed("/archive/export/999999/"), scoped=False),
    "archive/export/<int:pk>/download/": Route("nobody", fixed("/archive/export/999999/download/"), scoped=False),
    "dashboard/": Route("archive", fixed("/dashboard/"), scoped=False),
    "actions/units/": Route("signed_in", fixed("/actions/units/"), scoped=False),
    "actions/mine/": Route("signed_in", fixed("/actions/mine/"), scoped=False),
    "actions/<int:item_id>/status/": Route("change_item", m("/actions/{item}/status/"), "post", BAD),
}
ALLOW["bookers"] = {s: {"secretary", "unit_admin", "room_admin", "superuser"} for s in SCOPES}
# The archive and the dashboard: leaders (of their units) and department leaders.
ALLOW["archive"] = {s: {"unit_leader", "dept_leader", "superuser"} for s in SCOPES}
# archive.permissions.can_change_item: the owner, the owning unit's leaders/secretaries/admins and
# the minutes' writers, among those who see the item (a confidential one: only its insiders).
ALLOW["change_item"] = {**ALLOW["edit_minutes"], "own": ALLOW["edit_minutes"]["own"] | {"unit_leader"}}
ALLOW["see_booking"] = {  # the booking's meeting is visible, or the room is theirs
    s: ALLOW["see_meeting"][s] | {"room_admin", "superuser"} for s in SCOPES
}
# Third-party namespaces with their own, tested access rules: one line each.
PREFIXES = {
    "admin/": Route("superuser", fixed("/admin/"), scoped=False),  # staff only, via allauth login
    "accounts/": Route("public", fixed("/accounts/login/"), scoped=False),  # allauth: login, reset, MFA, sessions
}
WEBSOCKETS = {"ws/minutes/<int:occurrence_id>/": "see_minutes"}
FORMAT_SUFFIX = ("(?P<format>", "<drf_format_suffix:")  # DRF's ".json" twins of the routes above


def all_patterns(patterns: Any = None, prefix: str = "") -> list[str]:
    out = []
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(p, URLResolver):
            out += all_patterns(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            out.append(prefix + str(p.pattern))
    return out


def _covered(route: str) -> bool:
    return route in ROUTES or route.startswith(tuple(PREFIXES)) or any(f in route for f in FORMAT_SUFFIX)


def test_every_route_has_an_entry():
    missing = [r for r in all_patterns() if not _covered(r)]
    assert not missing, f"Add these routes to the authorization matrix (one line each in ROUTES): {missing}"
    stale = [r for r in ROUTES if r not in set(all_patterns())]
    assert not stale, f"These matrix entries name routes that no longer exist: {stale}"
    assert {str(p.pattern) for p in websocket_urlpatterns} == set(WEBSOCKETS)


@pytest.fixture
def world(org):
    """Three meetings that all requested the department's shared hall."""
    room_admin = make_user("quantri@soyte.vn", org.dept, Membership.Role.UNIT_ADMIN, full_name="Quản Trị Hội Trường")
    hospital_booker = make_user("thuky2@bvdk.vn", org.hospital, Membership.Role.SECRETARY)
    superuser = make_user("root@quorum.test", is_staff=True, is_superuser=True)
    day = working_day(10)
    meetings = {
        "own": book(hospital_booker, org.hospital, at(day, 8), at(day, 9), [org.hall], attendees=["khach@ext.test"]),
        "other": book(org.outsider, org.cdc, at(day, 10), at(day, 11), [org.hall], attendees=["khach@ext.test"]),
        "confidential": book(hospital_booker, org.hospital, at(day, 14), at(day, 15), [org.hall],
                             attendees=["khach@ext.test"], sensitivity=Meeting.Sensitivity.CONFIDENTIAL),
    }
    from minutes import actions as minutes_actions

    ids = {}
    for scope, meeting in meetings.items():
        occ = meeting.occurrences.get()
        minutes = minutes_actions.ensure_minutes(occ)
        item = minutes_actions.add_action_item(hospital_booker if scope != "other" else org.outsider, minutes,
                                               {"what": "Báo cáo", "owner_unit": meeting.organizing_unit_id})
        minutes_actions.save_revision(hospital_booker if scope != "other" else org.outsider, minutes)
        minutes_actions.save_revision(hospital_booker if scope != "other" else org.outsider, minutes)
        unit = meeting.organizing_unit
        ids[scope] = {
            "uid": meeting.uid, "occ": occ.pk, "booking": Booking.objects.get(occurrence=occ).pk,
            "attendee": meeting.attendees.get().pk, "record": minutes.attendance.first().pk, "item": item.pk,
            "unit": unit.pk, "unit_code": unit.code,
            "room": (org.room_a if scope != "other" else org.cdc_room).pk,
            "section": getattr(minutes.sections.first(), "pk", 999999),
        }
    users = {
        "anonymous": None, "member": org.member, "secretary": org.secretary, "unit_admin": org.unit_admin,
        "room_admin": room_admin, "unit_leader": org.leader, "dept_leader": org.dept_leader, "superuser": superuser,
    }
    return SimpleNamespace(ids=ids, users=users, meetings=meetings)


def outcome(response: Any, route: Route) -> str:
    code = response.status_code
    assert code < 500, f"{code} from {response.request['PATH_INFO']}"
    if code in (401, 403, 404) or code in route.deny:
        return "denied"
    if code == 302 and response["Location"].startswith(("/accounts/login/", "/admin/login/")):
        return "denied"
    return "allowed"


def _cells(route: Route) -> list[str]:
    return SCOPES if route.scoped else ["own"]


MATRIX = {**ROUTES, **PREFIXES}


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_matrix(world, name):
    route = MATRIX[name]
    wrong = []
    for role in ROLES:
        client = Client(raise_request_exception=False)
        if world.users[role] is not None:
            client.force_login(world.users[role])
        for scope in _cells(route):
            url = route.url(world, scope)
            with transaction.atomic():
                kwargs = {"content_type": "application/json", "data": route.body} if route.method != "get" else {}
                response = getattr(client, route.method)(url, **kwargs)
                transaction.set_rollback(True)
            got = outcome(response, route)
            want = "allowed" if role in ALLOW[route.policy][scope] else "denied"
            if got != want:
                wrong.append(f"{role}/{scope}: {got} ({response.status_code}), expected {want}")
    assert not wrong, f"{route.method.upper()} {name}:\n" + "\n".join(wrong)


def test_matrix_size_is_reported(capsys):
    cells = sum(len(ROLES) * len(_cells(r)) for r in MATRIX.values()) + len(WEBSOCKETS) * len(ROLES) * len(SCOPES)
    with capsys.disabled():
        print(f"\nauthorization matrix: {len(MATRIX)} HTTP routes + {len(WEBSOCKETS)} WebSocket route(s) "
              f"× {len(ROLES)} roles × {len(SCOPES)} scopes (scope-free routes once): {cells} cells")
    assert cells > 500


# --- WebSocket routes ---------------------------------------------------------------------------

from tests.minutes.conftest import close_db_after  # noqa: E402, F401  (fixture)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("close_db_after")
async def test_websocket_matrix(world, settings):
    from channels.db import database_sync_to_async
    from channels.routing import URLRouter
    from channels.testing import WebsocketCommunicator
    from django.contrib.auth.models import AnonymousUser

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.MINUTES_PRESENCE_BACKEND = "memory"
    wrong = []
    for route, policy in WEBSOCKETS.items():
        for role in ROLES:
            for scope in SCOPES:
                comm = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/minutes/{world.ids[scope]['occ']}/")
                comm.scope["user"] = world.users[role] or AnonymousUser()
                await comm.connect()
                first = await comm.receive_output(timeout=5)
                got = "allowed" if first.get("text") and '"init"' in first["text"] else "denied"
                if got == "denied":
                    assert first["type"] == "websocket.close" and first["code"] in (4401, 4403)
                want = "allowed" if role in ALLOW[policy][scope] else "denied"
                if got != want:
                    wrong.append(f"{route} {role}/{scope}: {got}, expected {want}")
                await comm.disconnect()
    await database_sync_to_async(lambda: None)()
    assert not wrong, "\n".join(wrong)
