"""What the invitation machinery remembers: one row per message to a person (so no
SEQUENCE is mailed twice), reminders claimed before sending, answers per occurrence,
incoming iTIP replies, per-unit reminder settings and hashed feed tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import time

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from meetings.models import Attendee, Meeting, Occurrence, Room, Unit


class DeliveryQuerySet(models.QuerySet["Delivery"]):
    def due(self, now):  # type: ignore[no-untyped-def]
        return self.filter(
            Q(status=Delivery.Status.QUEUED, available_at__lte=now)
            | Q(status=Delivery.Status.SENDING, locked_until__lt=now)
        )


class Delivery(models.Model):
    """One iMIP message to one attendee. The unique key (attendee, uid, scope, kind,
    sequence) is what makes sending idempotent: a retried handler finds the row, and a
    second worker loses the conditional claim."""

    class Kind(models.TextChoices):
        REQUEST = "request", _("Giấy mời / cập nhật")
        CANCEL = "cancel", _("Hủy")
        UNINVITE = "uninvite", _("Rút khỏi thành phần mời")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Đang chờ gửi")
        SENDING = "sending", _("Đang gửi")
        SENT = "sent", _("Đã gửi")
        FAILED = "failed", _("Gửi lỗi")
        SUPERSEDED = "superseded", _("Đã có bản mới hơn")

    attendee = models.ForeignKey(Attendee, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("người được mời"))
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("cuộc họp"))
    uid = models.CharField(_("mã UID"), max_length=64)
    # "" for the series, "occ:<id>" for one occurrence (RECURRENCE-ID).
    scope = models.CharField(_("phạm vi"), max_length=40, blank=True, default="")
    occurrence = models.ForeignKey(Occurrence, null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("buổi họp"))
    kind = models.CharField(_("loại"), max_length=20, choices=Kind.choices)
    sequence = models.PositiveIntegerField(_("số thứ tự cập nhật (SEQUENCE)"))
    # The Version (what attendees are told) this message carries: its number is part of the
    # unique key, since an update at the same SEQUENCE (a rename) is a new message.
    version = models.ForeignKey("Version", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("phiên bản"))
    revision = models.PositiveIntegerField(_("lần sửa"), default=0)
    # True for the first REQUEST a person gets ("Mời họp"), False for updates.
    first = models.BooleanField(_("thư mời đầu tiên"), default=False)
    status = models.CharField(_("trạng thái"), max_length=20, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(_("số lần thử"), default=0)
    available_at = models.DateTimeField(_("xử lý từ"), default=timezone.now)
    locked_until = models.DateTimeField(_("khóa đến"), null=True, blank=True)
    # The sending batch that claimed the row (status "sending"): its later writes are
    # conditional on it, so a batch whose lease ran out cannot overwrite a newer claim.
    claim = models.CharField(_("lượt gửi giữ chỗ"), max_length=32, blank=True, default="", editable=False)
    last_error = models.TextField(_("lỗi gần nhất"), blank=True)
    message_id = models.CharField(_("mã thư (Message-ID)"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)
    sent_at = models.DateTimeField(_("gửi lúc"), null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("thư mời đã gửi")
        verbose_name_plural = _("thư mời đã gửi")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["attendee", "uid", "scope", "kind", "sequence", "revision"], name="invitations_delivery_once_v2"
            )
        ]
        indexes = [
            models.Index(fields=["available_at"], name="invitations_delivery_due",
                         condition=Q(status__in=["queued", "sending"])),
            models.Index(fields=["meeting", "attendee"], name="invitations_delivery_mtg"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} seq {self.sequence} → {self.attendee.email} ({self.status})"

    @property
    def method(self) -> str:
        return "REQUEST" if self.kind == self.Kind.REQUEST else "CANCEL"


class OccurrenceResponse(models.Model):
    """An answer for one occurrence (an iTIP REPLY carrying RECURRENCE-ID)."""

    attendee = models.ForeignKey(Attendee, on_delete=models.CASCADE, related_name="occurrence_responses", verbose_name=_("người được mời"))
    occurrence = models.ForeignKey(Occurrence, on_delete=models.CASCADE, related_name="responses", verbose_name=_("buổi họp"))
    rsvp = models.CharField(_("trả lời"), max_length=20, choices=Attendee.Rsvp.choices)
    comment = models.TextField(_("ghi chú"), blank=True)
    responded_at = models.DateTimeField(_("trả lời lúc"), default=timezone.now)

    class Meta:
        verbose_name = _("trả lời cho một buổi")
        verbose_name_plural = _("trả lời cho một buổi")
        constraints = [
            models.UniqueConstraint(fields=["attendee", "occurrence"], name="invitations_occresponse_once")
        ]

    def __str__(self) -> str:
        return f"{self.attendee} {self.occurrence}: {self.rsvp}"


class InboundReply(models.Model):
    """Every iTIP REPLY read by ingest_replies and what became of it."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("Đã cập nhật")
        OLD_SEQUENCE = "old_sequence", _("Bỏ qua: phiên bản cũ")
        UNKNOWN_ATTENDEE = "unknown_attendee", _("Bỏ qua: người không được mời")
        UNKNOWN_MEETING = "unknown_meeting", _("Bỏ qua: không rõ cuộc họp")
        SENDER_MISMATCH = "sender_mismatch", _("Từ chối: người gửi khác người trả lời")
        CANCELLED = "cancelled", _("Bỏ qua: cuộc họp đã hủy")
        INVALID = "invalid", _("Không đọc được")

    received_at = models.DateTimeField(_("nhận lúc"), default=timezone.now)
    message_id = models.CharField(_("mã thư (Message-ID)"), max_length=300, blank=True)
    sender = models.CharField(_("người gửi"), max_length=300, blank=True)
    uid = models.CharField(_("mã UID"), max_length=255, blank=True)
    attendee_email = models.CharField(_("e-mail người được mời"), max_length=300, blank=True)
    sequence = models.IntegerField(_("SEQUENCE"), null=True, blank=True)
    dtstamp = models.DateTimeField(_("thời điểm trả lời (DTSTAMP)"), null=True, blank=True)
    recurrence_id = models.DateTimeField(_("vị trí trong chuỗi (RECURRENCE-ID)"), null=True, blank=True)
    partstat = models.CharField(_("trả lời (PARTSTAT)"), max_length=30, blank=True)
    outcome = models.CharField(_("kết quả xử lý"), max_length=30, choices=Outcome.choices)
    detail = models.TextField(_("chi tiết"), blank=True)
    attendee = models.ForeignKey(Attendee, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("người được mời"))
    meeting = models.ForeignKey(Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("cuộc họp"))

    class Meta:
        verbose_name = _("thư trả lời (iTIP REPLY)")
        verbose_name_plural = _("thư trả lời (iTIP REPLY)")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.attendee_email} {self.partstat} ({self.outcome})"


