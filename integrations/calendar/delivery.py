"""Who gets which message when a meeting changes, and the idempotent per-person send.

The outbox handler (`handle`) only plans: it writes one Delivery row per person and
message, keyed (attendee, uid, scope, kind, sequence), so running it twice plans nothing
new. After commit a huey task per batch of rows (`send_many`) claims the rows with a
conditional UPDATE and mails them over one SMTP connection, marking each row on its own;
a second worker, or a retry of a sent row, finds nothing to claim.
"""

from __future__ import annotations

import logging
import smtplib
import time
import uuid
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import mailers
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from config import metrics
from config.redact import mask_personal_data
from integrations.calendar import feeds, ical, mail, versions
from integrations.calendar.models import Delivery, Version
from meetings import outbox
from meetings.actions import sequence
from meetings.models import Attendee, Meeting, Occurrence, OutboxMessage

log = logging.getLogger(__name__)  # ids only: config.redact masks what comes from elsewhere

TOPIC = "invitations"
EVENTS = {
    "created", "updated", "cancelled", "occurrence_updated", "occurrence_cancelled",
    "online_link_changed", "delegated", "booking_approved", "booking_rejected",
}
OCCURRENCE_EVENTS = {"occurrence_updated", "occurrence_cancelled"}
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8


def wants(meeting: Meeting, event: str, payload: dict[str, Any]) -> bool:
    return event in EVENTS


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


# --- planning -------------------------------------------------------------------------------


def link_wait() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "INVITATIONS_LINK_WAIT", 120)))


def link_pending(meeting: Meeting) -> bool:
    """An online room of a coming sitting is still being made (its link is not known yet)."""
    from django.apps import apps

    if not meeting.is_online or not apps.is_installed("integrations.online"):
        return False
    OnlineRoom = apps.get_model("online", "OnlineRoom")
    return OnlineRoom.objects.filter(
        occurrence__meeting=meeting, occurrence__end__gt=timezone.now(), desired=True, state="pending",
    ).exists()


def handle(message: OutboxMessage) -> None:
    """Outbox handler for topic "invitations" (runs outside any transaction)."""
    payload = dict(message.payload)
    event = payload.get("event", "")
    meeting = Meeting.objects.filter(pk=message.meeting_id).first()
    if meeting is None or meeting.status == Meeting.Status.DRAFT:
        return
    # A new online meeting: wait (a little) for its link, so the one invitation carries it
    # instead of an invitation now and an identical "change" a second later. The link's
    # arrival (online_link_changed) sends it; this row, retried, then finds nothing new.
    if (event == "created" and link_pending(meeting) and timezone.now() - message.created_at < link_wait()
            and not Version.objects.filter(meeting=meeting).exists()):
        raise outbox.Retry("waiting for the online room's link", timedelta(seconds=20))
    ids = plan_message(meeting, event, payload, message.pk)
    meeting.refresh_from_db()
    # Feeds: serialise the changed meeting now, so the next poll only joins stored texts,
    # and forget remembered ETags.
    feeds.refresh_meeting(meeting)
    feeds.changed()
    if ids:
        transaction.on_commit(lambda: enqueue(ids))


def plan(meeting: Meeting, event: str, payload: dict[str, Any]) -> list[int]:
    """Plan the messages of one meeting event (tests and callers without an outbox row)."""
    return plan_message(meeting, event, payload, None)


