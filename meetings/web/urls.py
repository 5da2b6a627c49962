from django.urls import path

from meetings.web import composer, detail, lists

urlpatterns = [
    path("", lists.meeting_list, name="meeting_list"),
    path("new/", composer.composer, name="composer"),
    path("new/rooms/", composer.rooms_partial, name="composer_rooms"),
    path("new/checks/", composer.checks_partial, name="composer_checks"),
    path("new/people/", composer.people_partial, name="composer_people"),
    path("new/rows/", composer.rows_partial, name="composer_rows"),
    path("<uuid:uid>/", detail.meeting_detail, name="meeting_detail"),
    path("<uuid:uid>/edit/", composer.edit, name="meeting_edit"),
    path("<uuid:uid>/move/", detail.meeting_move, name="meeting_move"),
    path("<uuid:uid>/move/check/", detail.meeting_move_check, name="meeting_move_check"),
    path("<uuid:uid>/cancel/", detail.meeting_cancel, name="meeting_cancel"),
    path("<uuid:uid>/publish/", detail.meeting_publish, name="meeting_publish"),
    path("<uuid:uid>/deliveries/", detail.meeting_deliveries, name="meeting_deliveries"),
    path("<uuid:uid>/remind/", detail.meeting_remind, name="meeting_remind"),
    path("<uuid:uid>/online/retry/", detail.meeting_online_retry, name="meeting_online_retry"),
]