class ReminderSetting(models.Model):
    """A unit's reminder policy for the people in it; units without a row use the defaults."""

    unit = models.OneToOneField(Unit, on_delete=models.CASCADE, related_name="reminder_setting", verbose_name=_("đơn vị"))
    day_before = models.BooleanField(_("nhắc ngày hôm trước"), default=True)
    day_before_at = models.TimeField(_("giờ nhắc ngày hôm trước"), default=time(16, 0))
    minutes_before = models.PositiveIntegerField(_("nhắc trước (phút)"), null=True, blank=True, default=30)

    class Meta:
        verbose_name = _("cài đặt nhắc lịch")
        verbose_name_plural = _("cài đặt nhắc lịch")

    def __str__(self) -> str:
        return str(self.unit)


class Reminder(models.Model):
    """Claimed (inserted) before the mail goes out: the unique key is the exactly-once."""

    class Kind(models.TextChoices):
        DAY_BEFORE = "day_before", _("Ngày hôm trước")
        SOON = "soon", _("Sắp diễn ra")

    class Status(models.TextChoices):
        CLAIMED = "claimed", _("Đang gửi")
        SENT = "sent", _("Đã gửi")
        FAILED = "failed", _("Gửi lỗi")

    attendee = models.ForeignKey(Attendee, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("người được mời"))
    occurrence = models.ForeignKey(Occurrence, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("buổi họp"))
    kind = models.CharField(_("loại"), max_length=20, choices=Kind.choices)
    status = models.CharField(_("trạng thái"), max_length=20, choices=Status.choices, default=Status.CLAIMED)
    claimed_at = models.DateTimeField(_("nhận xử lý lúc"), default=timezone.now)
    sent_at = models.DateTimeField(_("gửi lúc"), null=True, blank=True)
    last_error = models.TextField(_("lỗi gần nhất"), blank=True)

    class Meta:
        verbose_name = _("nhắc lịch")
        verbose_name_plural = _("nhắc lịch")
        constraints = [
            models.UniqueConstraint(fields=["attendee", "occurrence", "kind"], name="invitations_reminder_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.attendee} {self.occurrence_id}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class FeedTokenQuerySet(models.QuerySet["FeedToken"]):
    def active(self) -> FeedTokenQuerySet:
        return self.filter(revoked_at__isnull=True, owner__is_active=True)


class FeedToken(models.Model):
    """A subscription URL /feeds/<token>.ics. Only the SHA-256 of the token is stored."""

    class Kind(models.TextChoices):
        PERSONAL = "personal", _("Lịch cá nhân")
        UNIT = "unit", _("Lịch đơn vị")
        ROOM = "room", _("Lịch phòng họp")

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feed_tokens", verbose_name=_("chủ sở hữu"))
    kind = models.CharField(_("loại"), max_length=20, choices=Kind.choices)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("đơn vị"))
    room = models.ForeignKey(Room, null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("phòng họp"))
    token_hash = models.CharField(_("băm mã truy cập"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)
    last_used_at = models.DateTimeField(_("dùng lần cuối"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("thu hồi lúc"), null=True, blank=True)

    objects = FeedTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("đường dẫn đăng ký lịch")
        verbose_name_plural = _("đường dẫn đăng ký lịch")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        target = self.unit or self.room or self.owner
        return f"{self.get_kind_display()}: {target}"

    @classmethod
    def issue(cls, owner, kind: str, unit: Unit | None = None, room: Room | None = None) -> tuple[FeedToken, str]:  # type: ignore[no-untyped-def]
        token = secrets.token_urlsafe(32)
        row = cls.objects.create(owner=owner, kind=kind, unit=unit, room=room, token_hash=hash_token(token))
        return row, token

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])


class FeedFragment(models.Model):
    """A meeting's serialised feed VEVENTs, reused until the meeting changes (a 5,000-event
    feed is a concatenation of stored texts, not 5,000 fresh serialisations). Fresh while
    version, updated_at and sequence equal the meeting's (compared in SQL); renames of rooms,
    units and chairs delete the fragments they appear in (see feeds.names_changed)."""

    meeting = models.OneToOneField(Meeting, on_delete=models.CASCADE, related_name="feed_fragment", verbose_name=_("cuộc họp"))
    version = models.CharField(_("phiên bản"), max_length=20, default="")
    updated_at = models.DateTimeField(_("cập nhật lúc"), null=True)
    sequence = models.PositiveIntegerField(_("SEQUENCE"), default=0)
    full = models.TextField(_("lịch đầy đủ"))
    # The "busy only" variant, rendered the first time a feed needs it.
    busy = models.TextField(_("lịch chỉ báo bận"), blank=True)

    class Meta:
        verbose_name = _("bản dựng lịch")
        verbose_name_plural = _("bản dựng lịch")

    def __str__(self) -> str:
        return f"{self.meeting_id} @ {self.updated_at} seq {self.sequence}"


class Version(models.Model):
    """One real change attendees were told about (or the first invitation): what the
    invitation said then (`snapshot`), what changed since the previous one (`changes`, shown
    in the update e-mail), the SEQUENCE and the DTSTAMP of its messages. Stamps grow by at
    least a second per version, so an update at the same SEQUENCE (a rename) is always newer
    (RFC 5546 §2.1.5), even two changes within one second."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="invitation_versions", verbose_name=_("cuộc họp"))
    number = models.PositiveIntegerField(_("số"))
    sequence = models.PositiveIntegerField(_("SEQUENCE"))
    stamp = models.DateTimeField(_("thời điểm (DTSTAMP)"))
    snapshot = models.JSONField(_("ảnh chụp nội dung"), default=dict)
    changes = models.JSONField(_("thay đổi"), default=list, blank=True)
    # The outbox message planned here: handled again, it plans nothing.
    message_id = models.BigIntegerField(_("mã việc chờ gửi"), null=True, blank=True, unique=True)
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)

    class Meta:
        verbose_name = _("phiên bản giấy mời")
        verbose_name_plural = _("phiên bản giấy mời")
        ordering = ["meeting_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "number"], name="invitations_version_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id} v{self.number} seq {self.sequence}"
