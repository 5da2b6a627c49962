"""A year of demo history for `make run` (called by seed_demo): a few hundred held meetings
across the units, their minutes issued on time, late, or still missing, action items in every
state, and a few signed PDFs (a demo CA and certificate generated here, never committed).

Written with bulk inserts: the whole history takes a few seconds. Documents are frozen through
the real content builder; PDFs are rendered for the most recent ones and on demand for the rest.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from archive import content as doc_content
from archive import pki, render, search, signing
from archive.models import DocumentCounter, IssuedDocument, SigningCertificate
from meetings.models import Attendee, Booking, Meeting, Occurrence, Room, Unit
from meetings.workdays import WorkCalendar
from minutes.models import ActionItem, AttendanceRecord, Conclusion, Minutes, Section

TOPICS = [
    ("Họp giao ban tuần", "Họp giao ban: tình hình khám chữa bệnh, công suất giường bệnh, công tác trực.",
     "Duy trì họp giao ban hằng tuần vào sáng thứ Hai."),
    ("Họp chuyên môn tháng", "Rà soát phác đồ điều trị, ca bệnh khó, sai sót chuyên môn trong tháng.",
     "Cập nhật phác đồ điều trị tăng huyết áp theo hướng dẫn mới của Bộ Y tế."),
    ("Triển khai bệnh án điện tử", "Tiến độ triển khai bệnh án điện tử, kết nối liên thông dữ liệu.",
     "Hoàn thành bệnh án điện tử tại các khoa lâm sàng trong quý."),
    ("Rà soát công tác dược", "Tình hình cung ứng thuốc, vật tư y tế; đấu thầu thuốc tập trung.",
     "Bảo đảm đủ thuốc thiết yếu, không để thiếu thuốc điều trị."),
    ("Kiểm tra công tác tiêm chủng mở rộng", "Tỷ lệ tiêm chủng vắc-xin sởi, bạch hầu; bảo quản dây chuyền lạnh.",
     "Tổ chức tiêm vét cho trẻ chưa tiêm đủ mũi."),
    ("Phòng chống dịch sốt xuất huyết", "Số ca mắc sốt xuất huyết tăng; diệt bọ gậy, phun hóa chất ổ dịch.",
     "Phun hóa chất diệt muỗi tại các ổ dịch trong 48 giờ."),
    ("Sơ kết công tác quý", "Kết quả thực hiện chỉ tiêu kế hoạch, thu chi tài chính, bảo hiểm y tế.",
     "Tiết kiệm chi thường xuyên, tăng thu dịch vụ kỹ thuật."),
    ("Đánh giá chất lượng bệnh viện", "Tự đánh giá theo bộ tiêu chí chất lượng; sự hài lòng người bệnh.",
     "Cải tiến quy trình đón tiếp người bệnh tại khoa Khám bệnh."),
]
ACTIONS = ["Báo cáo số liệu về Sở", "Rà soát quy trình", "Lập kế hoạch triển khai", "Tổ chức tập huấn",
           "Kiểm tra, giám sát tại cơ sở", "Dự trù kinh phí"]


def history(dept: Unit, units: list[Unit], people: dict[str, Any], rng: random.Random, count: int = 300) -> int:
    """Create the history once (skipped when issued documents already exist)."""
    if IssuedDocument.objects.exists():
        return 0
    today = timezone.localdate()
    start = today - timedelta(days=365)
    calendar = WorkCalendar(start, today + timedelta(days=30))
    days = [start + timedelta(days=i) for i in range(365) if calendar.is_working_day(start + timedelta(days=i))]
    days = [d for d in days if d < today - timedelta(days=1)]
    all_units = [dept, *units]
    rooms = defaultdict(list)
    for room in Room.objects.filter(unit__in=all_units, is_active=True).order_by("capacity"):
        rooms[room.unit_id].append(room)
    leaders = {**people["leaders"], dept.code: people["director"]}
    secretaries = {**people["secretaries"], dept.code: people["dept_secretary"]}
    members = people["members"]
    tz = timezone.get_default_timezone()
    used: set[tuple[int, date, int]] = set()
    plan = []
    for i in range(count):
        unit = dept if i % 6 == 0 else rng.choice(units)
        day, hour = rng.choice(days), rng.choice([8, 10, 14])  # 90-minute sittings never overlap
        room = rooms[unit.pk][0] if rooms[unit.pk] else None
        if room is None or (room.pk, day, hour) in used:
            continue
        used.add((room.pk, day, hour))
        topic = TOPICS[i % len(TOPICS)] if unit != dept else TOPICS[0]
        plan.append((unit, day, hour, room, topic))

    with transaction.atomic():
        meetings = []
        for unit, day, hour, _room, topic in plan:
            begin = datetime.combine(day, time(hour), tzinfo=tz)
            mode = rng.choice([Meeting.Mode.IN_PERSON] * 3 + [Meeting.Mode.HYBRID, Meeting.Mode.ONLINE])
            sensitivity = Meeting.Sensitivity.CONFIDENTIAL if rng.random() < 0.04 else Meeting.Sensitivity.NORMAL
            meetings.append(Meeting(
                title=f"{topic[0]} — {unit.short_name}", agenda="1. " + topic[1], organizing_unit=unit,
                chair=leaders.get(unit.code), created_by=secretaries.get(unit.code), start=begin,
                end=begin + timedelta(hours=1, minutes=30), mode=mode, status=Meeting.Status.HELD,
                sensitivity=sensitivity, online_provider="jitsi" if mode != Meeting.Mode.IN_PERSON else "",
                created_at=begin - timedelta(days=7)))
        Meeting.objects.bulk_create(meetings)
        occurrences = Occurrence.objects.bulk_create([
            Occurrence(meeting=m, index=0, recurrence_id=m.start, start=m.start, end=m.end, status=Occurrence.Status.HELD)
            for m in meetings])
        Booking.objects.bulk_create([
            Booking(occurrence=o, room=p[3], start=o.start, end=o.end, blocked_start=o.start, blocked_end=o.end,
                    status=Booking.Status.CONFIRMED, expected_attendees=3)
            for o, p in zip(occurrences, plan, strict=True)])
        attendees = []
        for m in meetings:
            for user in {m.chair, members.get(m.organizing_unit.code)} - {None}:
                attendees.append(Attendee(meeting=m, user=user, email=user.email, name=user.full_name,
                                          unit=m.organizing_unit, rsvp=Attendee.Rsvp.ACCEPTED))
        Attendee.objects.bulk_create(attendees)

        minutes_rows = []
        fates = []
        for o in occurrences:
            local_day = timezone.localtime(o.start).date()
            due = calendar.add_working_days(local_day, 5)
            roll = rng.random()
            fate = "on_time" if roll < 0.62 else "late" if roll < 0.80 else "missing" if due < today else "open"
            if due >= today:
                fate = "open" if roll < 0.5 else "on_time"
            fates.append(fate)
            minutes_rows.append(Minutes(occurrence=o, due_date=due, created_at=o.end, updated_at=o.end))
        Minutes.objects.bulk_create(minutes_rows)
        sections, conclusions, items, records = [], [], [], []
        for m, o, (unit, _d, _h, _r, topic) in zip(minutes_rows, occurrences, plan, strict=True):
            sections.append(Section(minutes=m, position=0, title="Nội dung cuộc họp", text=topic[1]))
            conclusions.append(Conclusion(minutes=m, number=1, text=topic[2], created_by=o.meeting.chair))
            leader, member = o.meeting.chair, members.get(unit.code)
            for who in {leader, member} - {None}:
                records.append(AttendanceRecord(minutes=m, user=who, unit=unit, name=who.full_name, email=who.email,
                                                status=AttendanceRecord.Status.PRESENT))
            for n in range(1, rng.randint(1, 3) + 1):
                due = timezone.localtime(o.start).date() + timedelta(days=rng.randint(7, 60))
                done = due < today and rng.random() < 0.6
                items.append(ActionItem(
                    minutes=m, number=n, what=f"{rng.choice(ACTIONS)}: {topic[0].lower()}", owner_user=member,
                    owner_unit=unit, unit=unit, due_date=due,
                    status=ActionItem.Status.DONE if done else ActionItem.Status.OPEN,
                    done_at=timezone.now() if done else None, done_note="Đã thực hiện xong." if done else ""))
        Section.objects.bulk_create(sections)
        Conclusion.objects.bulk_create(conclusions)
        ActionItem.objects.bulk_create(items)
        AttendanceRecord.objects.bulk_create(records)
        issued = _issue(minutes_rows, occurrences, fates, rng, today, calendar)
    _sign_recent(dept, people, issued[-12:])
    return len(meetings)


def _issue(minutes_rows: list[Minutes], occurrences: list[Occurrence], fates: list[str], rng: random.Random,
           today: date, calendar: WorkCalendar) -> list[IssuedDocument]:
    counters: dict[tuple[int, int], int] = defaultdict(int)
    order = sorted(range(len(minutes_rows)), key=lambda i: occurrences[i].start)
    docs = []
    for i in order:
        m, o, fate = minutes_rows[i], occurrences[i], fates[i]
        if fate in ("missing", "open"):
            if rng.random() < 0.4:
                Minutes.objects.filter(pk=m.pk).update(status=Minutes.Status.SUBMITTED)
            continue
        delay = rng.randint(0, 4) if fate == "on_time" else rng.randint(6, 15)
        issued_on = min(calendar.add_working_days(timezone.localtime(o.start).date(), delay), today)
        meeting, unit = o.meeting, o.meeting.organizing_unit
        counters[(unit.pk, issued_on.year)] += 1
        number = counters[(unit.pk, issued_on.year)]
        m.occurrence = o
        body = doc_content.build(m, number=number, year=issued_on.year, issued_on=issued_on)
        when = datetime.combine(issued_on, time(16), tzinfo=timezone.get_default_timezone())
        on_time = issued_on <= m.due_date
        docs.append(IssuedDocument(
            minutes=m, version=1, unit=unit, chair=meeting.chair, sensitivity=meeting.sensitivity,
            meeting_date=timezone.localtime(o.start).date(), year=issued_on.year, number=number,
            code=body["code"], title=meeting.title, content=body, content_sha256=doc_content.sha256(body),
            search_text=doc_content.search_text(body), approved_by=meeting.chair, approved_at=when,
            issued_by=meeting.created_by, issued_at=when, on_time=on_time, is_current=True))
        Minutes.objects.filter(pk=m.pk).update(status=Minutes.Status.ISSUED, issued_at=when,
                                               issued_by=meeting.created_by, issued_on_time=on_time)
    IssuedDocument.objects.bulk_create(docs)
    for (unit_id, year), last in counters.items():
        DocumentCounter.objects.update_or_create(unit_id=unit_id, year=year, defaults={"last": last})
    for doc in docs:
        search.index(doc)
    return docs


def _sign_recent(dept: Unit, people: dict[str, Any], docs: list[IssuedDocument]) -> None:
    """PDFs for the newest documents; half of them signed with a demo certificate per unit."""
    from meetings.management.commands.seed_demo import DEMO_PASSWORD

    authority = pki.make_authority("Quorum Demo CA (không dùng thật)")
    certs: dict[int, SigningCertificate] = {}
    for i, doc in enumerate(docs):
        render.store_files(doc)
        if i % 2:
            continue
        if doc.unit_id not in certs:
            bundle = pki.issue_pkcs12(authority, doc.unit.name, DEMO_PASSWORD, org=doc.unit.name)
            certs[doc.unit_id] = signing.register(
                f"Chứng thư số demo — {doc.unit.short_name}", bundle, DEMO_PASSWORD, unit=doc.unit)
        signing.sign_document(doc.chair or people["admin"], doc, DEMO_PASSWORD)
