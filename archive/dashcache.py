"""The dashboard's numbers, cached per scope and day, invalidated explicitly.

Computing them reads every sitting of the last 90 days and every open action item (tens of
milliseconds at 100,000 minutes); they change only when meetings, bookings, minutes, documents
or action items do. Such changes bump one version token once their transaction commits:
- minutes, issued documents, action items, bookings, rooms, units, memberships and invitations
  through their model signals;
- meeting changes through the actions' outbox events (a subscriber that writes nothing),
  except the creation of a meeting: that is the booking engine's hot path, which must not pay
  a cache write; a new meeting appears on the dashboard within TTL seconds.
A cached entry is used only while its version is the current one, and expires after TTL
seconds whatever happens (a change made outside these paths is seen within TTL).
Scopes: "all" for those who see every unit; otherwise per user (the confidential rule).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db import transaction

from archive import permissions

if TYPE_CHECKING:
    from archive.stats import Scope

VERSION_KEY = "archive:dashboard:version"
TTL = 60


def _new_version() -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)


def bump(*args: Any, **kwargs: Any) -> None:
    """Invalidate every cached dashboard once the current transaction commits."""
    transaction.on_commit(_new_version)


def wants(meeting: Any, event: str, payload: dict[str, Any]) -> bool:
    """Outbox subscriber filter: meeting events other than a creation invalidate; no row is queued."""
    if event != "created":
        bump()
    return False


def numbers(scope: Scope, today: date, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """compute() once per scope, day and version; one cache round trip when cached."""
    who = "all" if permissions.sees_everything(scope.user) else f"user{scope.user.pk}"
    key = f"archive:dashboard:{who}:{today.isoformat()}"
    got = cache.get_many([VERSION_KEY, key])
    version = got.get(VERSION_KEY) or "-"
    entry = got.get(key)
    if entry is not None and entry.get("version") == version:
        return entry["numbers"]
    result = compute()
    cache.set(key, {"version": version, "numbers": result}, TTL)
    return result


def connect() -> None:
    from django.db.models.signals import post_delete, post_save

    from archive.models import IssuedDocument
    from meetings import outbox
    from meetings.models import Attendee, Booking, Membership, Room, Unit
    from minutes.models import ActionItem, Minutes

    for model in (Minutes, ActionItem, IssuedDocument, Booking, Room, Unit, Membership, Attendee):
        uid = f"archive-dashboard-{model._meta.label_lower}"
        post_save.connect(bump, sender=model, dispatch_uid=uid + "-save")
        post_delete.connect(bump, sender=model, dispatch_uid=uid + "-delete")
    outbox.subscribe("archive.dashboard", lambda message: None, wants)
