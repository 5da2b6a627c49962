"""Append-only audit trail. Actions record explicitly; admin-managed models (rooms,
memberships, units, calendar days) are recorded by signals so admin edits are caught too.

Append-only is enforced by the database, not only here (security review D3):
- PostgreSQL: triggers refuse UPDATE, DELETE and TRUNCATE; in production the runtime role
  is not the table's owner and holds only SELECT/INSERT on it (`manage.py grant_app_role`),
  so it can neither disable the triggers nor truncate.
- SQLite: triggers refuse UPDATE and DELETE. Whoever can write the database file can still
  drop them: the embedded mode is for one machine, not for an untrusted operator.
Entries keep the actor's name and e-mail as text, so deleting a user changes nothing (D16)."""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import models

if TYPE_CHECKING:
    from accounts.models import User
    from meetings.models import AuditEntry, Meeting

_actor: contextvars.ContextVar[Any] = contextvars.ContextVar("quorum_actor", default=None)


def current_actor() -> Any:
    return _actor.get()


def set_actor(user: Any) -> contextvars.Token[Any]:
    return _actor.set(user if getattr(user, "is_authenticated", False) else None)


def reset_actor(token: contextvars.Token[Any]) -> None:
    _actor.reset(token)


@contextmanager
def acting_as(user: Any) -> Iterator[None]:
    token = _actor.set(user if getattr(user, "is_authenticated", False) else None)
    try:
        yield
    finally:
        _actor.reset(token)


def _json(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    return value


def snapshot(instance: models.Model) -> dict[str, Any]:
    """The concrete field values of `instance` (foreign keys as ids), JSON-ready."""
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.name in {"password", "secret_hash", "join_token"}:
            continue
        data[field.attname] = _json(getattr(instance, field.attname))
    return data


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> tuple[dict, dict]:
    """Only the keys that changed, so entries stay readable."""
    if not before or not after:
        return before or {}, after or {}
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def entry(
    actor: User | None,
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    meeting: Meeting | None = None,
    meeting_id: int | None = None,
) -> AuditEntry:
    """An unsaved entry (only the keys that changed); write several with `write()`."""
    from meetings.models import AuditEntry

    before, after = diff(before, after)
    actor = actor if actor is not None and getattr(actor, "pk", None) else None
    return AuditEntry(
        actor=actor,
        actor_name=(getattr(actor, "full_name", "") or "")[:200] if actor else "",
        actor_email=(getattr(actor, "email", "") or "")[:254] if actor else "",
        action=action,
        object_type=obj._meta.model_name or "",
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        meeting=meeting,
        meeting_id=meeting.pk if meeting is not None else meeting_id,
        before=before or None,
        after=after or None,
    )


def entries_for(actor: User | None, action: str, objs: list[models.Model], meeting: Meeting | None = None) -> list[AuditEntry]:
    """Unsaved "created"-style entries: each object's full snapshot as `after`."""
    return [entry(actor, action, obj, None, snapshot(obj), meeting) for obj in objs]


def write(entries: list[AuditEntry]) -> None:
    """Append entries with one INSERT, whatever their number."""
    from meetings.booking import insert

    insert(entries)


def security(action: str, user: Any, request: Any = None, **details: Any) -> None:
    """A security event (login, failed login, lockout, MFA change, token issue/revoke,
    export, search): `user` is the account concerned, `details` go into `after`."""
    from meetings.models import AuditEntry

    account = user if getattr(user, "pk", None) else None
    ip = None
    if request is not None:
        from allauth.account.adapter import get_adapter  # the address the rate limits use

        try:
            ip = get_adapter(request).get_client_ip(request) or None
        except Exception:
            ip = None
    actor = current_actor() or account
    write([AuditEntry(
        actor=actor,
        actor_name=(getattr(actor, "full_name", "") or "")[:200] if actor else "",
        actor_email=(getattr(actor, "email", "") or "")[:254] if actor else str(details.get("email", ""))[:254],
        action=action,
        object_type="user" if account else "security",
        object_id=str(account.pk) if account else "",
        object_repr=str(account)[:300] if account else "",
        ip=ip,
        after={k: _json(v) for k, v in details.items()} or None,
    )])


def record(
    actor: User | None,
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    meeting: Meeting | None = None,
    meeting_id: int | None = None,
) -> None:
    write([entry(actor, action, obj, before, after, meeting, meeting_id)])


# --- signal-based recording for admin-managed models ---------------------------------


def _pre_save(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if kwargs.get("raw") or instance.pk is None:
        instance._audit_before = None  # type: ignore[attr-defined]
        return
    old = sender._default_manager.filter(pk=instance.pk).first()
    instance._audit_before = snapshot(old) if old else None  # type: ignore[attr-defined]


def _post_save(sender: type[models.Model], instance: models.Model, created: bool, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    before = getattr(instance, "_audit_before", None)
    record(current_actor(), "created" if created else "updated", instance, before, snapshot(instance))


def _post_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    record(current_actor(), "deleted", instance, snapshot(instance), None)


def connect(models_to_watch: list[type[models.Model]]) -> None:
    from django.db.models.signals import post_delete, post_save, pre_save

    for model in models_to_watch:
        uid = f"quorum-audit-{model._meta.label_lower}"
        pre_save.connect(_pre_save, sender=model, dispatch_uid=uid + "-pre")
        post_save.connect(_post_save, sender=model, dispatch_uid=uid + "-post")
        post_delete.connect(_post_delete, sender=model, dispatch_uid=uid + "-del")


class ActorMiddleware:
    """Makes the logged-in user the actor of audit entries written during the request."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        with acting_as(getattr(request, "user", None)):
            return self.get_response(request)
