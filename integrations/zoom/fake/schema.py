"""JSON Schemas for the request bodies the fake accepts, written from Zoom's API reference
(Meetings: meetingCreate POST /users/{userId}/meetings, meetingUpdate PATCH /meetings/{id}).

zoomus leaks its path parameters into bodies (`user_id` on create, `id` on update); Zoom
tolerates that, so the schemas do too. Anything else unknown is refused, as a strict
check of what Quorum sends."""

from __future__ import annotations

from typing import Any

START_TIME = {
    "type": "string",
    # "Z" = UTC; without it the time is local to `timezone`.
    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z?$",
}

SETTINGS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "host_video": {"type": "boolean"},
        "participant_video": {"type": "boolean"},
        "join_before_host": {"type": "boolean"},
        "jbh_time": {"enum": [0, 5, 10, 15]},
        "waiting_room": {"type": "boolean"},
        "mute_upon_entry": {"type": "boolean"},
        "auto_recording": {"enum": ["local", "cloud", "none"]},
        "alternative_hosts": {"type": "string"},
        "alternative_hosts_email_notification": {"type": "boolean"},
        "approval_type": {"enum": [0, 1, 2]},
        "meeting_authentication": {"type": "boolean"},
        "email_notification": {"type": "boolean"},
        "audio": {"enum": ["both", "telephony", "voip", "thirdParty"]},
        "use_pmi": {"type": "boolean"},
        "private_meeting": {"type": "boolean"},
        "encryption_type": {"enum": ["enhanced_encryption", "e2ee"]},
    },
    "additionalProperties": False,
}

_FIELDS: dict[str, Any] = {
    "topic": {"type": "string", "maxLength": 200},
    "type": {"enum": [1, 2, 3, 8]},
    "start_time": START_TIME,
    "duration": {"type": "integer", "minimum": 1, "maximum": 1440},
    "timezone": {"type": "string", "minLength": 1},
    "password": {"type": "string", "maxLength": 10, "pattern": r"^[a-zA-Z0-9@_*-]*$"},
    "default_password": {"type": "boolean"},
    "agenda": {"type": "string", "maxLength": 2000},
    "schedule_for": {"type": "string"},
    "pre_schedule": {"type": "boolean"},
    "template_id": {"type": "string"},
    "recurrence": {"type": "object"},
    "tracking_fields": {"type": "array"},
    "settings": SETTINGS,
}

CREATE: dict[str, Any] = {
    "type": "object",
    "properties": {**_FIELDS, "user_id": {"type": "string"}},
    "required": ["topic", "type"],
    "additionalProperties": False,
    # A scheduled meeting needs its time and length.
    "if": {"properties": {"type": {"const": 2}}},
    "then": {"required": ["start_time", "duration"]},
}

UPDATE: dict[str, Any] = {
    "type": "object",
    "properties": {**_FIELDS, "id": {"type": ["string", "integer"]}},
    "additionalProperties": False,
}
