"""The CRDT side of the minutes: one Yjs document per section, stored in the database.

Every update a client sends is applied under the section's row lock to the stored
document (a per-process cache avoids re-decoding it while the row's `version` matches),
then the new state and the readable text are saved in the same transaction. The client
is told "saved" only after that commit, so nothing acknowledged can be lost.
"""

from __future__ import annotations

import base64
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from pycrdt import Doc, Text

from minutes.models import Minutes, Revision, Section

if TYPE_CHECKING:
    from accounts.models import User

TEXT = "text"  # the one Y.Text in every section document


class MinutesError(Exception):
    """A refused write: `code` for programs, `message` for people."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def locked_error(minutes: Minutes) -> MinutesError:
    """Why frozen minutes refuse an edit: issued for good, or waiting for the chair."""
    if minutes.is_issued:
        return MinutesError("issued", "Biên bản đã ban hành, không thể sửa.", 409)
    return MinutesError(
        "locked", "Biên bản đang chờ chủ trì duyệt, không thể sửa; chủ trì trả lại thì mới sửa được.", 409)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(data: str) -> bytes:
    return base64.b64decode(data.encode("ascii"), validate=True)


class _DocCache:
    """Decoded documents of recently edited sections, per process, keyed by section id."""

    def __init__(self, size: int = 256) -> None:
        self._docs: OrderedDict[Any, tuple[int, Doc]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, section: Section) -> Doc:
        with self._lock:
            hit = self._docs.get(section.uid)
            if hit and hit[0] == section.version:
                self._docs.move_to_end(section.uid)
                return hit[1]
        return load(bytes(section.ydoc))

    def put(self, section: Section, doc: Doc) -> None:
        with self._lock:
            self._docs[section.uid] = (section.version, doc)
            self._docs.move_to_end(section.uid)
            while len(self._docs) > self._size:
                self._docs.popitem(last=False)

    def drop(self, section_uid: Any) -> None:
        with self._lock:
            self._docs.pop(section_uid, None)


cache = _DocCache()


def load(state: bytes) -> Doc:
    doc = Doc()
    doc.get(TEXT, type=Text)
    if state:
        doc.apply_update(state)
    return doc


def text_of(doc: Doc) -> str:
    return str(doc.get(TEXT, type=Text))


@dataclass
class Applied:
    section_id: int
    version: int
    text: str


def _locked_section(minutes_id: int, section_id: int) -> Section:
    try:
        section = Section.objects.select_for_update().get(pk=section_id)
    except Section.DoesNotExist:
        raise MinutesError("unknown_section", "Mục này không tồn tại.", 404) from None
    if section.minutes_id != minutes_id:
        raise MinutesError(
            "wrong_minutes", "Mục này thuộc biên bản của cuộc họp khác: không được ghi.", 403
        )
    return section


def _check_draft(minutes_id: int) -> Minutes:
    minutes = Minutes.objects.get(pk=minutes_id)
    if minutes.is_locked:
        raise locked_error(minutes)
    return minutes


def apply_update(minutes_id: int, section_id: int, update: bytes, user: User) -> Applied:
    """Merge one client update into the stored section document; raises MinutesError."""
    if not update:
        raise MinutesError("empty_update", "Bản cập nhật rỗng.")
    section: Section | None = None
    try:
        with transaction.atomic():
            section = _locked_section(minutes_id, section_id)
            minutes = _check_draft(minutes_id)
            doc = cache.get(section)
            try:
                doc.apply_update(update)
            except Exception:
                raise MinutesError("bad_update", "Bản cập nhật không đọc được (không phải Yjs).") from None
            if set(doc.keys()) - {TEXT}:
                raise MinutesError("bad_update", "Bản cập nhật chứa dữ liệu ngoài nội dung mục.")
            section.ydoc = doc.get_update()
            section.text = text_of(doc)
            section.version += 1
            section.updated_at = timezone.now()
            if user.pk not in section.pending_authors:
                section.pending_authors = [*section.pending_authors, user.pk]
            section.save(update_fields=["ydoc", "text", "version", "updated_at", "pending_authors"])
            Minutes.objects.filter(pk=minutes_id).update(updated_at=section.updated_at)
            maybe_cut_revision(minutes)
    except BaseException:
        # The decoded doc may hold a change that was rolled back.
        if section is not None:
            cache.drop(section.uid)
        raise
    cache.put(section, doc)
    return Applied(section.pk, section.version, section.text)


def diff_since(section_id: int, state_vector: bytes) -> tuple[bytes, int]:
    """What a replica with `state_vector` lacks of the stored section, and its version."""
    section = Section.objects.get(pk=section_id)
    doc = load(bytes(section.ydoc))
    try:
        return (doc.get_update(state_vector) if state_vector else doc.get_update()), section.version
    except Exception:
        raise MinutesError("bad_state_vector", "State vector không đọc được.") from None


def replace_text(section: Section, new_text: str, user: User | None) -> bytes | None:
    """Make the section read `new_text` as an ordinary edit (merges with concurrent ones).

    Call inside a transaction with the section locked. Returns the update to broadcast.
    """
    doc = load(bytes(section.ydoc))
    if text_of(doc) == new_text:
        return None
    before = doc.get_state()
    text = doc.get(TEXT, type=Text)
    with doc.transaction():
        del text[:]
        text += new_text
    update = doc.get_update(before)
    section.ydoc = doc.get_update()
    section.text = text_of(doc)
    section.version += 1
    section.updated_at = timezone.now()
    if user is not None and user.pk not in section.pending_authors:
        section.pending_authors = [*section.pending_authors, user.pk]
    section.save(update_fields=["ydoc", "text", "version", "updated_at", "pending_authors"])
    cache.drop(section.uid)
    return update


def revision_interval() -> timedelta:
    return timedelta(seconds=getattr(settings, "MINUTES_REVISION_INTERVAL", 180))


def maybe_cut_revision(minutes: Minutes) -> Revision | None:
    """Cut an activity revision when the last one is older than the interval (one winner)."""
    now = timezone.now()
    won = Minutes.objects.filter(pk=minutes.pk, last_revision_at__lte=now - revision_interval()).update(
        last_revision_at=now
    )
    return cut_revision(minutes, Revision.Reason.ACTIVITY) if won else None


def cut_revision(minutes: Minutes, reason: str, actor: User | None = None) -> Revision:
    """Snapshot every section now; must run inside a transaction."""
    from accounts.models import User

    sections = list(Section.objects.select_for_update().filter(minutes=minutes).order_by("position", "id"))
    author_ids: list[int] = []
    for section in sections:
        author_ids += [a for a in section.pending_authors if a not in author_ids]
    if actor is not None and actor.pk not in author_ids:
        author_ids.append(actor.pk)
    names = dict(User.objects.filter(pk__in=author_ids).values_list("pk", "full_name"))
    last = Revision.objects.filter(minutes=minutes).order_by("-number").first()
    revision = Revision.objects.create(
        minutes=minutes,
        number=(last.number + 1) if last else 1,
        reason=reason,
        status=Minutes.objects.filter(pk=minutes.pk).values_list("status", flat=True).get(),
        authors=[{"id": a, "name": names.get(a, "")} for a in author_ids],
        content={
            str(s.pk): {"title": s.title, "text": s.text, "ydoc": b64(bytes(s.ydoc))} for s in sections
        },
    )
    Section.objects.filter(minutes=minutes).update(pending_authors=[])
    Minutes.objects.filter(pk=minutes.pk).update(last_revision_at=revision.created_at)
    return revision
