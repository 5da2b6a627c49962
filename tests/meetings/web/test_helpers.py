"""The helpers the composer and the meeting page share (meetings/web/helpers.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django import forms

from meetings.actions import ActionError
from meetings.booking import BookingConflict, Clash
from meetings.web.helpers import chosen_occurrence, put_action_error
from tests.factories import at, working_day
from tests.meetings.conftest import book

pytestmark = pytest.mark.django_db


class _Form(forms.Form):
    start = forms.CharField(required=False)
    rooms = forms.CharField(required=False)


def test_clashes_go_next_to_the_clash_field_ten_at_most_then_a_count(org):
    form = _Form({})
    form.is_valid()
    day = working_day(10)
    clashes = [Clash(at(day, 9) + timedelta(days=7 * i), org.room_a, "đã có lịch") for i in range(12)]
    put_action_error(form, BookingConflict(clashes), clash_field="rooms", fields={})
    assert len(form.errors["rooms"]) == 11 and form.errors["rooms"][-1] == "… và 2 xung đột khác."


def test_other_refusals_go_next_to_their_mapped_field_or_on_the_form():
    form = _Form({})
    form.is_valid()
    put_action_error(form, ActionError("Giờ không hợp lệ.", "end"), clash_field="rooms", fields={"end": "start"})
    put_action_error(form, ActionError("Không được.", "nowhere"), clash_field="rooms", fields={"nowhere": "missing"})
    assert form.errors["start"] == ["Giờ không hợp lệ."]
    assert form.non_field_errors() == ["Không được."]


def test_the_chosen_sitting_is_one_of_the_given_ones_or_the_fallback(org):
    day = working_day(10)
    meeting = book(org.secretary, org.hospital, at(day, 9), at(day, 10), [org.room_a])
    occ = meeting.occurrences.get()
    assert chosen_occurrence(meeting.occurrences.all(), {"occurrence": str(occ.pk)}) == occ
    assert chosen_occurrence(meeting.occurrences.none(), {"occurrence": str(occ.pk)}) is None
    assert chosen_occurrence(meeting.occurrences.all(), {"occurrence": "x"}) is None
    assert chosen_occurrence(meeting.occurrences.all(), {}, otherwise=meeting.occurrences.all()) == occ
