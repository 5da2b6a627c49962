"""Real servers: two (or three) uvicorn processes sharing Redis and the test database, with
real WebSocket clients logged in through session cookies.

Needs REDIS_URL (channels-redis + Redis presence across processes). With SQLite the test
database is a file the servers open too; with PostgreSQL the tests are transactional so the
servers see committed rows."""

from __future__ import annotations

import asyncio
import random

import pytest
from channels.db import database_sync_to_async
from django.conf import settings

from minutes import actions
from minutes.models import Section
from minutes.testing import LiveClient
from tests.minutes.conftest import session_of

TTL = 3.0  # MINUTES_PRESENCE_TTL of the servers: heartbeats every second

pytestmark = [
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("close_db_after"),
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis shared by several server processes: set REDIS_URL"),
]


@pytest.fixture
def servers(live_servers):
    return lambda n=1: live_servers(n, ttl=TTL)


@pytest.fixture
def live(org, briefing):
    """Minutes created, and a session cookie per person."""
    minutes = actions.ensure_minutes(briefing.occurrence)
    people = [org.secretary, org.leader, org.member, org.dept_leader, org.unit_admin, briefing.cdc_person]
    return {
        "occ": briefing.occurrence.pk,
        "sections": list(minutes.sections.values_list("pk", flat=True)),
        "cookies": {u.email: session_of(u) for u in people},
        "people": people,
    }


async def test_presence_is_seen_across_processes(servers, live):
    a, b = await database_sync_to_async(servers)(2)
    clients = []
    for i, user in enumerate(live["people"]):
        clients.append(await LiveClient(a if i % 2 else b, live["occ"], live["cookies"][user.email]).connect())
    conns = {c.conn for c in clients}
    for c in clients:
        await c.wait_for(lambda c=c: conns <= set(c.presence), what="everyone on both servers")
    names = {p["name"] for p in clients[0].presence.values() if p["conn"] in conns}
    assert names == {u.full_name for u in live["people"]}

    editor, watcher = clients[0], clients[1]  # on different servers
    assert editor.server is not watcher.server
    await editor.send({"type": "focus", "section": live["sections"][1], "editing": True})
    await watcher.wait_for(
        lambda: watcher.presence[editor.conn]["section"] == live["sections"][1] and watcher.presence[editor.conn]["editing"],
        what="the editor's section, across processes")

    await editor.close()
    await watcher.wait_for(lambda: editor.conn not in watcher.presence, what="the editor's leave")
    for c in clients[1:]:
        await c.close()


async def test_killed_server_users_disappear_within_the_expiry(servers, live):
    survivor, doomed = await database_sync_to_async(servers)(2)
    people = live["people"]
    on_survivor = [await LiveClient(survivor, live["occ"], live["cookies"][u.email]).connect() for u in people[:2]]
    on_doomed = [await LiveClient(doomed, live["occ"], live["cookies"][u.email]).connect() for u in people[2:4]]
    doomed_conns = {c.conn for c in on_doomed}
    watcher = on_survivor[0]
    await watcher.wait_for(lambda: doomed_conns <= set(watcher.presence), what="both servers' users")

    doomed.kill()  # SIGKILL: no disconnect(), no leave message from that process
    # Heartbeats every TTL/3, entries live 2·TTL/3, pruned every TTL/3 → gone within one TTL;
    # the deadline adds a second for process scheduling.
    await watcher.wait_for(lambda: not doomed_conns & set(watcher.presence), timeout=TTL + 1,
                           what="the killed server's users to expire")
    assert on_survivor[1].conn in watcher.presence  # the living stay
    for c in on_survivor:
        await c.close()


async def test_concurrent_typing_in_one_section_converges(servers, live):
    a, b = await database_sync_to_async(servers)(2)
    section = live["sections"][0]
    alice = await LiveClient(a, live["occ"], live["cookies"][live["people"][0].email]).connect()  # secretary
    bob = await LiveClient(b, live["occ"], live["cookies"][live["people"][1].email]).connect()  # chair
    edits = 150
    rng = random.Random(5)

    async def typist(client: LiveClient, tag: str) -> None:
        for i in range(edits):
            text = client.text(section)
            # Insert between tokens (Yjs keeps each insert whole; inside a token it would split it).
            pos = rng.choice([0] + [j + 1 for j, ch in enumerate(text) if ch == ">"])
            await client.type(section, pos, f"<{tag}{i}>")

    await asyncio.gather(typist(alice, "a"), typist(bob, "b"))
    for c in (alice, bob):
        await c.wait_for(lambda c=c: len(c.acked) == edits, what="every edit stored")
    expected = {f"<a{i}>" for i in range(edits)} | {f"<b{i}>" for i in range(edits)}
    await alice.wait_for(lambda: alice.text(section) == bob.text(section), what="convergence")
    final = alice.text(section)
    assert all(token in final for token in expected)
    assert len(final) == sum(len(t) for t in expected)  # nothing lost, nothing duplicated
    assert not alice.errors and not bob.errors
    stored = await database_sync_to_async(lambda: Section.objects.get(pk=section).text)()
    assert stored == final
    # A newcomer (on either server) gets the same text from the database.
    carol = await LiveClient(b, live["occ"], live["cookies"][live["people"][3].email]).connect()
    assert carol.text(section) == final
    for c in (alice, bob, carol):
        await c.close()


async def test_a_client_dropped_mid_typing_reconnects_and_its_edits_arrive(servers, live):
    a, b = await database_sync_to_async(servers)(2)
    section = live["sections"][2]
    writer = await LiveClient(a, live["occ"], live["cookies"][live["people"][0].email]).connect()
    reader = await LiveClient(b, live["occ"], live["cookies"][live["people"][1].email]).connect()
    for i in range(10):
        await writer.type(section, len(writer.text(section)), f"[online{i}]")
    await writer.wait_for(lambda: len(writer.acked) == 10, what="first edits stored")
    for i in range(5):  # sent, then the line drops before any ack can come back
        await writer.type(section, len(writer.text(section)), f"[inflight{i}]")
    await writer.drop()
    for i in range(10):  # typed while offline: kept locally
        await writer.type(section, len(writer.text(section)), f"[offline{i}]", send=False)
    expected = writer.text(section)
    await writer.connect(b)  # back, on the other server
    await writer.wait_for(lambda: any(m["type"] == "ack" and m["section"] == section for m in writer.messages[-5:]),
                          what="the merged edits stored")
    await reader.wait_for(lambda: reader.text(section) == expected, what="the reconnected edits to arrive")
    stored = await database_sync_to_async(lambda: Section.objects.get(pk=section).text)()
    assert stored == expected
    assert all(f"[offline{i}]" in stored and f"[inflight{i}]" in stored for i in range(5))
    await writer.close()
    await reader.close()