def plan_message(meeting: Meeting, event: str, payload: dict[str, Any], message_id: int | None) -> list[int]:
    """Compare the meeting with what its attendees were last told and write the Delivery rows
    of the difference, as one Version, in one transaction (the meeting row locked, so two
    workers cannot plan the same change twice). Returns the ids still to be sent."""
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if message_id is not None and Version.objects.filter(message_id=message_id).exists():
            return []  # this outbox message was planned before (a retry after a crash)
        last = Version.objects.filter(meeting=meeting).order_by("-number").first()
        data = ical.MeetingData.load(meeting)
        snap = versions.snapshot(data)
        active = list(meeting.attendees.filter(is_active=True))
        cancelled = meeting.status == Meeting.Status.CANCELLED
        reason = str(payload.get("reason") or "")
        rows: list[Delivery] = []
        sends: list[tuple[list[Attendee], str, Occurrence | None]] = []
        changes: list[dict[str, Any]] = []

        if event == "cancelled":
            if last is None:
                return []  # never invited: nobody to tell
            changes = [{"k": "cancelled_all", "reason": meeting.cancel_reason or reason}]
            sends.append((active, Delivery.Kind.CANCEL, None))
        elif cancelled:
            return []
        elif last is None:
            sends.append((active, Delivery.Kind.REQUEST, None))  # the first invitation
        else:
            changes = versions.diff(last.snapshot, snap, reason)
            moved = {str(pk) for pk in payload.get("moved_occurrence_ids") or []}
            if moved:  # "this and following" edited: those sittings go on in a new series (its own invitation)
                first = min((c["at"] for c in changes if c["k"] == "cancelled" and c.get("pk") in moved), default=None)
                changes = [c for c in changes if not (c["k"] == "cancelled" and c.get("pk") in moved)]
                if first:
                    changes.append({"k": "split", "at": first})
            if changes and versions.significant(changes) and meeting.sequence == last.sequence:
                # Changed outside the meeting actions (a refused room left LOCATION, the
                # provider's link changed): the counter goes up in the one place that owns it.
                meeting = sequence.raise_now(meeting.pk)
            told: set[int] = set()
            added = set(payload.get("added_attendee_ids") or [])
            if event == "delegated":
                added.add(payload.get("attendee_id"))
            newcomers = [a for a in active if a.pk in added]
            if changes:
                pks = {str(pk) for pk in payload.get("occurrence_ids") or []}
                if event in OCCURRENCE_EVENTS and versions.only_sittings(changes, pks):
                    kind = Delivery.Kind.REQUEST if event == "occurrence_updated" else Delivery.Kind.CANCEL
                    for occ in Occurrence.objects.filter(pk__in=[int(p) for p in pks], meeting=meeting):
                        sends.append(([a for a in active if a.pk not in added], kind, occ))
                    sends.append((newcomers, Delivery.Kind.REQUEST, None))
                else:
                    sends.append((active, Delivery.Kind.REQUEST, None))
                told = {a.pk for a in active}
            else:
                sends.append((newcomers, Delivery.Kind.REQUEST, None))
            removed = payload.get("removed_attendee_ids") or []
            if removed:
                gone = list(meeting.attendees.filter(pk__in=removed, is_active=False))
                sends.append(([a for a in gone if a.pk not in told], Delivery.Kind.UNINVITE, None))
        if not any(people for people, _kind, _occ in sends):
            return []
        number = (last.number if last else 0) + 1
        version = Version.objects.create(
            meeting=meeting, number=number, sequence=meeting.sequence, stamp=versions.next_stamp(last.stamp if last else None),
            snapshot=snap, changes=changes, message_id=message_id,
        )
        seen: set[tuple[int, str]] = set()
        for people, kind, occ in sends:
            for a in people:
                scope = f"occ:{occ.pk}" if occ is not None else ""
                if a.email.lower() == ical.system_address() or (a.pk, scope) in seen:
                    continue  # the organizer's own mailbox is never mailed; one message per person
                seen.add((a.pk, scope))
                rows.append(Delivery(
                    attendee=a, meeting=meeting, uid=str(meeting.uid), kind=kind, sequence=meeting.sequence,
                    scope=scope, occurrence=occ, version=version, revision=number,
                ))
        already = set(
            Delivery.objects.filter(meeting=meeting, uid=str(meeting.uid), kind=Delivery.Kind.REQUEST)
            .values_list("attendee_id", flat=True).distinct()
        )
        for row in rows:
            row.first = row.kind == Delivery.Kind.REQUEST and row.attendee_id not in already
        Delivery.objects.bulk_create(rows, ignore_conflicts=True)
        return list(
            Delivery.objects.filter(version=version, status=Delivery.Status.QUEUED).values_list("pk", flat=True)
        )


