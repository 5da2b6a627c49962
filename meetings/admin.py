from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from meetings.models import (
    Attendee,
    AuditEntry,
    Booking,
    CalendarDay,
    Equipment,
    Meeting,
    MeetingRoom,
    Membership,
    Occurrence,
    OutboxMessage,
    Room,
    Unit,
)


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["code", "short_name", "name", "kind", "parent", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name", "short_name"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "unit", "role"]
    list_filter = ["role", "unit"]
    search_fields = ["user__email", "user__full_name", "unit__short_name"]
    autocomplete_fields = ["user", "unit"]


@admin.register(Equipment)
class EquipmentAdmin(admin.ModelAdmin):
    list_display = ["slug", "name"]
    search_fields = ["slug", "name"]


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["name", "unit", "capacity", "location", "requires_approval", "shared", "is_active"]
    list_filter = ["unit", "requires_approval", "shared", "is_active", "equipment"]
    search_fields = ["name", "location", "unit__short_name"]
    filter_horizontal = ["equipment"]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class OccurrenceInline(ReadOnlyInline):
    model = Occurrence
    fields = ["index", "recurrence_id", "start", "end", "status", "is_exception", "in_series"]


class AttendeeInline(ReadOnlyInline):
    model = Attendee
    fields = ["email", "name", "unit", "role", "rsvp", "is_active"]


class MeetingRoomInline(ReadOnlyInline):
    model = MeetingRoom
    fields = ["room", "expected_attendees"]


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    """Read-mostly: meetings change through the actions (API/UI) so that rooms, invitations
    and the audit trail stay consistent."""

    list_display = ["title", "organizing_unit", "start", "mode", "status", "sensitivity", "is_urgent"]
    list_filter = ["status", "mode", "sensitivity", "organizing_unit"]
    search_fields = ["title", "uid"]
    date_hierarchy = "start"
    inlines = [MeetingRoomInline, AttendeeInline, OccurrenceInline]
    readonly_fields = [f.name for f in Meeting._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ["room", "start", "end", "status", "occurrence"]
    list_filter = ["status", "room__unit"]
    readonly_fields = [f.name for f in Booking._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The trail: filter by action, object type, date and actor; export what is selected
    (or everything matching the filters, via "select all") as CSV. Nothing is editable."""

    list_display = ["at", "actor_name", "actor_email", "action", "object_type", "object_repr", "ip"]
    list_filter = ["action", "object_type", ("at", admin.DateFieldListFilter)]
    search_fields = ["object_repr", "object_id", "actor_email", "actor_name", "action", "ip"]
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEntry._meta.fields]
    list_select_related = False
    actions = ["export_csv"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    @admin.action(description=_("Xuất CSV các mục đã chọn"), permissions=["view"])
    def export_csv(self, request, queryset):  # type: ignore[no-untyped-def]
        from meetings.audit_export import csv_response

        return csv_response(request, queryset)


@admin.register(OutboxMessage)
class OutboxAdmin(admin.ModelAdmin):
    list_display = ["id", "topic", "meeting", "status", "attempts", "available_at", "last_error"]
    list_filter = ["status", "topic"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
