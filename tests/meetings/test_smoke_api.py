from tests.factories import at, working_day


def test_secretary_books_a_room_and_reads_it_back(org, api):
    day = working_day(10)
    r = api(org.secretary).post(
        "/api/v1/meetings/",
        {"title": "Giao ban", "organizing_unit": "bvdk", "start": at(day, 8).isoformat(), "end": at(day, 9).isoformat(),
         "rooms": [org.room_a.pk], "attendees": [{"email": "thanhvien@bvdk.vn"}]},
        format="json",
    )
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["status"] == "scheduled"
    assert body["occurrences"][0]["bookings"][0]["room"] == org.room_a.pk
    r2 = api(org.secretary).post(
        "/api/v1/meetings/",
        {"title": "Trùng", "organizing_unit": "bvdk", "start": at(day, 8, 30).isoformat(), "end": at(day, 9, 30).isoformat(),
         "rooms": [org.room_a.pk]},
        format="json",
    )
    assert r2.status_code == 409, r2.json()
    assert r2.json()["conflicts"][0]["room"] == org.room_a.pk
