"""Benchmark of the leadership archive on PostgreSQL: search, dashboard, signing.

Usage (PostgreSQL must be running; nothing is written to the database named in the URL):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/quorum .venv/bin/python -u bench/archive.py

Options: --documents 100000, --units 20, --queries 200, --keep, --reuse (a kept, seeded
database; BENCH_DATABASE_NAME, default `quorum_bench_archive`).

1. Seeds --units units under a department with --documents held meetings over two years, each
   with minutes issued as a document (about 10 % late, 3 % confidential) and one action item,
   written with COPY. The search text is drawn from a vocabulary of the department's own words,
   so common two-word phrases ("giao ban", "tiêm chủng") match thousands of documents.
2. Search: GET /archive/?q=…&unit=…&date_from=…&date_to=… through Django's test Client (full
   middleware, permission filter, ranking, snippets, HTML), as a unit leader and as the
   department director, queries typed without diacritics; p50/p95 (target p95 ≤ 50 ms).
3. Dashboard: GET /dashboard/ as the director (every unit): p50/p95 (target ≤ 150 ms).
4. Signing and verifying one document's PDF with pyHanko (target ≤ 300 ms).
The host's load average is printed: other processes on the machine change the figures.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.availability import _copy, _pct, create_database, drop_database, setup_django  # noqa: E402

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
TOPICS = ["Họp giao ban tuần", "Họp chuyên môn", "Triển khai bệnh án điện tử", "Rà soát công tác dược",
          "Kiểm tra tiêm chủng mở rộng", "Phòng chống dịch sốt xuất huyết", "Sơ kết quý", "Đánh giá chất lượng"]
WORDS = (  # noqa: SIM905 - a sentence reads better than a list of words
    "tình hình khám chữa bệnh công suất giường bệnh trực cấp cứu phác đồ điều trị sai sót chuyên môn "
         "bệnh án điện tử liên thông dữ liệu thuốc vật tư y tế đấu thầu tập trung tiêm chủng vắc-xin sởi "
         "bạch hầu dây chuyền lạnh sốt xuất huyết ổ dịch phun hóa chất diệt bọ gậy chỉ tiêu kế hoạch tài chính "
         "bảo hiểm y tế dịch vụ kỹ thuật hài lòng người bệnh đón tiếp khoa khám bệnh nhân lực đào tạo "
         "giao ban hội chẩn an toàn người bệnh kiểm soát nhiễm khuẩn chuyển đổi số hồ sơ sức khỏe").split()
QUERIES = ["giao ban", "tiem chung", "benh an", "kham chua", "sot xuat", "vat tu", "chuyen doi", "ho so",
           "kiem soat", "phac do"]


def load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def seed(n: int, unit_count: int) -> None:
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from accounts.models import User
    from archive.models import DocumentCounter, IssuedDocument
    from meetings.models import Attendee, Meeting, Membership, Occurrence, Unit
    from minutes.models import ActionItem, Minutes

    rng = random.Random(11)
    dept = Unit.objects.create(code="soyte", name="Sở Y tế tỉnh", short_name="Sở Y tế", kind=Unit.Kind.DEPARTMENT)
    units = [Unit.objects.create(code=f"dv{i}", name=f"Bệnh viện số {i}", short_name=f"BV{i}",
                                 kind=Unit.Kind.HOSPITAL, parent=dept) for i in range(unit_count)]
    pw = make_password("bench-Quorum-2026")
    director = User.objects.create(email="giamdoc@bench.vn", full_name="Giám Đốc Sở", password=pw)
    Membership.objects.create(user=director, unit=dept, role=Membership.Role.LEADER)
    leaders = []
    for u in units:
        leader = User.objects.create(email=f"lanhdao.{u.code}@bench.vn", full_name=f"Lãnh đạo {u.short_name}", password=pw)
        Membership.objects.create(user=leader, unit=u, role=Membership.Role.LEADER)
        leaders.append(leader)
    today = date.today()
    meetings, occurrences, minutes, docs, items, attendees = [], [], [], [], [], []
    numbers: dict[tuple[int, int], int] = {}
    for i in range(1, n + 1):
        k = rng.randrange(unit_count)
        unit, chair = units[k], leaders[k]
        day = today - timedelta(days=rng.randrange(730) + 1)
        start = datetime(day.year, day.month, day.day, rng.choice([8, 9, 14]), tzinfo=TZ)
        topic = rng.choice(TOPICS)
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(60, 160)))
        conclusion = " ".join(rng.choice(WORDS) for _ in range(20))
        confidential = rng.random() < 0.03
        meetings.append({"id": i, "uid": uuid.uuid4(), "title": f"{topic} — {unit.short_name}", "agenda": "",
                         "organizing_unit_id": unit.pk, "chair_id": chair.pk, "created_by_id": chair.pk,
                         "start": start, "end": start + timedelta(hours=1), "mode": rng.choice(["in_person", "online", "hybrid"]),
                         "status": "held", "sensitivity": "confidential" if confidential else "normal",
                         "created_at": start, "updated_at": start, "online_details": {}})
        occurrences.append({"id": i, "meeting_id": i, "index": 0, "recurrence_id": start, "start": start,
                            "end": start + timedelta(hours=1), "status": "held"})
        due = day + timedelta(days=7)
        late = rng.random() < 0.1
        issued = datetime(due.year, due.month, due.day, 16, tzinfo=TZ) + (timedelta(days=5) if late else timedelta(days=-2))
        minutes.append({"id": i, "occurrence_id": i, "status": "issued", "created_at": start, "updated_at": start,
                        "issued_at": issued, "issued_by_id": chair.pk, "last_revision_at": start, "due_date": due,
                        "issued_on_time": not late})
        numbers[(unit.pk, issued.year)] = numbers.get((unit.pk, issued.year), 0) + 1
        number = numbers[(unit.pk, issued.year)]
        title = f"{topic} — {unit.short_name}"
        docs.append({"id": i, "minutes_id": i, "version": 1, "unit_id": unit.pk, "chair_id": chair.pk,
                     "sensitivity": "confidential" if confidential else "normal", "meeting_date": day,
                     "year": issued.year, "number": number, "code": f"{number}/BB-DV{k}", "title": title,
                     "content": {"title": title}, "content_sha256": "0" * 64,
                     "search_text": f"{title}\n{text}\n{conclusion}", "approved_by_id": chair.pk,
                     "approved_at": issued, "issued_by_id": chair.pk, "issued_at": issued, "on_time": not late,
                     "is_current": True, "correction_reason": "", "signer_name": ""})
        items.append({"id": i, "minutes_id": i, "number": 1, "what": "Báo cáo " + conclusion[:60],
                      "owner_unit_id": unit.pk, "unit_id": unit.pk, "due_date": due + timedelta(days=30),
                      "status": "done" if rng.random() < 0.7 else "open", "created_at": start, "done_note": ""})
        if confidential:
            attendees.append({"meeting_id": i, "email": chair.email, "user_id": chair.pk, "name": chair.full_name,
                              "join_token": uuid.uuid4().hex})
    with connection.cursor() as c:
        raw = c.cursor
        for model, rows in ((Meeting, meetings), (Occurrence, occurrences), (Minutes, minutes),
                            (IssuedDocument, docs), (ActionItem, items), (Attendee, attendees)):
            if rows:
                _copy(raw, model, rows)
        for table in ("meetings_meeting", "meetings_occurrence", "minutes_minutes", "archive_issueddocument",
                      "minutes_actionitem"):
            c.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608 - constant names
        c.execute("ANALYZE")
    DocumentCounter.objects.bulk_create(DocumentCounter(unit_id=u, year=y, last=v) for (u, y), v in numbers.items())


def timed(fn, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def report(name: str, ms: list[float], target: float) -> str:
    p50, p95 = statistics.median(ms), _pct(ms, 95)
    flag = "OK" if p95 <= target else "OVER"
    return f"{name}: p50 {p50:.1f} ms, p95 {p95:.1f} ms (n={len(ms)}, target p95 ≤ {target:.0f} ms: {flag})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--units", type=int, default=20)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("bench/archive.py needs DATABASE_URL=postgres://… (the archive's search is measured on PostgreSQL)")
    name = os.environ.get("BENCH_DATABASE_NAME", "quorum_bench_archive")
    if args.reuse:
        from urllib.parse import urlparse, urlunparse

        bench_url = urlunparse(urlparse(url)._replace(path=f"/{name}"))
    else:
        bench_url = create_database(url, name)
    setup_django(bench_url)
    from django.core.management import call_command

    call_command("createcachetable")  # without REDIS_URL the cache is a database table
    print(f"load average before: {load()}")
    if not args.reuse:
        t = time.perf_counter()
        seed(args.documents, args.units)
        print(f"seeded {args.documents:,} issued minutes in {args.units} units in {time.perf_counter() - t:.1f} s")
    try:
        run(args)
    finally:
        if not args.keep and not args.reuse:
            from django.db import connections

            connections.close_all()
            drop_database(url, name)


def run(args: argparse.Namespace) -> None:
    from django.test import Client

    from accounts.models import User

    rng = random.Random(5)
    director = User.objects.get(email="giamdoc@bench.vn")
    leaders = list(User.objects.filter(email__startswith="lanhdao."))
    from meetings.models import Unit

    units = list(Unit.objects.filter(parent__isnull=False).values_list("pk", flat=True))
    clients = {}

    def client_for(user):
        if user.pk not in clients:
            c = Client()
            c.force_login(user)
            clients[user.pk] = c
        return clients[user.pk]

    today = date.today()

    def one_search(user, with_unit: bool):
        q = rng.choice(QUERIES)
        start = today - timedelta(days=rng.randrange(600) + 60)
        params = {"q": q, "date_from": start.isoformat(), "date_to": (start + timedelta(days=90)).isoformat()}
        if with_unit:
            params["unit"] = rng.choice(units)
        r = client_for(user).get("/archive/", params)
        assert r.status_code == 200, r.status_code

    for _ in range(5):  # warm up
        one_search(director, True)
    print(f"load average before search: {load()}")
    lines = [
        report("search, unit leader (own unit, 90-day period)",
               timed(lambda: one_search(rng.choice(leaders), False), args.queries), 50),
        report("search, director (one unit filter, 90-day period)",
               timed(lambda: one_search(director, True), args.queries), 50),
        report("search, director (all units, 90-day period)",
               timed(lambda: one_search(director, False), args.queries), 50),
    ]
    dash = client_for(director)
    dash.get("/dashboard/")
    print(f"load average before dashboard: {load()}")
    lines.append(report("dashboard, director (all units)", timed(lambda: dash.get("/dashboard/"), 30), 150))
    lines.append(report("dashboard, unit leader", timed(lambda: client_for(leaders[0]).get("/dashboard/"), 30), 150))
    lines += sign_and_verify()
    print(f"load average after: {load()}")
    print("\n".join(lines))


def sign_and_verify() -> list[str]:
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization

    from archive import pki, render, signing
    from archive.models import SigningCertificate

    content = {
        "authority": "SỞ Y TẾ TỈNH SƠN LA", "unit": "Bệnh viện Đa khoa tỉnh", "unit_short": "BVĐK", "number": 12,
        "year": 2026, "code": "12/BB-BVDK", "place": "Sơn La", "date": "2026-12-02", "title": "Họp giao ban tuần",
        "meeting": {"start": "2026-11-30T08:00:00+07:00", "end": "2026-11-30T09:30:00+07:00", "mode": "Trực tiếp",
                    "rooms": ["Phòng giao ban (BVĐK)"], "chair": "Lê Văn An"},
        "attendance": [{"unit": "Bệnh viện Đa khoa tỉnh", "people": [{"name": f"Người {i}", "note": "có mặt"} for i in range(12)]}],
        "sections": [{"title": "Nội dung", "text": " ".join(WORDS * 4)}],
        "conclusions": [{"number": i, "text": " ".join(WORDS[:30]), "is_decision": False} for i in range(1, 6)],
        "action_items": [{"number": 1, "what": "Báo cáo số liệu", "owner": "Khoa Nội", "due_date": "2026-12-20"}],
        "signer": {"name": "Lê Văn An", "title": "Giám đốc", "capacity": "CHỦ TRÌ CUỘC HỌP"},
        "recipients": ["Sở Y tế;", "Lưu: VT, BVĐK."], "supersedes": None,
    }
    pdf = render.pdf_bytes(content)
    ca = pki.make_authority()
    bundle = pki.issue_pkcs12(ca, "Lê Văn An", "bench-password")
    cert = SigningCertificate(label="bench", pkcs12=bundle, subject="Lê Văn An")  # not saved
    roots = [asn1_x509.Certificate.load(ca.cert.public_bytes(serialization.Encoding.DER))]
    signing.sign_bytes(pdf, cert, "bench-password")  # warm-up (imports)
    signed: list[bytes] = []
    sign_ms = timed(lambda: signed.append(signing.sign_bytes(pdf, cert, "bench-password")), 20)
    verify_ms = timed(lambda: signing.verify_bytes(signed[-1], roots), 20)
    assert signing.verify_bytes(signed[-1], roots).state == "valid"
    both = [a + b for a, b in zip(sign_ms, verify_ms, strict=True)]
    render_ms = timed(lambda: render.pdf_bytes(content), 10)
    return [report("sign one PDF (PAdES, pyHanko)", sign_ms, 300), report("verify one signed PDF", verify_ms, 300),
            report("sign + verify", both, 300), report("render one NĐ 30 PDF (reportlab)", render_ms, 300)]


if __name__ == "__main__":
    main()
