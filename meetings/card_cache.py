"""My meetings' cards, each rendered once per content and then served from memory.

Rendering 20–30 cards through the template engine was half of the page's CPU, while a
person's cards rarely change between two visits. A card's HTML is a pure function of the
rows it is made from, what the clock decides about it (past, Join open, minutes open), the
reader (the chair tag compares with them), the language and the time zone: that tuple is
the key, so a changed answer, room or title, or the clock passing the Join button's
opening, gives a new key and the card is rendered again. Nothing is ever invalidated, and
nothing stale can be served.

Only the plain card is kept (no open form, no announcement): those render as before. The
CSRF token differs per request, so the stored HTML holds a marker in its place, replaced by
this request's token when served. Each process keeps its own bounded LRU
(MY_MEETINGS_CARD_CACHE cards; 0 turns it off): no network round trip, and a deployment
starts empty, so a changed template cannot be served stale.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from operator import attrgetter
from typing import Any

from django.conf import settings
from django.template.loader import get_template
from django.urls import get_script_prefix
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

TEMPLATE = "meetings/_my_card.html"

# The card's inputs: the rows it was made from, and what the clock decides about it now
# (the times, labels and links on the card follow from these, the language, the time zone
# and the script prefix). tests/meetings/test_card_cache.py changes every field of the rows
# and of the card in turn, and moves the clock across each boundary, and checks that any
# change to the HTML changes the key.
_sitting = attrgetter("pk", "start", "end", "status")
_meeting = attrgetter("pk", "title", "is_urgent", "mode", "chair_id", "status", "organizing_unit.short_name")
_attendee = attrgetter("pk", "rsvp", "rsvp_comment", "unit_id", "join_key", "is_active")
_clock = attrgetter("past", "join_open", "minutes_state")


def key_of(card: Any, reader_id: int | None) -> tuple[Any, ...]:
    """What the card's HTML depends on (rooms are frozen rows, compared by value)."""
    attendee = card.attendee
    return (translation.get_language(), timezone.get_current_timezone_name(), get_script_prefix(), reader_id,
            _sitting(card.occurrence), _meeting(card.meeting),
            _attendee(attendee) if attendee is not None else None,
            card.delegate_name, tuple(card.rooms), card.minutes_status, _clock(card))


# Stands for this request's token in a stored card (NUL never reaches a card: forms and the
# API refuse it in text).
_MARK = "\x00csrf\x00"
_MARK_INPUT = format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', _MARK)


class _LRU:
    """At most `size` entries, the least recently used dropped first; thread-safe (Django
    runs sync views in a thread pool)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple[Any, ...], str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> str | None:
        with self._lock:
            html = self._items.get(key)
            if html is not None:
                self._items.move_to_end(key)
            return html

    def put(self, key: tuple[Any, ...], html: str) -> None:
        with self._lock:
            self._items[key] = html
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


_cache = _LRU(0)


def cache() -> _LRU:
    """The process's cards (sized from the setting on first use, so tests can change it)."""
    size = settings.MY_MEETINGS_CARD_CACHE
    if _cache.size != size:
        _cache.size = size
        _cache.clear()
    return _cache


def _token_input(context: Any) -> str:
    """This request's {% csrf_token %}, worked out once per page."""
    store = context.render_context
    if "quorum_csrf_input" not in store:
        token = context.get("csrf_token")
        store["quorum_csrf_input"] = (
            format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token)
            if token and token != "NOTPROVIDED" else "")  # noqa: S105 - Django's "no token" marker
    return store["quorum_csrf_input"]


def render_plain(card: Any, user: Any) -> str:
    """The plain card as stored: the CSRF token's place marked."""
    return get_template(TEMPLATE).render({
        "card": card, "user": user, "answer_form": None, "delegate_form": None, "announce": None,
        "csrf_token": _MARK,
    })


def render(context: Any, card: Any) -> SafeString:
    """The plain card (no form open), from memory when its content was rendered before."""
    user = context.get("user")
    reader_id = getattr(user, "pk", None)
    lru = cache()
    key = key_of(card, reader_id) if lru.size else None
    html = lru.get(key) if key is not None else None
    if html is None:
        html = render_plain(card, user)
        if key is not None:
            lru.put(key, html)
    return mark_safe(html.replace(_MARK_INPUT, _token_input(context)))  # noqa: S308 - rendered by the template
