"""The named writes of Quorum. Each one validates, locks what it changes, books rooms
through the engine, records the audit trail and queues side effects in the outbox, all
in one transaction. Views and commands call these; nothing else writes meetings.
"""

from meetings.actions.approvals import (
    Decision,
    approve_booking,
    decide_bookings,
    overlapping_requests,
    reject_booking,
)
from meetings.actions.cancel import cancel_meeting
from meetings.actions.changes import update_meeting
from meetings.actions.common import (
    NOTIFIABLE,
    OCCURRENCE_FIELDS,
    SERIES_FIELDS,
    ActionError,
    AttendeeInput,
    Forbidden,
    MeetingInput,
    RoomChoice,
    Scope,
    check_attendees,
    check_rooms,
    check_skip,
    check_times,
    check_urgency,
    expected_per_room,
)
from meetings.actions.create import create_meeting, publish_meeting, release_draft_rooms
from meetings.actions.housekeeping import mark_past_occurrences_held

__all__ = [
    "NOTIFIABLE",
    "OCCURRENCE_FIELDS",
    "SERIES_FIELDS",
    "ActionError",
    "AttendeeInput",
    "Decision",
    "Forbidden",
    "MeetingInput",
    "RoomChoice",
    "Scope",
    "approve_booking",
    "cancel_meeting",
    "check_attendees",
    "check_rooms",
    "check_skip",
    "check_times",
    "check_urgency",
    "create_meeting",
    "decide_bookings",
    "expected_per_room",
    "mark_past_occurrences_held",
    "overlapping_requests",
    "publish_meeting",
    "reject_booking",
    "release_draft_rooms",
    "update_meeting",
]
