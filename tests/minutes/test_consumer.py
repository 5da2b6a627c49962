"""The minutes socket with channels' WebsocketCommunicator on the in-memory layer."""

from __future__ import annotations

import base64
import json

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from minutes import actions, consumers
from minutes.models import Section
from minutes.routing import websocket_urlpatterns
from tests.minutes.conftest import Typist

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("close_db_after")]


@pytest.fixture(autouse=True)
def in_memory(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.MINUTES_PRESENCE_BACKEND = "memory"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def open_socket(user, occurrence_id: int) -> WebsocketCommunicator:
    comm = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/minutes/{occurrence_id}/")
    comm.scope["user"] = user
    connected, _ = await comm.connect()
    assert connected
    return comm


async def joined(user, occurrence_id: int) -> tuple[WebsocketCommunicator, dict]:
    comm = await open_socket(user, occurrence_id)
    init = await comm.receive_json_from(timeout=5)
    assert init["type"] == "init"
    return comm, init


async def next_of(comm: WebsocketCommunicator, kind: str, timeout: float = 3) -> dict:
    while True:
        msg = await comm.receive_json_from(timeout=timeout)
        if msg["type"] == kind:
            return msg


async def closed_with(comm: WebsocketCommunicator) -> tuple[int, str]:
    while True:
        out = await comm.receive_output(timeout=3)
        if out["type"] == "websocket.close":
            return out["code"], out.get("reason", "")


async def test_presence_edits_and_acks_between_two_editors(org, briefing):
    occ = briefing.occurrence.pk
    sec, init_s = await joined(org.secretary, occ)
    assert init_s["can_edit"] and init_s["status"] == "draft" and len(init_s["sections"]) == 3
    chair, init_c = await joined(org.leader, occ)
    assert {p["name"] for p in init_c["presence"]} == {org.secretary.full_name, org.leader.full_name}
    joined_msg = await next_of(sec, "presence")
    assert (joined_msg["event"], joined_msg["who"]["name"], joined_msg["who"]["unit"]) == (
        "join", org.leader.full_name, "BVĐK tỉnh")

    section_id = init_s["sections"][1]["id"]
    await sec.send_json_to({"type": "focus", "section": section_id, "editing": True})
    focus = await next_of(chair, "presence")
    assert (focus["event"], focus["who"]["section"], focus["who"]["editing"]) == ("update", section_id, True)

    typist = Typist()
    await sec.send_json_to({"type": "update", "id": 1, "section": section_id, "update": b64(typist.type("Tiêm chủng đạt 95%"))})
    ack = await next_of(sec, "ack")
    assert ack["id"] == 1 and ack["version"] == 1
    relayed = await next_of(chair, "update")
    replica = Typist(base64.b64decode(init_c["sections"][1]["state"]))
    replica.apply(base64.b64decode(relayed["update"]))
    assert str(replica) == "Tiêm chủng đạt 95%" and relayed["author"] == org.secretary.full_name
    text = await database_sync_to_async(lambda: Section.objects.get(pk=section_id).text)()
    assert text == "Tiêm chủng đạt 95%"

    await sec.disconnect()
    left = await next_of(chair, "presence")
    assert left["event"] == "leave" and left["conns"] == [init_s["me"]["conn"]]
    await chair.disconnect()


async def test_read_only_viewer_sees_changes_but_cannot_edit(org, briefing):
    occ = briefing.occurrence.pk
    viewer, init_v = await joined(org.member, occ)
    assert init_v["can_edit"] is False
    section_id = init_v["sections"][0]["id"]
    await viewer.send_json_to({"type": "update", "id": "x", "section": section_id, "update": b64(Typist().type("hack"))})
    err = await next_of(viewer, "error")
    assert (err["id"], err["code"]) == ("x", "read_only")
    sec, _ = await joined(org.secretary, occ)
    await sec.send_json_to({"type": "update", "id": 1, "section": section_id, "update": b64(Typist().type("ok"))})
    assert (await next_of(viewer, "update"))["section"] == section_id
    await viewer.disconnect()
    await sec.disconnect()


@pytest.mark.parametrize("who", ["outsider", "cdc_member"])
async def test_outsiders_are_refused_with_a_code(org, briefing, who):
    user = getattr(briefing, who, None) or getattr(org, who)
    comm = await open_socket(user, briefing.occurrence.pk)
    code, reason = await closed_with(comm)
    assert code == consumers.CLOSE_FORBIDDEN and "quyền" in reason


async def test_confidential_meeting_invitee_views_and_unit_leader_is_refused(org, confidential):
    occ = confidential.occurrence.pk
    invitee, init = await joined(confidential.invitee, occ)
    assert init["can_edit"] is False
    await invitee.disconnect()
    comm = await open_socket(org.leader, occ)
    assert (await closed_with(comm))[0] == consumers.CLOSE_FORBIDDEN


async def test_anonymous_and_unknown_occurrence(org, briefing):
    from django.contrib.auth.models import AnonymousUser

    comm = await open_socket(AnonymousUser(), briefing.occurrence.pk)
    assert (await closed_with(comm))[0] == consumers.CLOSE_UNAUTHENTICATED
    comm = await open_socket(org.secretary, 999999)
    assert (await closed_with(comm))[0] == consumers.CLOSE_NOT_FOUND


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json at all", consumers.CLOSE_MALFORMED),
        ('{"type": "dance"}', consumers.CLOSE_MALFORMED),
        ('["a list"]', consumers.CLOSE_MALFORMED),
        ('{"type": "update", "section": "one", "update": "AA=="}', consumers.CLOSE_MALFORMED),
        ('{"type": "update", "section": 1, "update": "***"}', consumers.CLOSE_MALFORMED),
        (json.dumps({"type": "heartbeat", "pad": "x" * 300_000}), consumers.CLOSE_TOO_LARGE),
    ],
)
async def test_bad_frames_close_that_socket_only(org, briefing, frame, code):
    occ = briefing.occurrence.pk
    bystander, init = await joined(org.leader, occ)
    bad, _ = await joined(org.secretary, occ)
    await bad.send_to(text_data=frame)
    got_code, reason = await closed_with(bad)
    assert got_code == code and reason
    # The server keeps serving the others.
    await bystander.send_json_to({"type": "update", "id": 7, "section": init["sections"][0]["id"],
                                  "update": b64(Typist().type("vẫn chạy"))})
    assert (await next_of(bystander, "ack"))["id"] == 7
    await bystander.disconnect()


