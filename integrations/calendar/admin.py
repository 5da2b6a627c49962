from django.contrib import admin

from integrations.calendar.models import (
    Delivery,
    FeedToken,
    InboundReply,
    Reminder,
    ReminderSetting,
)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["meeting", "attendee", "kind", "sequence", "scope", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status", "kind"]
    search_fields = ["attendee__email", "meeting__title", "uid"]
    raw_id_fields = ["attendee", "meeting", "occurrence"]
    readonly_fields = ["message_id", "created_at", "sent_at", "locked_until"]


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ["attendee", "occurrence", "kind", "status", "sent_at"]
    list_filter = ["kind", "status"]
    raw_id_fields = ["attendee", "occurrence"]


@admin.register(ReminderSetting)
class ReminderSettingAdmin(admin.ModelAdmin):
    list_display = ["unit", "day_before", "day_before_at", "minutes_before"]


@admin.register(InboundReply)
class InboundReplyAdmin(admin.ModelAdmin):
    list_display = ["received_at", "attendee_email", "uid", "partstat", "sequence", "outcome"]
    list_filter = ["outcome"]
    search_fields = ["attendee_email", "uid", "sender"]
    raw_id_fields = ["attendee", "meeting"]


@admin.register(FeedToken)
class FeedTokenAdmin(admin.ModelAdmin):
    list_display = ["owner", "kind", "unit", "room", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["kind"]
    raw_id_fields = ["owner", "unit", "room"]
    readonly_fields = ["token_hash"]
