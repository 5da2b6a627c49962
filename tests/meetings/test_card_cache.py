"""My meetings' cards served from memory (meetings/card_cache.py): never stale, never another
request's token."""

from __future__ import annotations

import dataclasses
import inspect
import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from meetings import card_cache, mine
from meetings.models import Attendee, Meeting, Occurrence
from tests.meetings.mine_helpers import sitting

START = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội
READER = SimpleNamespace(pk=99)

# For every argument of the rows a card is made from, and every field of the card: other
# values to try. A new argument or field fails the test until it is listed here (and, if
# the card shows it, made part of card_cache.key_of).
ROW_VARIANTS = {
    (mine.MeetingRow, "pk"): [8],
    (mine.MeetingRow, "title"): ["Họp <khác> & mới"],
    (mine.MeetingRow, "is_urgent"): [True],
    (mine.MeetingRow, "mode"): list(Meeting.Mode.values),
    (mine.MeetingRow, "chair_id"): [None, READER.pk],
    (mine.MeetingRow, "status"): list(Meeting.Status.values),
    (mine.MeetingRow, "unit"): ["TTYT huyện"],
    (mine.SittingRow, "pk"): [8],
    (mine.SittingRow, "meeting"): [],  # varied through MeetingRow's own arguments
    (mine.SittingRow, "start"): [START - timedelta(minutes=30), START + timedelta(days=1)],
    (mine.SittingRow, "end"): [START + timedelta(hours=2), START + timedelta(minutes=10)],
    (mine.SittingRow, "status"): list(Occurrence.Status.values),
    (mine.AttendeeRow, "pk"): [4],
    (mine.AttendeeRow, "rsvp"): list(Attendee.Rsvp.values),
    (mine.AttendeeRow, "rsvp_comment"): ["Tôi đến muộn"],
    (mine.AttendeeRow, "unit_id"): [None, 3],
    (mine.AttendeeRow, "join_key"): ["another-key"],
}
CARD_VARIANTS = {
    "occurrence": [],  # the rows above
    "attendee": [None],
    "delegate_name": ["Nguyễn Văn B"],
    "rooms": [[], [mine.RoomRow("Phòng B", "TTYT", "requested")],
              [mine.RoomRow("Phòng A", "BVĐK", "confirmed"), mine.RoomRow("Phòng B", "TTYT", "confirmed")]],
    "minutes_status": ["draft", "issued"],
    # Across each boundary the clock decides: the Join button's opening (T−15 min), the
    # start, the end, and well before and after.
    "now": [START - timedelta(days=2), START - timedelta(minutes=16), START - timedelta(minutes=14),
            START + timedelta(minutes=1), START + timedelta(hours=1), START + timedelta(days=2)],
}
ROW_ARGS = {
    mine.MeetingRow: dict(pk=7, title="Giao ban", is_urgent=False, mode="hybrid", chair_id=5, status="scheduled",
                          unit="BVĐK tỉnh"),
    mine.AttendeeRow: dict(pk=3, rsvp="needs_action", rsvp_comment="", unit_id=2, join_key="key-1"),
}


def _card(spec):
    """A card from a spec: {"meeting": {...}, "sitting": {...}, "attendee": {...} or None, "card": {...}}."""
    meeting = mine.MeetingRow(**{**ROW_ARGS[mine.MeetingRow], **spec.get("meeting", {})})
    occurrence = mine.SittingRow(**{"pk": 7, "meeting": meeting, "start": START, "end": START + timedelta(hours=1),
                                    "status": "scheduled", **spec.get("sitting", {})})
    person = spec.get("attendee", {})
    attendee = None if person is None else mine.AttendeeRow(**{**ROW_ARGS[mine.AttendeeRow], **person})
    return mine.Card(occurrence, attendee, **{"delegate_name": "", "minutes_status": None,
                                              "rooms": [mine.RoomRow("Phòng A", "BVĐK", "confirmed")],
                                              "now": START - timedelta(days=2), **spec.get("card", {})})


_PART = {mine.MeetingRow: "meeting", mine.SittingRow: "sitting", mine.AttendeeRow: "attendee"}


def _variants(spec):
    """(label, card) for every single change from `spec`."""
    for (cls, name), others in ROW_VARIANTS.items():
        part = _PART[cls]
        if spec.get(part, {}) is None:
            continue  # no invitation row to vary
        for value in others:
            yield f"{cls.__name__}.{name}={value!r}", _card({**spec, part: {**spec.get(part, {}), name: value}})
    for name, others in CARD_VARIANTS.items():
        if name in ("occurrence", "attendee"):
            continue  # the rows above (and the bases without an invitation row)
        for value in others:
            yield f"Card.{name}={value!r}", _card({**spec, "card": {**spec.get("card", {}), name: value}})


