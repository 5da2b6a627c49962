"""Extension points the integrations plug into (from their AppConfig.ready()).

- `online_validators`: called with (provider, details, meeting_input_or_meeting) when a
  meeting is created or its online room changes. Raise `meetings.actions.ActionError`
  to refuse (unknown provider, a `link` room without a URL, ...). Returns normalised details.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

OnlineValidator = Callable[[str, dict[str, Any], Any], dict[str, Any] | None]

online_validators: list[OnlineValidator] = []


def validate_online(provider: str, details: dict[str, Any], subject: Any) -> dict[str, Any]:
    """Run every registered validator; the last normalised result wins."""
    result = dict(details)
    for validator in online_validators:
        normalised = validator(provider, result, subject)
        if normalised is not None:
            result = normalised
    return result
