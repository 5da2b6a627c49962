"""Archive search: diacritic-insensitive (FTS5 on SQLite, unaccent + GIN on PostgreSQL), ranked,
highlighted, filtered; confidential minutes never leak; bad queries get a clear message."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from meetings.models import Meeting, Membership
from tests.archive.conftest import client_for, issue, make_meeting
from tests.factories import make_user


@pytest.fixture
def archive(org, briefing, confidential):
    normal = issue(org, briefing.occurrence, text="Cuộc họp giao ban tuần: triển khai tiêm chủng.",
                   conclusion="Họp giao ban hằng tuần vào thứ Hai.")
    other = make_meeting(org, "Rà soát công tác dược", ahead=6, room=org.room_b)
    pharmacy = issue(org, other, text="Kiểm kê kho thuốc.", conclusion="Bổ sung thuốc thiết yếu.",
                     action="Lập dự trù vắc-xin sởi")
    secret = issue(org, confidential.occurrence, text="Nhân sự: họp giao ban mật về bổ nhiệm.",
                   conclusion="Đề xuất bổ nhiệm Trưởng khoa Nội.")
    return {"normal": normal, "pharmacy": pharmacy, "secret": secret}


def search(user, **params):
    return client_for(user).get("/archive/", params)


@pytest.mark.parametrize("q", ["hop giao ban", "họp giao ban", "HỌP GIAO BAN", "Hop Giao Ban"])
def test_finds_with_and_without_diacritics(org, archive, q):
    body = search(org.leader, q=q).content.decode()
    assert "Giao ban bệnh viện" in body
    assert "Rà soát công tác dược" not in body
    assert "<mark>họp</mark> <mark>giao</mark> <mark>ban</mark>" in body.lower()


def test_search_covers_conclusions_and_action_items(org, archive):
    assert "Rà soát công tác dược" in search(org.leader, q="thuoc thiet yeu").content.decode()  # conclusion
    body = search(org.leader, q="du tru vac xin").content.decode()  # action item
    assert "Rà soát công tác dược" in body and "Giao ban bệnh viện" not in body


def test_confidential_title_count_and_snippet_never_reach_another_units_leader(org, archive):
    cdc_leader = make_user("lanhdao@cdc.vn", org.cdc, Membership.Role.LEADER, full_name="Lãnh Đạo CDC")
    hospital_leader_body = search(org.leader, q="bo nhiem").content.decode()
    # The hospital's own leader is not invited to the confidential meeting: not shown either.
    assert "Họp mật" not in hospital_leader_body and "bổ nhiệm" not in hospital_leader_body
    assert "0 biên bản" in hospital_leader_body
    for user in (cdc_leader,):
        body = search(user, q="hop giao ban").content.decode()
        assert "Họp mật" not in body and "bổ nhiệm" not in body and "Giao ban bệnh viện" not in body
        assert "0 biên bản" in body
        api = client_for(user).get("/api/v1/archive/", {"q": "bo nhiem"}).json()
        assert api["count"] == 0 and api["results"] == []
    # Department leaders (and the invitee through the minutes) see it.
    body = search(org.dept_leader, q="bo nhiem").content.decode()
    assert "Họp mật" in body and "<mark>bổ</mark> <mark>nhiệm</mark>" in body


def test_filters_by_unit_chair_period_status_and_sensitivity(org, archive):
    leader = org.dept_leader
    normal = archive["normal"]
    assert "Giao ban bệnh viện" in search(leader, unit=org.hospital.pk).content.decode()
    assert "Giao ban bệnh viện" not in search(leader, unit=org.cdc.pk).content.decode()
    assert "Họp mật" in search(leader, chair=org.dept_leader.pk).content.decode()
    assert "Giao ban bệnh viện" not in search(leader, chair=org.dept_leader.pk).content.decode()
    day = normal.meeting_date.isoformat()
    assert "Giao ban bệnh viện" in search(leader, date_from=day, date_to=day).content.decode()
    assert "Giao ban bệnh viện" not in search(leader, date_to="2000-01-01").content.decode()
    assert "Họp mật" in search(leader, sensitivity=Meeting.Sensitivity.CONFIDENTIAL).content.decode()
    assert "Giao ban bệnh viện" not in search(leader, sensitivity=Meeting.Sensitivity.CONFIDENTIAL).content.decode()
    assert "Giao ban bệnh viện" in search(leader, status="on_time").content.decode()
    assert "Giao ban bệnh viện" not in search(leader, status="late").content.decode()


def test_results_are_ranked(org, archive):
    body = search(org.dept_leader, q="giao ban").content.decode()
    # "giao ban" appears in the title, text and conclusion of the briefing: ranked first.
    assert body.index("Giao ban bệnh viện") < body.index("Họp mật")


@pytest.mark.parametrize("q", ['"họp" OR giao', "ban*", "title:họp", "(họp)", "x" * 10_000])
def test_operators_and_huge_queries_get_a_clear_message(org, archive, q):
    response = search(org.leader, q=q)
    assert response.status_code == 400
    body = response.content.decode()
    assert ("không nhận toán tử" in body) or ("tối đa 200 ký tự" in body)
    api = client_for(org.leader).get("/api/v1/archive/", {"q": q})
    assert api.status_code == 400 and api.json()["message"].startswith("q: ")


def test_api_search_and_plain_dates_in_local_time(org, archive):
    normal = archive["normal"]
    day = normal.meeting_date.isoformat()
    data = client_for(org.leader).get("/api/v1/archive/", {"q": "hop giao ban", "from": day, "to": day}).json()
    assert data["count"] == 1 and data["results"][0]["code"] == normal.code
    assert "<mark>" in data["results"][0]["snippet_html"]
    bad = client_for(org.leader).get("/api/v1/archive/", {"from": "30/11/2026"})
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.content.decode()


def test_archive_is_for_leaders(org, archive):
    assert search(org.member).status_code == 403
    assert search(org.secretary).status_code == 403
    assert client_for(org.member).get("/api/v1/archive/").status_code == 403


def test_archive_query_count_does_not_grow_with_results(org, archive, django_assert_max_num_queries):
    c = client_for(org.dept_leader)
    c.get("/archive/", {"q": "hop"})  # warm caches (session, content types)
    with CaptureQueriesContext(connection) as few:
        assert c.get("/archive/").status_code == 200
    for i in range(3):
        occ = make_meeting(org, f"Giao ban bổ sung {i}", ahead=7 + i, room=org.room_a)
        issue(org, occ)
    c.get("/archive/")  # new documents renew the cached list of chairs once
    with CaptureQueriesContext(connection) as more:
        assert c.get("/archive/").status_code == 200
    assert len(more) == len(few)
    # Session, user, roles, units, chairs (latest id + cache), capped count, ranked page ids,
    # the page's rows, and the audit entry of the search; on PostgreSQL the search runs in a
    # transaction with its planner setting (BEGIN or SAVEPOINT, SET LOCAL, COMMIT or RELEASE).
    with django_assert_max_num_queries(10 + (3 if connection.vendor == "postgresql" else 0)):
        c.get("/archive/", {"q": "hop giao ban", "unit": org.hospital.pk})


def test_search_table_follows_every_change_of_the_documents(org, briefing):
    """Triggers keep archive_searchentry in step: issue, sign (an ORM update), unissued drafts."""
    from django.utils import timezone

    from archive.models import IssuedDocument, SearchEntry
    from minutes import actions, workflow

    doc = issue(org, briefing.occurrence)
    entry = SearchEntry.objects.get(document=doc)
    assert (entry.unit_id, entry.chair_id, entry.meeting_date, entry.is_current, entry.on_time) == (
        doc.unit_id, doc.chair_id, doc.meeting_date, True, doc.on_time)
    assert entry.meeting_id == briefing.meeting.pk and entry.signed_at is None
    IssuedDocument.objects.filter(pk=doc.pk).update(signed_at=timezone.now())
    assert SearchEntry.objects.get(document=doc).signed_at is not None
    other = make_meeting(org, "Chưa ban hành", ahead=6, room=org.room_b)
    minutes = actions.ensure_minutes(other)
    actions.add_conclusion(org.secretary, minutes, "Kết luận.")
    workflow.submit(org.secretary, minutes)
    approved = workflow.approve(org.leader, minutes)  # approved, not issued: not in the archive
    assert not SearchEntry.objects.filter(document=approved).exists()


def test_pages_rank_the_newest_matches_then_go_on_newest_first_and_the_count_stops(org, monkeypatch):
    from archive import queries
    from archive import search as engine

    monkeypatch.setattr(engine, "RANK_WINDOW", 2)
    monkeypatch.setattr(engine, "COUNT_CAP", 3)
    docs = []
    for i in range(5):  # i = 0 is the oldest meeting
        text = "giao ban " * (6 if i == 3 else 1) + "tình hình chung"
        docs.append(issue(org, make_meeting(org, f"Họp số {i}", ahead=5 + i, room=org.room_a), text=text))
    terms = ["giao", "ban"]
    qs = queries.filtered(org.dept_leader, {}, terms)
    order = [i for offset in range(5) for i in engine.page_ids(qs, terms, offset, 1)]
    assert order == engine.page_ids(qs, terms, 0, 5)  # pages agree with one long page
    by_id = {d.pk: n for n, d in enumerate(docs)}
    # The two newest are ranked (no. 3 says "giao ban" six times), then newest first.
    assert [by_id[i] for i in order] == [3, 4, 2, 1, 0]
    assert engine.capped_count(qs) == (3, True)
    page, capped = queries.paginate(qs, terms, 20, 1)
    assert capped and page.paginator.count == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
@pytest.mark.parametrize("path", ["/archive/", "/api/v1/archive/"])
def test_searches_are_planned_for_their_words_unit_and_period(org, archive, path, monkeypatch):
    """Prepared after five runs, the search's statements got a generic plan made without the
    words and dates: a 90-day search of 100,000 documents took 50 ms of SQL instead of 4
    (bench/archive.py). Both search routes must run them unprepared."""
    from archive import queries

    seen = []
    real = queries.paginate

    def spy(*args, **kwargs):
        seen.append(connection.connection.prepare_threshold)
        return real(*args, **kwargs)

    monkeypatch.setattr(queries, "paginate", spy)
    response = client_for(org.leader).get(path, {"q": "giao ban", "date_from": "2026-01-01", "from": "2026-01-01"})
    assert response.status_code == 200
    assert seen == [None]