def _bases():
    """Cards in the states whose branches differ: each answer (and no invitation row), in
    person and online, before, during and after the sitting, with minutes or without."""
    for rsvp in [*Attendee.Rsvp.values, None]:
        for mode in (Meeting.Mode.IN_PERSON, Meeting.Mode.HYBRID):
            for now in (START - timedelta(days=2), START + timedelta(minutes=5), START + timedelta(days=2)):
                for minutes in (None, "draft"):  # the minutes link follows the clock only without minutes
                    yield {"meeting": {"mode": mode}, "card": {"now": now, "minutes_status": minutes},
                           "attendee": None if rsvp is None else {"rsvp": rsvp}}


def test_every_argument_of_the_cards_rows_and_every_field_of_the_card_is_varied():
    for cls in (mine.MeetingRow, mine.SittingRow, mine.AttendeeRow):
        params = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
        assert {(cls, p) for p in params} <= set(ROW_VARIANTS), f"{cls.__name__}: list the new argument in ROW_VARIANTS"
    assert {f.name for f in dataclasses.fields(mine.Card)} == set(CARD_VARIANTS)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_any_change_to_a_cards_html_changes_its_key(language):
    shown = set()  # the fields whose change did show on some card
    with translation.override(language), timezone.override("Asia/Ho_Chi_Minh"):
        for base in _bases():
            card = _card(base)
            html, key = card_cache.render_plain(card, READER), card_cache.key_of(card, READER.pk)
            for label, other in _variants(base):
                other_html = card_cache.render_plain(other, READER)
                if other_html != html:
                    shown.add(label.partition("=")[0])
                    assert card_cache.key_of(other, READER.pk) != key, f"{label} changes the card but not its key ({base})"
    # The variants reach the card's branches: every field shows somewhere (the meeting's id
    # only through the key).
    varied = {f"{cls.__name__}.{name}" for (cls, name), others in ROW_VARIANTS.items() if others}
    varied |= {f"Card.{name}" for name in CARD_VARIANTS if name not in ("occurrence", "attendee")}
    assert varied - shown == {"MeetingRow.pk"}


def test_the_key_follows_the_language_the_time_zone_and_the_reader():
    card = _card({})
    with translation.override("vi"):
        vi = card_cache.key_of(card, READER.pk)
        assert card_cache.key_of(card, 5) != vi
        with timezone.override("UTC"):
            assert card_cache.key_of(card, READER.pk) != vi
    with translation.override("en"):
        assert card_cache.key_of(card, READER.pk) != vi


def test_the_cache_keeps_at_most_its_size(settings):
    settings.MY_MEETINGS_CARD_CACHE = 3
    lru = card_cache.cache()
    for i in range(5):
        lru.put((i,), f"<p>{i}</p>")
    assert len(lru) == 3 and lru.get((0,)) is None and lru.get((4,)) == "<p>4</p>"
    lru.get((2,))
    lru.put((5,), "<p>5</p>")  # the least recently used (3) goes, not the one just read
    assert lru.get((2,)) == "<p>2</p>" and lru.get((3,)) is None


_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.mark.django_db
def test_a_card_seen_again_is_served_from_memory_with_the_same_html(org, settings):
    settings.MY_MEETINGS_CARD_CACHE = 100
    card_cache.cache().clear()
    now = timezone.now()
    sitting(org, now + timedelta(days=2), people=[org.member], title="Giao ban <tuần>", room=org.room_a,
            mode=Meeting.Mode.HYBRID)
    sitting(org, now + timedelta(minutes=5), people=[org.member], mode=Meeting.Mode.ONLINE)
    client = Client()
    client.force_login(org.member)
    first = client.get(reverse("my_meetings"))
    assert "meetings/_my_card.html" in [t.name for t in first.templates]
    second = client.get(reverse("my_meetings"))
    assert "meetings/_my_card.html" not in [t.name for t in second.templates]
    settings.MY_MEETINGS_CARD_CACHE = 0
    plain = client.get(reverse("my_meetings"))

    def same(response):
        html = _TOKEN.sub("TOKEN", response.content.decode())
        return re.sub(r'"X-CSRFToken": "[^"]+"', "HEADER", html)  # every response masks the token anew

    assert same(second) == same(plain) == same(first)
    assert "Giao ban &lt;tuần&gt;" in same(second) and same(second).count("TOKEN") >= 3


@pytest.mark.django_db
def test_a_card_from_memory_carries_this_requests_token_and_its_answer_is_taken(org, settings):
    settings.MY_MEETINGS_CARD_CACHE = 100
    card_cache.cache().clear()
    occ = sitting(org, timezone.now() + timedelta(days=3), people=[org.member])
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.member)
    client.get(reverse("my_meetings"))
    html = client.get(reverse("my_meetings")).content.decode()
    card = html[html.index(f'id="occ-{occ.pk}"'):]
    token = _TOKEN.search(card).group(1)
    assert "\x00" not in html
    attendee = Attendee.objects.get(user=org.member)
    response = client.post(reverse("my_meetings_answer", args=[attendee.pk]),
                           {"rsvp": "accepted", "occurrence": occ.pk, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    attendee.refresh_from_db()
    assert attendee.rsvp == Attendee.Rsvp.ACCEPTED
    # The answer is a new key: the page shows it at once.
    after = client.get(reverse("my_meetings")).content.decode()
    assert 'aria-pressed="true">Tham dự<' in after
