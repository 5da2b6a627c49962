"""The provider interface every online-room integration implements, and their registry.

A provider turns a RoomSpec (what one occurrence needs) into a RoomInfo (what exists at
the provider). create/update/delete are called outside any database transaction, may be
retried, and must be idempotent: delete of something already gone succeeds, and
`find()` lets a create that timed out be adopted instead of repeated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from django.conf import settings

if TYPE_CHECKING:
    from accounts.models import User
    from integrations.online.models import OnlineRoom
    from meetings.models import Attendee, Meeting, Occurrence


class ProviderError(Exception):
    """A provider call failed. `temporary` errors are retried (after `retry_after`
    seconds if known); `configuration` errors need an administrator."""

    def __init__(
        self,
        message: str,
        *,
        temporary: bool = False,
        configuration: bool = False,
        retry_after: float | None = None,
        gone: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.temporary = temporary
        self.configuration = configuration
        self.retry_after = retry_after
        self.gone = gone


@dataclass
class RoomSpec:
    """What one occurrence needs from the provider. `fingerprint()` is what we compare
    with the last synced state to decide whether an update is needed."""

    key: str  # stable reference of the OnlineRoom row (idempotency marker)
    topic: str
    start: datetime
    end: datetime
    host: str = ""  # provider account that hosts it (Zoom user id), if any
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def duration_minutes(self) -> int:
        return max(1, int((self.end - self.start).total_seconds() // 60))

    def fingerprint(self) -> dict[str, Any]:
        from datetime import UTC

        return {
            "topic": self.topic,
            "start": self.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "duration": self.duration_minutes,
            "host": self.host,
            "details": self.details,
        }


@dataclass
class RoomInfo:
    external_id: str = ""
    join_url: str = ""
    passcode: str = ""
    dial_in: str = ""
    host: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class Provider(Protocol):
    key: str
    label: str
    capabilities: frozenset[str]  # "webhooks", "attendance", "passcode", "dial_in", "host_pool", "jwt"

    def unavailable_reason(self, subject: Any = None) -> str | None:
        """Why this provider cannot be chosen now (not configured…), or None."""

    def validate(self, details: dict[str, Any], subject: Any) -> dict[str, Any]:
        """Check and normalise what the secretary typed; raise ActionError."""

    def reserve(self, room: OnlineRoom, occurrence: Occurrence, meeting: Meeting) -> None:
        """Inside the meeting's transaction: take what the room needs (a host licence)."""

    def release(self, room: OnlineRoom) -> None:
        """Inside a transaction: give back what reserve() took."""

    def spec_host(self, room: OnlineRoom) -> str: ...

    def spec_details(self, occurrence: Occurrence, meeting: Meeting) -> dict[str, Any]: ...

    def create(self, spec: RoomSpec, remember: Any) -> RoomInfo:
        """Create the room. Call `remember(external_id)` as soon as the id is known."""

    def find(self, spec: RoomSpec) -> RoomInfo | None:
        """A room created earlier for spec.key whose answer was lost, or None."""

    def update(self, room: OnlineRoom, spec: RoomSpec, previous: dict[str, Any]) -> RoomInfo: ...

    def delete(self, room: OnlineRoom) -> None: ...

    def join_link(self, room: OnlineRoom, attendee: Attendee | None) -> str: ...

    def host_link(self, room: OnlineRoom, user: User) -> str: ...


class BaseProvider:
    """Defaults for providers without an API or a host pool."""

    key = ""
    label = ""
    capabilities: frozenset[str] = frozenset()

    def unavailable_reason(self, subject: Any = None) -> str | None:
        return None

    def validate(self, details: dict[str, Any], subject: Any) -> dict[str, Any]:
        return {}

    def reserve(self, room: OnlineRoom, occurrence: Occurrence, meeting: Meeting) -> None:
        return None

    def release(self, room: OnlineRoom) -> None:
        return None

    def spec_host(self, room: OnlineRoom) -> str:
        return ""

    def spec_details(self, occurrence: Occurrence, meeting: Meeting) -> dict[str, Any]:
        return {}

    def find(self, spec: RoomSpec) -> RoomInfo | None:
        return None

    def delete(self, room: OnlineRoom) -> None:
        return None

    def join_link(self, room: OnlineRoom, attendee: Attendee | None) -> str:
        return room.join_url

    def host_link(self, room: OnlineRoom, user: User) -> str:
        return room.join_url


_providers: dict[str, Provider] = {}


def register(provider: Provider) -> None:
    _providers[provider.key] = provider


def get(key: str) -> Provider | None:
    return _providers.get(key)


def provider_keys() -> list[str]:
    return sorted(_providers)


def default_key() -> str:
    return settings.ONLINE_DEFAULT_PROVIDER
