"""The life of online rooms: planned inside the meeting's transaction, synced outside it.

1. `plan_meeting()` runs inside the transaction that changes a meeting (from the outbox
   subscriber's `wants`, which emit() calls there). It decides, per occurrence, whether a
   room must exist and with which provider, reserves what the provider needs (a Zoom host
   licence: "no free host" refuses the whole change before anything is saved) and marks
   the rows that need work `pending`.
2. `handle()` (the outbox handler, after commit, no transaction) and the periodic
   `reconcile()` call `sync_room()` for pending rooms: create / update / delete at the
   provider, idempotently. The external id is stored as soon as it is known; a create
   whose answer was lost is found again (`Provider.find`) instead of repeated.
3. When a join link appears or changes, `announce()` emits `online_link_changed` so the
   invitation flow can tell attendees.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import mail_admins, send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from config.redact import strip_personal_data
from integrations.online import registry
from integrations.online.models import OnlineRoom
from integrations.online.registry import ProviderError, RoomSpec
from meetings import outbox
from meetings.models import Meeting, Membership, Occurrence

if TYPE_CHECKING:
    from meetings.models import OutboxMessage

log = logging.getLogger(__name__)

TOPIC = "online_rooms"
LINK_CHANGED = "online_link_changed"
# Meeting events that can change what online rooms a meeting needs.
EVENTS = {"created", "updated", "cancelled", "occurrence_updated", "occurrence_cancelled"}
LEASE = timedelta(minutes=3)
NOTIFY_AFTER_ATTEMPTS = 5
ROOM_BACKOFF_CAP = timedelta(minutes=10)


class Busy(Exception):
    """Another worker is syncing this room right now."""


def register() -> None:
    outbox.subscribe(TOPIC, handle, wants=wants)


# --- planning (inside the meeting's transaction) ---------------------------------------


def wants(meeting: Meeting, event: str, payload: dict[str, Any]) -> bool:
    """Subscriber filter; also plans the rooms, since it runs in the meeting's transaction
    (so a Zoom host is reserved, or refused, atomically with the change)."""
    if event not in EVENTS:
        return False  # our own online_link_changed, booking decisions, …
    if not meeting.is_online:
        # A brand-new in-person meeting cannot have rooms yet (a split's new series can: its
        # occurrences moved over with theirs), so the common case needs no query.
        if event == "created" and not payload.get("split_from"):
            return False
        if not OnlineRoom.objects.filter(occurrence__meeting=meeting).exists():
            return False
    return bool(plan_meeting(meeting))


def resolved_provider(meeting: Meeting) -> str:
    return meeting.online_provider or meeting.organizing_unit.default_online_provider or registry.default_key()


def _room_wanted(meeting: Meeting, occ: Occurrence) -> bool:
    return (
        meeting.is_online
        and meeting.status in (Meeting.Status.SCHEDULED, Meeting.Status.REQUESTED)
        and occ.status == Occurrence.Status.SCHEDULED
    )


def plan_meeting(meeting: Meeting) -> list[int]:
    """Bring the OnlineRoom rows of `meeting` in line with it. Must run in a transaction.
    Returns the ids of rooms marked pending. Raises ActionError (no free host…)."""
    from meetings.actions import ActionError

    now = timezone.now()
    occs = [o for o in meeting.occurrences.all() if o.end > now]  # ended ones are history
    rooms = {
        r.occurrence_id: r
        for r in OnlineRoom.objects.select_for_update().filter(occurrence__in=[o.pk for o in occs])
    }
    wanted_key = resolved_provider(meeting)
    pending: list[int] = []
    for occ in occs:
        room = rooms.get(occ.pk)
        wanted = _room_wanted(meeting, occ)
        if room is None and not wanted:
            continue
        if room is None:
            room = OnlineRoom.objects.create(occurrence=occ, provider=wanted_key, revision=1)
            pending.append(room.pk)
        needs = False
        if wanted:
            provider = registry.get(wanted_key)
            if provider is None:
                raise ActionError(
                    _("Nhà cung cấp phòng họp trực tuyến “%(p)s” không tồn tại.") % {"p": wanted_key},
                    "online_provider",
                )
            if room.provider != wanted_key and (old := registry.get(room.provider)):
                old.release(room)
            room.provider = wanted_key
            provider.reserve(room, occ, meeting)  # may switch room.provider to a fallback
            current = registry.get(room.provider) or provider
            spec = build_spec(room, occ, meeting, current)
            needs = (
                not room.desired
                or room.state in (OnlineRoom.State.FAILED, OnlineRoom.State.REMOVED)
                or room.provider != room.external_provider
                or spec.fingerprint() != room.synced
            )
            room.desired = True
        elif room.desired:
            if old := registry.get(room.provider):
                old.release(room)
            room.desired = False
            needs = True
        if needs or room.pk in pending:
            room.state = OnlineRoom.State.PENDING
            room.revision += 1
            room.next_attempt_at = now
            room.attempts = 0
            room.reason = ""
            room.failure_notified_at = None
            if room.pk not in pending:
                pending.append(room.pk)
        room.save(update_fields=[
            "provider", "desired", "state", "revision", "next_attempt_at", "attempts", "reason",
            "failure_notified_at", "updated_at",
        ])
    return pending


def build_spec(room: OnlineRoom, occ: Occurrence, meeting: Meeting, provider: registry.Provider) -> RoomSpec:
    # Titles show in the provider's invitations and reports: no details of confidential meetings.
    if meeting.sensitivity == Meeting.Sensitivity.CONFIDENTIAL:
        topic = _("Cuộc họp — %(u)s") % {"u": meeting.organizing_unit.short_name}
    else:
        topic = strip_personal_data(meeting.title)  # no e-mail or phone number in Zoom (issue 12)
    details = provider.spec_details(occ, meeting)
    return RoomSpec(
        key=room.key, topic=topic[:200], start=occ.start, end=occ.end,
        host=provider.spec_host(room), details=details,
    )


# --- syncing (outside any transaction) -------------------------------------------------


def _facts(room_id: int, **fields: Any) -> None:
    OnlineRoom.objects.filter(pk=room_id).update(**fields, updated_at=timezone.now())


def room_backoff(attempts: int) -> timedelta:
    """30 s, 1, 2, 4, 8 min, then every 10 min: a link should not wait an hour after Zoom is back."""
    return min(outbox.backoff(attempts), ROOM_BACKOFF_CAP)


def sync_room(room_id: int) -> bool:
    """Bring one pending room in line at its provider. True if it is now ready.

    Raises outbox.Retry for passing failures (the room stays pending) and Busy if another
    worker holds the room."""
    now = timezone.now()
    taken = (
        OnlineRoom.objects.filter(pk=room_id)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + LEASE)
    )
    if not taken:
        raise Busy(room_id)
    try:
        return _sync(room_id)
    finally:
        OnlineRoom.objects.filter(pk=room_id).update(lease_until=None)


def _provider(key: str) -> registry.Provider:
    provider = registry.get(key)
    if provider is None:
        raise ProviderError(_("Nhà cung cấp “%(p)s” không còn được cài đặt.") % {"p": key})
    return provider


def _sync(room_id: int) -> bool:
    room = OnlineRoom.objects.select_related("occurrence__meeting__organizing_unit").get(pk=room_id)
    if room.state != OnlineRoom.State.PENDING:
        return room.state == OnlineRoom.State.READY
    revision = room.revision
    occ = room.occurrence
    meeting = occ.meeting
    try:
        if not room.desired:
            if room.external_id:
                _provider(room.external_provider).delete(room)
            _facts(room.pk, external_id="", external_provider="", join_url="", passcode="", dial_in="",
                   synced={}, create_started_at=None, reason="")
            OnlineRoom.objects.filter(pk=room.pk, revision=revision).update(state=OnlineRoom.State.REMOVED)
            return False
        provider = _provider(room.provider)
        spec = build_spec(room, occ, meeting, provider)
        if room.external_id and (
            room.external_provider != room.provider or room.synced.get("host", "") != spec.host
        ):
            # Another provider or another host: the old room goes, a new one is made.
            _provider(room.external_provider).delete(room)
            _facts(room.pk, external_id="", external_provider="", synced={}, create_started_at=None)
            room.external_id, room.create_started_at = "", None
        info = None
        if room.external_id:
            try:
                info = provider.update(room, spec, room.synced)
            except ProviderError as exc:
                if not exc.gone:
                    raise
                # Deleted at the provider (by hand, or expired): make a new one.
                _facts(room.pk, external_id="", synced={}, create_started_at=None,
                       changed_outside=_("Phòng đã bị xóa ở %(p)s; Quorum đã tạo phòng mới.") % {"p": provider.label})
                room.create_started_at = None
        if info is None:
            if room.create_started_at is not None:
                info = provider.find(spec)
            if info is None:
                _facts(room.pk, create_started_at=timezone.now())
                info = provider.create(
                    spec, lambda external_id: _facts(room.pk, external_id=external_id, external_provider=provider.key)
                )
        _facts(
            room.pk, external_id=info.external_id, external_provider=provider.key, join_url=info.join_url,
            passcode=info.passcode, dial_in=info.dial_in, host=info.host or spec.host, extra=info.extra,
            synced=spec.fingerprint(), attempts=0, reason="",
        )
        done = OnlineRoom.objects.filter(pk=room.pk, revision=revision, state=OnlineRoom.State.PENDING).update(
            state=OnlineRoom.State.READY, failure_notified_at=None
        )
        return bool(done)
    except ProviderError as exc:
        if exc.temporary:
            if exc.retry_after:
                # Rate limited: the provider said when; waiting is not a failure, so the
                # backoff of later errors does not grow with it.
                attempts = room.attempts
                delay = timedelta(seconds=exc.retry_after)
            else:
                attempts = room.attempts + 1
                delay = room_backoff(attempts)
            _facts(room.pk, attempts=attempts, reason=exc.message, next_attempt_at=timezone.now() + delay)
            if attempts == NOTIFY_AFTER_ATTEMPTS:
                notify_failure(room, exc.message, still_trying=True)
            raise outbox.Retry(exc.message, delay) from exc
        # Failed, but retried by the reconciler with a growing wait until the meeting starts
        # (a fixed configuration, a host licence freed…); the secretaries are told once.
        attempts = room.attempts + 1
        now = timezone.now()
        OnlineRoom.objects.filter(pk=room.pk, revision=revision).update(
            state=OnlineRoom.State.FAILED, reason=exc.message, updated_at=now,
            attempts=attempts, next_attempt_at=now + room_backoff(attempts),
        )
        notify_failure(room, exc.message, still_trying=occ.start > now)
        return False


def sync_meeting(meeting_id: int, room_ids: list[int] | None = None) -> None:
    """Sync the meeting's pending rooms (or `room_ids`), then announce new links.
    Raises outbox.Retry with the shortest wait if any room must be tried again."""
    if room_ids is None:
        room_ids = list(
            OnlineRoom.objects.filter(occurrence__meeting_id=meeting_id, state=OnlineRoom.State.PENDING)
            .order_by("occurrence__start").values_list("pk", flat=True)
        )
    retry: outbox.Retry | None = None
    for pk in room_ids:
        try:
            sync_room(pk)
        except outbox.Retry as exc:
            if retry is None or (exc.delay or timedelta(0)) < (retry.delay or timedelta(0)):
                retry = exc
        except Busy:
            retry = retry or outbox.Retry(_("Phòng đang được xử lý ở tiến trình khác."), timedelta(seconds=30))
    announce(meeting_id)
    if retry is not None:
        raise retry


def handle(message: OutboxMessage) -> None:
    if message.meeting_id is None:
        return
    sync_meeting(message.meeting_id)


def announce(meeting_id: int) -> list[int]:
    """Emit online_link_changed for ready rooms whose link attendees have not been told."""
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().filter(pk=meeting_id).first()
        if meeting is None:
            return []
        changed = []
        for room in OnlineRoom.objects.filter(occurrence__meeting=meeting, state=OnlineRoom.State.READY):
            told = {"join_url": room.join_url, "passcode": room.passcode, "dial_in": room.dial_in}
            if room.announced != told:
                OnlineRoom.objects.filter(pk=room.pk).update(announced=told)
                changed.append(room.occurrence_id)
        if changed:
            outbox.emit(meeting, LINK_CHANGED, occurrence_ids=sorted(changed))
    return changed


# --- the periodic reconciler -----------------------------------------------------------


def reconcile(limit: int = 200) -> dict[str, int]:
    """Re-drive what is stuck: online meetings whose rooms were never planned, and pending
    rooms whose retry time has come (a worker killed mid-sync loses its lease)."""
    from meetings.actions import ActionError

    now = timezone.now()
    unplanned = (
        Occurrence.objects.filter(
            meeting__mode__in=[Meeting.Mode.ONLINE, Meeting.Mode.HYBRID],
            meeting__status__in=[Meeting.Status.SCHEDULED, Meeting.Status.REQUESTED],
            status=Occurrence.Status.SCHEDULED,
            end__gt=now,
            online_room__isnull=True,
        )
        .order_by()
        .values_list("meeting_id", flat=True)
        .distinct()[:limit]
    )
    planned = 0
    for meeting_id in list(unplanned):
        try:
            with transaction.atomic():
                meeting = Meeting.objects.select_for_update().select_related("organizing_unit").get(pk=meeting_id)
                planned += len(plan_meeting(meeting))
        except ActionError as exc:
            log.warning("online rooms of meeting %s cannot be planned: %s", meeting_id, exc.message)
    # Failed rooms of sittings still to come are tried again once their backoff has passed.
    retried = OnlineRoom.objects.filter(
        state=OnlineRoom.State.FAILED, desired=True, next_attempt_at__lte=now,
        occurrence__start__gt=now, occurrence__status=Occurrence.Status.SCHEDULED,
    ).update(state=OnlineRoom.State.PENDING)
    if retried:
        log.info("retrying %s failed online rooms", retried)
    due = list(
        OnlineRoom.objects.due(timezone.now()).order_by("next_attempt_at").values_list("pk", "occurrence__meeting_id")[:limit]
    )
    by_meeting: dict[int, list[int]] = {}
    for pk, meeting_id in due:
        by_meeting.setdefault(meeting_id, []).append(pk)
    synced = 0
    for meeting_id, room_ids in by_meeting.items():
        with contextlib.suppress(outbox.Retry):
            sync_meeting(meeting_id, room_ids)
        synced += len(room_ids)
    return {"planned": planned, "synced": synced}


# --- notifications ---------------------------------------------------------------------


def _secretaries(meeting: Meeting) -> list[str]:
    """The organizing unit's secretaries and unit admins who may see the meeting, plus whoever
    booked it. A confidential meeting is seen by few of them (D2): the rule is visible_to."""
    from accounts.models import User

    candidates = list(User.objects.filter(is_active=True).filter(
        Q(pk=meeting.created_by_id)
        | Q(memberships__unit=meeting.organizing_unit,
            memberships__role__in=[Membership.Role.SECRETARY, Membership.Role.UNIT_ADMIN])
    ).distinct())
    return sorted({u.email for u in candidates if Meeting.objects.visible_to(u).filter(pk=meeting.pk).exists()})


def _public_title(meeting: Meeting) -> str:
    """What a notice may say about the meeting: never a confidential title (D2)."""
    if meeting.sensitivity == Meeting.Sensitivity.CONFIDENTIAL:
        return _("một cuộc họp mật của %(u)s") % {"u": meeting.organizing_unit}
    return meeting.title


def notify_failure(room: OnlineRoom, message: str, *, still_trying: bool = False) -> None:
    """Tell the organizing unit's secretaries and the site admins, once per failure."""
    claimed = OnlineRoom.objects.filter(pk=room.pk, failure_notified_at__isnull=True).update(
        failure_notified_at=timezone.now()
    )
    if not claimed:
        return
    meeting = room.occurrence.meeting
    when = timezone.localtime(room.occurrence.start).strftime("%d/%m/%Y %H:%M")
    provider = registry.get(room.provider)
    label = provider.label if provider else room.provider
    subject = _("[Quorum] Chưa tạo được phòng họp trực tuyến: %(t)s, %(w)s") % {"t": _public_title(meeting), "w": when}
    lines = [
        _("Cuộc họp: %(t)s") % {"t": _public_title(meeting)},
        _("Buổi họp: %(w)s") % {"w": when},
        _("Nhà cung cấp: %(p)s") % {"p": label},
        _("Lỗi: %(m)s") % {"m": message},
        "",
        _("Quorum vẫn đang tự thử lại (thưa dần) cho đến giờ họp; thư này chỉ gửi một lần.") if still_trying
        else _("Quorum đã dừng thử lại."),
        _("Thư ký có thể chọn nhà cung cấp khác (Jitsi hoặc đường link) cho cuộc họp; "
          "quản trị viên kiểm tra cấu hình trong trang quản trị."),
        f"{settings.SITE_URL}/admin/online/onlineroom/{room.pk}/change/",
    ]
    _mail(subject, "\n".join(lines), _secretaries(meeting), admins=True)


def notify_changed_outside(room: OnlineRoom, note: str) -> None:
    meeting = room.occurrence.meeting
    when = timezone.localtime(room.occurrence.start).strftime("%d/%m/%Y %H:%M")
    subject = _("[Quorum] Phòng họp trực tuyến bị sửa ngoài Quorum: %(t)s, %(w)s") % {"t": _public_title(meeting), "w": when}
    _mail(subject, note, _secretaries(meeting))


def _mail(subject: str, body: str, recipients: list[str], *, admins: bool = False) -> None:
    # A mail server problem must not turn into a retried (and duplicated) Zoom call.
    try:
        if recipients:
            send_mail(subject, body, None, recipients)
        if admins:
            mail_admins(subject, body)
    except Exception:
        log.exception("could not send the online-room notice %r", subject)