def batch_size() -> int:
    return max(1, int(getattr(settings, "INVITATIONS_BATCH_SIZE", 25)))


def enqueue(ids: Iterable[int]) -> None:
    """One huey task per batch of rows: a batch shares one SMTP connection, one claim and a
    handful of queries, and several batches keep every worker busy."""
    from integrations.calendar.tasks import send_batch

    ids = list(ids)
    size = batch_size()
    for i in range(0, len(ids), size):
        send_batch(ids[i:i + size])


# --- sending --------------------------------------------------------------------------------


def claim(ids: Iterable[int]) -> list[Delivery]:
    """Take the due rows among `ids` with one conditional UPDATE. Each row is claimed by at
    most one batch (the UPDATE re-checks the row's state), so a second worker, or a retry of
    a sent row, gets nothing; what we got is found again by our claim token."""
    ids = list(ids)
    if not ids:
        return []
    now = timezone.now()
    token = uuid.uuid4().hex
    updated = Delivery.objects.due(now).filter(pk__in=ids).update(
        status=Delivery.Status.SENDING, locked_until=now + LEASE, attempts=F("attempts") + 1, claim=token,
    )
    if not updated:
        return []
    return list(
        Delivery.objects.filter(pk__in=ids, claim=token, status=Delivery.Status.SENDING)
        .select_related("attendee__user", "attendee__delegated_from", "occurrence", "version").order_by("id")
    )


def _newest(rows: list[Delivery]) -> dict[tuple[int, str, str], tuple[int, int]]:
    """Newest live (SEQUENCE, version) per (attendee, uid, scope) among the rows' people, one query."""
    found = (
        Delivery.objects.filter(attendee_id__in={d.attendee_id for d in rows}, uid__in={d.uid for d in rows})
        .exclude(status=Delivery.Status.SUPERSEDED)
        .values_list("attendee_id", "uid", "scope", "sequence", "revision")
    )
    newest: dict[tuple[int, str, str], tuple[int, int]] = {}
    for a, u, sc, seq, rev in found:
        key = (a, u, sc)
        newest[key] = max(newest.get(key, (seq, rev)), (seq, rev))
    return newest


def superseded(d: Delivery, meeting: Meeting, newest: dict[tuple[int, str, str], tuple[int, int]] | None = None) -> bool:
    """A newer message to the same person makes this one pointless (and would be a step back)."""
    if d.kind == Delivery.Kind.REQUEST and (not d.attendee.is_active or meeting.status == Meeting.Status.CANCELLED):
        return True
    if newest is None:
        newest = _newest([d])
    mine = (d.sequence, d.revision)
    return newest.get((d.attendee_id, d.uid, d.scope), mine) > mine


def build(d: Delivery, data: ical.MeetingData, stamp: Any = None) -> mail.InviteMessage:
    """The e-mail (with its calendar) for one delivery."""
    meeting = data.meeting
    occ = d.occurrence
    if occ is not None:
        occ = data.occurrence(occ.pk) or occ
    changes = d.version.changes if d.version_id and d.version else []
    if stamp is None and d.version_id and d.version:
        stamp = d.version.stamp  # DTSTAMP of the version: the same bytes whenever it is (re)sent
    reason = meeting.cancel_reason if d.kind == Delivery.Kind.CANCEL else ""
    if occ is not None and d.kind == Delivery.Kind.CANCEL:
        reason = next((c.get("reason", "") for c in changes if c["k"] == "cancelled" and c.get("pk") == str(occ.pk)), "")
    if d.kind == Delivery.Kind.REQUEST:
        ics = ical.request(data, d.attendee, occurrence=occ, stamp=stamp)
        kind = "update" if not d.first else "invite"
        method = "REQUEST"
    elif d.kind == Delivery.Kind.UNINVITE:
        ics = ical.cancel(data, d.attendee, uninvite=True, stamp=stamp)
        kind, method = "uninvite", "CANCEL"
    else:
        ics = ical.cancel(data, d.attendee, occurrence=occ, stamp=stamp)
        kind, method = ("occ_cancel" if occ is not None else "cancel"), "CANCEL"
    return mail.compose(data, d.attendee, kind=kind, first=d.first, occurrence=occ, ics=ics, method=method, reason=reason,
                        changes=[] if d.first else changes)


