"""The iMIP e-mail (RFC 6047), Gmail's layout:

    multipart/mixed
      multipart/alternative: text/plain, text/html, text/calendar; method=X; charset=utf-8
      application/ics (invite.ics)

Text parts are quoted-printable and the calendar base64, so nothing depends on the relay
offering 8BITMIME and the calendar's CRLF line ends arrive byte for byte.
"""

from __future__ import annotations

import email.policy
import threading
from email.policy import EmailPolicy
from email.utils import formataddr
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from integrations.calendar import answers, ical, texts
from meetings.models import Attendee, Occurrence


class MemoPolicy(EmailPolicy):
    """The standard email policy, remembering the headers it has parsed and folded. A
    300-person invitation repeats the same From, Reply-To, Subject and MIME headers in every
    message, and folding the encoded-word From address alone was half the serialisation cost.
    Parsing and folding are pure functions of (name, value) under one policy, so the bytes
    are exactly those of the standard policy."""

    def header_store_parse(self, name: str, value: Any) -> tuple[str, Any]:
        if type(value) is not str:
            return super().header_store_parse(name, value)
        return _memo(_PARSED, (id(self), name, value), lambda: super(MemoPolicy, self).header_store_parse(name, value))

    def fold_binary(self, name: str, value: Any) -> bytes:
        key = (id(self), name, type(value), str(value))
        return _memo(_FOLDED, key, lambda: super(MemoPolicy, self).fold_binary(name, value))


_PARSED: dict[Any, Any] = {}
_FOLDED: dict[Any, Any] = {}
_memo_lock = threading.Lock()


def _memo(store: dict[Any, Any], key: Any, make: Any) -> Any:
    found = store.get(key)
    if found is None:
        found = make()
        with _memo_lock:
            if len(store) > 4096:  # bounded: per-recipient headers (To, Message-ID) churn
                store.clear()
            store[key] = found
    return found


_POLICIES: dict[str, MemoPolicy] = {}


def memo_policy(like: EmailPolicy) -> EmailPolicy:
    """A MemoPolicy with the settings of `like` (the SMTP backend asks for policy.SMTP)."""
    if type(like) is not EmailPolicy:
        return like
    key = repr(sorted(vars(like).items()))
    if key not in _POLICIES:
        _POLICIES[key] = MemoPolicy(**vars(like))
    return _POLICIES[key]


class InviteMessage(EmailMultiAlternatives):
    def __init__(self, *args: Any, html: str, ics: bytes | None, method: str | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.html, self.ics, self.method = html, ics, method
        if ics is not None:
            self.attach("invite.ics", ics, "application/ics")

    def message(self, *, policy: EmailPolicy = email.policy.default) -> Any:
        return super().message(policy=memo_policy(policy))

    def _add_bodies(self, msg: Any) -> Any:
        msg.set_content(self.body, subtype="plain", charset="utf-8", cte="quoted-printable")
        msg.add_alternative(self.html, subtype="html", charset="utf-8", cte="quoted-printable")
        if self.ics is not None:
            # No Content-Disposition / Content-ID on this part (Thunderbird, Evolution).
            msg.add_alternative(
                self.ics.decode("utf-8"), subtype="calendar", charset="utf-8", cte="base64",
                params={"method": self.method},
            )
        return msg


def sender(data: ical.MeetingData) -> str:
    return formataddr((f"{data.meeting.organizing_unit.short_name} (qua Lịch họp)", ical.system_address()))


def reply_to(data: ical.MeetingData) -> list[str]:
    creator = data.meeting.created_by
    return [creator.email] if creator and creator.email else []


def language(attendee: Attendee) -> str:
    return texts.lang_of(attendee.user.language if attendee.user_id and attendee.user else "vi")


def compose(
    data: ical.MeetingData,
    attendee: Attendee,
    *,
    kind: str,
    first: bool = False,
    occurrence: Occurrence | None = None,
    ics: bytes | None = None,
    method: str | None = None,
    reason: str = "",
    changes: list[dict[str, Any]] | None = None,
) -> InviteMessage:
    """kind: invite/update/cancel/occ_cancel/uninvite/reminder. `changes` (a Version's)
    become the sentences an update opens with ("Buổi họp 15/12 dời sang 14:00 ngày 16/12")."""
    from integrations.calendar.versions import lines
    lang = language(attendee)
    t = texts.texts(lang)
    m = data.meeting
    if kind == "update" and first:
        kind = "invite"
    start = occurrence.start if occurrence else m.start
    end = occurrence.end if occurrence else m.end
    when = texts.span(start, end, lang)
    changed = lines(changes or [], lang) if kind == "update" else []
    # A sitting cancelled: the mail opens with it ("Hủy buổi 22/12: <lý do>").
    cancelled = lines([c for c in changes or [] if c["k"] == "cancelled"], lang) if kind == "occ_cancel" else []
    if cancelled:
        reason = ""  # already in the sentence
    subject = f"{t['subject_' + kind]}: {m.title} – {changed[0] if changed and kind == 'update' else texts.when(start, lang)}"
    info = data.online(occurrence) if m.is_online and kind not in ("cancel", "occ_cancel", "uninvite") else {}
    show_answer = kind in ("invite", "update") and attendee.rsvp != Attendee.Rsvp.DELEGATED
    ctx = {
        "t": t,
        "lang": lang,
        "kind": kind,
        "intro": cancelled[0] if cancelled else t["intro_" + kind],
        "attendee": attendee,
        "meeting": m,
        "when": when,
        "recurring": bool(m.rrule) and occurrence is None,
        "location": data.location(occurrence),
        "agenda": "" if data.confidential else m.agenda.strip(),
        "confidential": data.confidential,
        "join_url": ical.join_url(attendee) if m.is_online and info is not None and kind not in ("cancel", "occ_cancel", "uninvite") else "",
        "dial_in": info.get("dial_in", ""),
        "passcode": info.get("passcode", ""),
        "reason": reason,
        "changed": changed,
        "links": answers.links(attendee) if show_answer else None,
    }
    body = render_to_string("invitations/email/message.txt", ctx)
    html = render_to_string("invitations/email/message.html", ctx)
    return InviteMessage(
        subject=subject,
        body=body,
        from_email=sender(data),
        to=[attendee.email],
        reply_to=reply_to(data),
        html=html,
        ics=ics,
        method=method,
        headers={"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "OOF, AutoReply"},
    )