async def test_edits_to_another_meetings_section_and_after_issue_are_refused(org, briefing, confidential):
    occ = briefing.occurrence.pk
    other = await database_sync_to_async(lambda: actions.ensure_minutes(confidential.occurrence).sections.first().pk)()
    sec, init = await joined(org.secretary, occ)
    await sec.send_json_to({"type": "update", "id": 1, "section": other, "update": b64(Typist().type("lạc"))})
    err = await next_of(sec, "error")
    assert err["code"] == "wrong_minutes"
    assert await database_sync_to_async(lambda: Section.objects.get(pk=other).text)() == ""

    minutes_id = await database_sync_to_async(lambda: briefing.occurrence.minutes.pk)()

    def sign_off() -> None:
        from minutes import workflow

        m = actions.Minutes.objects.get(pk=minutes_id)
        actions.add_conclusion(org.secretary, m, "Kết luận")
        workflow.submit(org.secretary, m)
        workflow.approve(org.leader, m)
        actions.issue_minutes(org.secretary, m)

    await database_sync_to_async(sign_off)()
    seen = [(await next_of(sec, "status"))["status"] for _ in range(3)]
    assert seen == ["submitted", "approved", "issued"]
    await sec.send_json_to({"type": "update", "id": 2, "section": init["sections"][0]["id"],
                            "update": b64(Typist().type("sửa sau ban hành"))})
    err = await next_of(sec, "error")
    assert (err["id"], err["code"]) == (2, "issued")
    await sec.disconnect()


async def test_a_flood_is_rate_limited(org, briefing, settings):
    settings.MINUTES_WS_RATE, settings.MINUTES_WS_BURST = 5, 20
    flood, _ = await joined(org.secretary, briefing.occurrence.pk)
    for _ in range(60):
        await flood.send_json_to({"type": "heartbeat"})
    assert (await closed_with(flood))[0] == consumers.CLOSE_RATE_LIMITED


async def test_presence_of_a_silent_client_expires(org, briefing, settings):
    settings.MINUTES_PRESENCE_TTL = 0.6  # heartbeat 0.2 s, entries live 0.4 s
    watcher, _ = await joined(org.leader, briefing.occurrence.pk)
    silent, init = await joined(org.secretary, briefing.occurrence.pk)
    await next_of(watcher, "presence")  # silent joined
    # The watcher heartbeats, the silent one does not: the server prunes it.
    for _ in range(40):
        await watcher.send_json_to({"type": "heartbeat"})
        if await watcher.receive_nothing(timeout=0.1):  # (a receive timeout would kill the app)
            continue
        msg = await watcher.receive_json_from()
        if msg["type"] == "presence" and msg["event"] == "leave":
            assert msg["conns"] == [init["me"]["conn"]]
            break
    else:
        pytest.fail("the silent client's presence never expired")
    await watcher.disconnect()
    await silent.disconnect()


async def test_open_sockets_are_counted_in_the_metrics(org, briefing):
    from config import metrics

    before = metrics.WEBSOCKET_CONNECTIONS._value.get()
    opened = metrics.WEBSOCKET_OPENED._value.get()
    sec, _init = await joined(org.secretary, briefing.occurrence.pk)
    chair, _init = await joined(org.leader, briefing.occurrence.pk)
    assert metrics.WEBSOCKET_CONNECTIONS._value.get() == before + 2
    assert metrics.WEBSOCKET_OPENED._value.get() == opened + 2
    await sec.disconnect()
    await chair.disconnect()
    assert metrics.WEBSOCKET_CONNECTIONS._value.get() == before