# SMTP errors after which the session is still usable (smtplib sends RSET before raising).
_SESSION_OK = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


def send_many(ids: Iterable[int]) -> dict[int, str]:
    """Send the due rows among `ids` over one SMTP connection. Each row is still its own
    unit: claimed with the batch, then marked sent, failed or queued for a retry right after
    its own SMTP transaction, so a crash re-sends at most the message in flight."""
    ids = list(dict.fromkeys(ids))
    result: dict[int, str] = dict.fromkeys(ids, "skipped")
    rows = claim(ids)
    if not rows:
        return result
    token = rows[0].claim
    leased_at = time.monotonic()
    meetings = Meeting.objects.select_related("organizing_unit", "chair", "created_by").in_bulk({d.meeting_id for d in rows})
    newest = _newest(rows)
    gone = [d for d in rows if superseded(d, meetings[d.meeting_id], newest)]
    if gone:
        Delivery.objects.filter(pk__in=[d.pk for d in gone], claim=token).update(
            status=Delivery.Status.SUPERSEDED, locked_until=None, last_error="")
        result.update(dict.fromkeys((d.pk for d in gone), Delivery.Status.SUPERSEDED))
    todo = [d for d in rows if d not in gone]
    for d in todo:
        d.attendee.meeting = meetings[d.meeting_id]  # answer links sign the meeting's uid
    datas: dict[int, ical.MeetingData] = {}
    retries: dict[int, list[int]] = {}
    mailer = mailers["default"]
    connected = False
    domain = ical.system_address().split("@", 1)[1]
    try:
        while todo:
            if time.monotonic() - leased_at > LEASE.total_seconds() / 2:
                todo = _extend_lease(todo, token)
                leased_at = time.monotonic()
                continue
            d = todo.pop(0)
            if not connected:
                try:
                    mailer.open()
                    connected = True
                except (smtplib.SMTPException, OSError) as exc:
                    # No server to talk to: the whole rest of the batch waits for its retry.
                    for x in [d, *todo]:
                        status, delay = _fail(x, _describe(exc), permanent=False, token=token)
                        result[x.pk] = status
                        if delay is not None:
                            retries.setdefault(delay, []).append(x.pk)
                    break
            if d.meeting_id not in datas:
                datas[d.meeting_id] = ical.MeetingData.cached(meetings[d.meeting_id])
                datas[d.meeting_id].online_memo.clear()  # the join link may have changed since
            # One Message-ID per delivery row, the same on every attempt: a message re-sent after
            # a worker died mid-send is recognisably the same message (MTAs and clients drop it).
            message_id = f"<quorum.delivery.{d.pk}@{domain}>"
            try:
                msg = build(d, datas[d.meeting_id])
                msg.extra_headers["Message-ID"] = message_id
                mailer.send_messages([msg])
            except Exception as exc:
                if not isinstance(exc, _SESSION_OK):
                    mailer.close()
                    connected = False
                if not isinstance(exc, (smtplib.SMTPException, OSError)):
                    log.exception("invitation %s could not be sent", d.pk)  # retried like a passing failure
                status, delay = _fail(d, _describe(exc), permanent=_permanent(exc), token=token)
                result[d.pk] = status
                if delay is not None:
                    retries.setdefault(delay, []).append(d.pk)
                continue
            Delivery.objects.filter(pk=d.pk, claim=token).update(
                status=Delivery.Status.SENT, sent_at=timezone.now(), locked_until=None,
                last_error="", message_id=message_id,
            )
            result[d.pk] = Delivery.Status.SENT
            metrics.INVITATIONS.labels("sent").inc()
    finally:
        if connected:
            mailer.close()
        _schedule_retries(retries)
    return result


