from __future__ import annotations

from django.contrib import admin

from integrations.zoom.models import HostAllocation, HostUsage, WebhookEvent, ZoomHostAccount


@admin.register(ZoomHostAccount)
class ZoomHostAccountAdmin(admin.ModelAdmin):
    list_display = ("zoom_user_id", "email", "unit", "is_active")
    list_filter = ("is_active", "unit")
    search_fields = ("zoom_user_id", "email")


@admin.register(HostAllocation)
class HostAllocationAdmin(admin.ModelAdmin):
    list_display = ("host", "occurrence", "blocked_start", "blocked_end", "active")
    list_filter = ("active", "host")
    raw_id_fields = ("occurrence",)
    readonly_fields = ("host", "occurrence", "blocked_start", "blocked_end", "active", "created_at")

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(HostUsage)
class HostUsageAdmin(admin.ModelAdmin):
    list_display = ("host", "day", "count")
    list_filter = ("day",)


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ("event", "received_at", "processed_at", "result")
    list_filter = ("event",)
    readonly_fields = ("dedupe_key", "event", "event_ts", "payload", "received_at", "processed_at", "result")
