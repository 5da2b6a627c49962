"""The navigation bar: what each role needs, built once per request from URL names.

Items whose URL name is not (yet) registered are left out, so each page adds itself to the
bar by having its URL name listed here and nothing else changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from meetings import permissions
from meetings.models import Membership


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: Any
    allowed: Callable[[Any], bool]


def _books(user: Any) -> bool:
    return permissions.is_system_admin(user) or bool(
        permissions.unit_ids(user, [Membership.Role.SECRETARY, Membership.Role.UNIT_ADMIN])
    )


def _admins_rooms(user: Any) -> bool:
    return permissions.is_system_admin(user) or bool(permissions.unit_ids(user, [Membership.Role.UNIT_ADMIN]))


def _uses_archive(user: Any) -> bool:
    # The archive app's own rule (leaders of a unit, department-wide roles), so the bar never
    # offers a page that answers 403.
    from archive.permissions import can_use_archive

    return can_use_archive(user)


def _anyone(user: Any) -> bool:
    return True


NAV: list[NavItem] = [
    NavItem("my_meetings", _("Cuộc họp của tôi"), _anyone),
    NavItem("calendar", _("Lịch"), _anyone),
    NavItem("composer", _("Đặt lịch họp"), _books),
    NavItem("meeting_list", _("Cuộc họp"), _books),
    NavItem("rooms", _("Phòng"), _anyone),
    NavItem("room_queue", _("Duyệt phòng"), _admins_rooms),
    NavItem("minutes_index", _("Biên bản"), _anyone),
    # Action items: "my" list, which links to the unit's list (archive/actions.html).
    NavItem("my_actions", _("Việc của tôi"), _anyone),
    # The archive page links to the dashboard, the unit's actions and the export.
    NavItem("archive", _("Lưu trữ"), _uses_archive),
]


# Badges (e.g. waiting room requests) are registered by the app that owns the page:
# BADGES["room_queue"] = callable(user) -> int.
BADGES: dict[str, Callable[[Any], int]] = {}

# Pages reached through an item's page keep that item marked as the current one.
CURRENT_ALSO: dict[str, set[str]] = {
    "my_actions": {"unit_actions"},
    "archive": {"archive_document", "archive_export", "archive_export_status", "dashboard"},
}


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    current = getattr(getattr(request, "resolver_match", None), "url_name", None)
    for item in NAV:
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        if not item.allowed(user):
            continue
        badge = BADGES.get(item.url_name)
        items.append(
            {"url": url, "label": item.label, "current": current == item.url_name or current in CURRENT_ALSO.get(item.url_name, ()),
             "badge": badge(user) if badge else 0}
        )
    return {"nav_items": items}
