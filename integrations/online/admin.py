from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from integrations.online.models import Attendance, OnlineRoom, UnitOnlinePolicy


@admin.register(OnlineRoom)
class OnlineRoomAdmin(admin.ModelAdmin):
    """Every online room with its state; failures (with the reason) filter to the top."""

    list_display = ("occurrence", "provider", "state", "reason", "external_id", "host", "attempts", "changed_outside", "updated_at")
    list_filter = ("state", "provider", "live_status")
    search_fields = ("occurrence__meeting__title", "external_id", "host", "reason")
    list_select_related = ("occurrence__meeting",)
    actions = ["retry"]
    readonly_fields = [f.name for f in OnlineRoom._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Thử lại (đưa về trạng thái đang chuẩn bị)"))
    def retry(self, request: HttpRequest, queryset: QuerySet[OnlineRoom]) -> None:
        with transaction.atomic():
            n = queryset.filter(state=OnlineRoom.State.FAILED).update(
                state=OnlineRoom.State.PENDING, revision=F("revision") + 1, next_attempt_at=timezone.now(),
                attempts=0, failure_notified_at=None,
            )
        self.message_user(
            request,
            gettext("Số phòng sẽ được thử lại trong vài phút: %(n)d.") % {"n": n},
            messages.SUCCESS,
        )


@admin.register(Attendance)
class AttendanceAdmin(admin.ModelAdmin):
    list_display = ("occurrence", "attendee", "guest_name", "guest_email", "source", "joined_at", "left_at")
    list_filter = ("source",)
    search_fields = ("attendee__email", "guest_name", "guest_email")
    raw_id_fields = ("occurrence", "attendee")


@admin.register(UnitOnlinePolicy)
class UnitOnlinePolicyAdmin(admin.ModelAdmin):
    list_display = ("unit", "fallback_provider")
    raw_id_fields = ("unit",)
