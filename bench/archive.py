"""Benchmark of the leadership archive on PostgreSQL: search, dashboard, signing.

One command (PostgreSQL must be running; the database named in the URL is not written to,
a scratch database BENCH_DATABASE_NAME, default `quorum_bench_archive`, is created and dropped):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/quorum .venv/bin/python -u bench/archive.py

Seeding 100,000 documents takes about two minutes. To measure again without seeding:

    … bench/archive.py --keep          # seed, measure, keep the database
    … bench/archive.py --reuse         # measure the kept database (migrated to this checkout)

Options: --documents 100000, --units 20, --queries 200 (per search line), --no-sign.

1. Seeds --units units under a department with --documents held meetings over two years, each
   with minutes issued as a document (about 10 % late, 3 % confidential) and one action item,
   written with COPY (the search table's trigger fills it as the rows arrive). The search text
   is drawn from a vocabulary of the department's own words, so common two-word phrases
   ("giao ban", "tiêm chủng") match more than half of the documents.
2. Search: GET /archive/?q=…&unit=…&date_from=…&date_to=… through Django's test Client with
   the production settings (full middleware, permission filter, ranking, snippets, HTML, the
   audit entry), as a unit leader and as the department director, queries typed without
   diacritics (target p95 ≤ 50 ms).
3. Dashboard: GET /dashboard/ as the director (every unit) and as a unit leader (≤ 150 ms):
   "computed" after the cache is invalidated (as after any change), "cached" otherwise.
4. Signing and verifying one document's PDF with pyHanko (target ≤ 300 ms).

The table gives, per line, the wall-clock p50/p95 of the requests and, beside them, the SQL
p50/p95: the sum of the PostgreSQL execution times (EXPLAIN ANALYZE, re-run right after each
request) of that request's SELECTs, and the number of queries per request. Other processes on
the machine inflate the wall-clock figures far more than the SQL ones: the load average is
printed before and after.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
import time
import uuid
from dataclasses import dataclass, field
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
                              "join_key": secrets.token_urlsafe()})
    with connection.cursor() as c:
        raw = c.cursor
        for model, rows in ((Meeting, meetings), (Occurrence, occurrences), (Minutes, minutes),
                            (IssuedDocument, docs), (ActionItem, items), (Attendee, attendees)):
            if rows:
                _copy(raw, model, rows)
        for table in ("meetings_meeting", "meetings_occurrence", "minutes_minutes", "archive_issueddocument",
                      "minutes_actionitem"):
            c.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608 - constant names
        c.execute("VACUUM ANALYZE")  # as autovacuum would have: visibility map for index-only scans
    DocumentCounter.objects.bulk_create(DocumentCounter(unit_id=u, year=y, last=v) for (u, y), v in numbers.items())


def timed(fn, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


@dataclass
class Row:
    """One line of the table: HTTP (or ORM) times, the SQL execution times of the same
    requests (EXPLAIN ANALYZE), and the number of queries."""

    name: str
    target: float
    ms: list[float] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)
    queries: set[int] = field(default_factory=set)

    def line(self) -> str:
        p95 = _pct(self.ms, 95)
        sql = f"{statistics.median(self.sql_ms):8.1f} {_pct(self.sql_ms, 95):8.1f}" if self.sql_ms else f"{'—':>8} {'—':>8}"
        n = "/".join(str(q) for q in sorted(self.queries)) or "—"
        flag = "OK" if p95 <= self.target else "OVER"
        return (f"{self.name:<52} {statistics.median(self.ms):8.1f} {p95:8.1f} {sql} {n:>7} "
                f"{f'≤ {self.target:.0f}':>7} {flag:>5}  (n={len(self.ms)})")


HEADER = (f"{'measure':<52} {'p50 ms':>8} {'p95 ms':>8} {'SQL p50':>8} {'SQL p95':>8} {'queries':>7} "
          f"{'target':>7} {'p95':>5}")


def sql_time(captured: list[dict]) -> float:
    """Sum of the PostgreSQL execution times (EXPLAIN ANALYZE) of the request's SELECTs: the
    database's share, far less sensitive to the machine's load than the wall-clock time.
    Re-run with their values written in, they are planned for those values: a request whose
    statements ran prepared with a generic plan shows as wall-clock time far above this."""
    from django.db import connection, transaction

    total = 0.0
    with transaction.atomic(), connection.cursor() as cursor:
        for q in captured:
            sql = q["sql"].lstrip()
            if sql[:4].upper() == "SET ":
                cursor.execute(sql)  # planner settings of the request (SET LOCAL) apply here too
            if sql[:6].upper() != "SELECT":
                continue  # writes (the audit entry) are not re-run
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
            total += cursor.fetchone()[0][0]["Execution Time"]
    return total


def measure(row: Row, fn, rounds: int, before=None) -> Row:
    """Time `fn` (one request) `rounds` times, then re-run each request's SQL under EXPLAIN
    ANALYZE. `before` runs ahead of each request, outside the measurement."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(rounds):
        if before is not None:
            before()
        connection.queries_log.clear()  # a full log (9,000 queries) would make the capture miscount
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            fn()
            row.ms.append((time.perf_counter() - t) * 1000)
        row.queries.add(len(ctx))
        row.sql_ms.append(sql_time(ctx.captured_queries))
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--units", type=int, default=20)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the seeded database for --reuse")
    parser.add_argument("--reuse", action="store_true", help="measure a database kept by an earlier --keep")
    parser.add_argument("--no-sign", action="store_true", help="skip the signing measurement")
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
    setup_django(bench_url)  # migrates: a kept database gets this checkout's migrations

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
    from meetings.models import Unit

    rng = random.Random(5)
    director = User.objects.get(email="giamdoc@bench.vn")
    leaders = list(User.objects.filter(email__startswith="lanhdao."))
    units = list(Unit.objects.filter(parent__isnull=False).values_list("pk", flat=True))
    clients = {}

    def client_for(user):
        if user.pk not in clients:
            # Production settings: a real host name, HTTPS as the proxy says, and a session
            # that has passed MFA (leaders must enrol).
            c = Client(HTTP_HOST="localhost", HTTP_X_FORWARDED_PROTO="https")
            c.force_login(user)
            session = c.session
            session["quorum_mfa_ok"] = user.pk
            session.save()
            clients[user.pk] = c
        return clients[user.pk]

    today = date.today()

    def one_search(user, with_unit: bool, period: bool = True):
        q = rng.choice(QUERIES)
        params = {"q": q}
        if period:
            start = today - timedelta(days=rng.randrange(600) + 60)
            params |= {"date_from": start.isoformat(), "date_to": (start + timedelta(days=90)).isoformat()}
        if with_unit:
            params["unit"] = rng.choice(units)
        r = client_for(user).get("/archive/", params)
        assert r.status_code == 200, r.status_code

    for _ in range(5):  # warm up
        one_search(director, True)
    for leader in leaders:  # each leader's login (and first request) happens before the timing
        one_search(leader, False)
    print(f"load average before search: {load()}")
    n = args.queries
    rows = [
        measure(Row("search, unit leader (own unit, 90-day period)", 50), lambda: one_search(rng.choice(leaders), False), n),
        measure(Row("search, director (one unit filter, 90-day period)", 50), lambda: one_search(director, True), n),
        measure(Row("search, director (all units, 90-day period)", 50), lambda: one_search(director, False), n),
        measure(Row("search, director (all units, no period)", 50), lambda: one_search(director, False, False), n),
    ]
    dash = client_for(director)
    dash.get("/dashboard/")
    client_for(leaders[0]).get("/dashboard/")
    print(f"load average before dashboard: {load()}")
    from archive import dashcache

    invalidate = dashcache.bump  # as after any change to meetings, minutes or action items
    rows.append(measure(Row("dashboard, director (all units), computed", 150), lambda: dash.get("/dashboard/"), 30,
                        invalidate))
    rows.append(measure(Row("dashboard, director (all units), cached", 150), lambda: dash.get("/dashboard/"), 30))
    leader = client_for(leaders[0])
    rows.append(measure(Row("dashboard, unit leader, computed", 150), lambda: leader.get("/dashboard/"), 30,
                        invalidate))
    rows.append(measure(Row("dashboard, unit leader, cached", 150), lambda: leader.get("/dashboard/"), 30))
    if not args.no_sign:
        rows += sign_and_verify()
    print(f"load average after: {load()}")
    print(HEADER)
    print("\n".join(r.line() for r in rows))


def sign_and_verify() -> list[Row]:
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
    return [Row("sign one PDF (PAdES, pyHanko)", 300, sign_ms), Row("verify one signed PDF", 300, verify_ms),
            Row("sign + verify", 300, both), Row("render one NĐ 30 PDF (reportlab)", 300, render_ms)]


if __name__ == "__main__":
    main()
