"""The online-room check plugged into meetings.hooks.online_validators."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from integrations.online import registry
from meetings import hooks


def validate(provider: str, details: dict[str, Any], subject: Any) -> dict[str, Any]:
    """Refuse an unknown or unusable provider; let the provider normalise its details.

    `subject` is the MeetingInput being created or the Meeting being changed."""
    from meetings.actions import ActionError

    key = provider or getattr(subject.organizing_unit, "default_online_provider", "") or registry.default_key()
    chosen = registry.get(key)
    if chosen is None:
        raise ActionError(
            _("Nhà cung cấp phòng họp trực tuyến “%(p)s” không hợp lệ. Hãy chọn một trong: %(k)s.")
            % {"p": key, "k": ", ".join(registry.provider_keys())},
            "online_provider",
        )
    reason = chosen.unavailable_reason(subject)
    if reason:
        raise ActionError(reason, "online_provider")
    return chosen.validate(details or {}, subject)


def register() -> None:
    if validate not in hooks.online_validators:
        hooks.online_validators.append(validate)