def send(pk: int) -> str:
    """Send one delivery if it is due and ours; returns the row's status afterwards."""
    return send_many([pk])[pk]


def _describe(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return f"Địa chỉ bị máy chủ thư từ chối: {exc.recipients}"
    return f"{type(exc).__name__}: {exc}"


def _extend_lease(rows: list[Delivery], token: str) -> list[Delivery]:
    """A long batch renews its claim before the lease runs out; rows re-claimed meanwhile
    (a lease that did run out) are left to their new owner."""
    pks = [d.pk for d in rows]
    Delivery.objects.filter(pk__in=pks, claim=token, status=Delivery.Status.SENDING).update(
        locked_until=timezone.now() + LEASE)
    mine = set(Delivery.objects.filter(pk__in=pks, claim=token, status=Delivery.Status.SENDING).values_list("pk", flat=True))
    return [d for d in rows if d.pk in mine]


def _schedule_retries(retries: dict[int, list[int]]) -> None:
    from integrations.calendar.tasks import send_batch

    for delay, pks in retries.items():
        send_batch.schedule(args=(pks,), delay=delay)


def _permanent(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        return bool(codes) and all(500 <= c < 600 for c in codes)
    code = getattr(exc, "smtp_code", None)
    return isinstance(code, int) and 500 <= code < 600 and not isinstance(exc, smtplib.SMTPServerDisconnected)


def _finish(d: Delivery, status: str, error: str, token: str) -> None:
    Delivery.objects.filter(pk=d.pk, claim=token).update(status=status, locked_until=None, last_error=error[:2000])


def _fail(d: Delivery, error: str, *, permanent: bool, token: str) -> tuple[str, int | None]:
    """Record a failed attempt: failed for good, or queued again after a backoff (returns
    the delay in seconds for the caller to schedule the retry)."""
    # The attendee by id: no address in the logs (issue 12); the SMTP answer is masked too.
    log.warning("invitation %s to attendee #%s failed (attempt %s): %s", d.pk, d.attendee_id, d.attempts,
                mask_personal_data(error))
    if permanent or d.attempts >= MAX_ATTEMPTS:
        metrics.INVITATIONS.labels("failed").inc()
        _finish(d, Delivery.Status.FAILED, error, token)
        return Delivery.Status.FAILED, None
    metrics.INVITATIONS.labels("retry").inc()
    delay = backoff(d.attempts)
    Delivery.objects.filter(pk=d.pk, claim=token).update(
        status=Delivery.Status.QUEUED, locked_until=None, last_error=error[:2000],
        available_at=timezone.now() + delay,
    )
    return "retry", int(delay.total_seconds())


def resend_due(limit: int = 500) -> int:
    """Re-drive due rows (a lost kick, a worker killed mid-send): the periodic safety net."""
    ids = list(Delivery.objects.due(timezone.now()).order_by("id").values_list("pk", flat=True)[:limit])
    size = batch_size()
    for i in range(0, len(ids), size):
        send_many(ids[i:i + size])
    return len(ids)


def purge(older_than: timedelta | None = None) -> int:
    """Retention: delete the finished delivery rows of meetings whose last sitting ended more
    than DELIVERY_RETENTION_DAYS ago. Rows of meetings still to come are kept (they decide
    "first invitation or update" and the sequence), and so are rows still being sent."""
    cutoff = timezone.now() - (older_than or timedelta(days=settings.DELIVERY_RETENTION_DAYS))
    ended = Meeting.objects.annotate(last_end=Max("occurrences__end")).filter(last_end__lt=cutoff)
    deleted, _ = Delivery.objects.filter(
        meeting__in=ended.values("pk"),
        status__in=[Delivery.Status.SENT, Delivery.Status.FAILED, Delivery.Status.SUPERSEDED],
    ).delete()
    return deleted
