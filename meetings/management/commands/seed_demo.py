"""A demo department: ~20 units with rooms, people in every role, and a few weeks of
meetings including the weekly all-unit briefing. Safe to run again (idempotent)."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from meetings import actions
from meetings.booking import BookingConflict
from meetings.models import Equipment, Meeting, Membership, Room, Unit
from meetings.workdays import WorkCalendar

DEMO_PASSWORD = "Quorum@2026"  # noqa: S105 - printed on purpose: demo accounts only
DOMAIN = "quorum.test"  # RFC 2606: never a real mailbox

DEPARTMENT = ("soyte", "Sở Y tế tỉnh Sơn La", "Sở Y tế")
UNITS: list[tuple[str, str, str, str]] = [
    ("bvdk", "Bệnh viện Đa khoa tỉnh", "BVĐK tỉnh", Unit.Kind.HOSPITAL),
    ("bvyhct", "Bệnh viện Y học cổ truyền tỉnh", "BV YHCT", Unit.Kind.HOSPITAL),
    ("bvphoi", "Bệnh viện Phổi tỉnh", "BV Phổi", Unit.Kind.HOSPITAL),
    ("bvtt", "Bệnh viện Tâm thần tỉnh", "BV Tâm thần", Unit.Kind.HOSPITAL),
    ("bvsn", "Bệnh viện Sản Nhi tỉnh", "BV Sản Nhi", Unit.Kind.HOSPITAL),
    ("bvmat", "Bệnh viện Mắt tỉnh", "BV Mắt", Unit.Kind.HOSPITAL),
    ("bvkvpy", "Bệnh viện Đa khoa khu vực Phù Yên", "BVĐKKV Phù Yên", Unit.Kind.HOSPITAL),
    ("cdc", "Trung tâm Kiểm soát bệnh tật tỉnh", "CDC", Unit.Kind.CDC),
    ("ttkn", "Trung tâm Kiểm nghiệm thuốc, mỹ phẩm, thực phẩm", "TT Kiểm nghiệm", Unit.Kind.OTHER),
    ("ttgdyk", "Trung tâm Giám định y khoa - Pháp y", "TT Giám định", Unit.Kind.OTHER),
    ("ttyt-tp", "Trung tâm Y tế thành phố", "TTYT Thành phố", Unit.Kind.HEALTH_CENTRE),
    ("ttyt-mc", "Trung tâm Y tế huyện Mộc Châu", "TTYT Mộc Châu", Unit.Kind.HEALTH_CENTRE),
    ("ttyt-ms", "Trung tâm Y tế huyện Mai Sơn", "TTYT Mai Sơn", Unit.Kind.HEALTH_CENTRE),
    ("ttyt-yc", "Trung tâm Y tế huyện Yên Châu", "TTYT Yên Châu", Unit.Kind.HEALTH_CENTRE),
    ("ttyt-tc", "Trung tâm Y tế huyện Thuận Châu", "TTYT Thuận Châu", Unit.Kind.HEALTH_CENTRE),
    ("ttyt-sm", "Trung tâm Y tế huyện Sông Mã", "TTYT Sông Mã", Unit.Kind.HEALTH_CENTRE),
    ("ttyt-by", "Trung tâm Y tế huyện Bắc Yên", "TTYT Bắc Yên", Unit.Kind.HEALTH_CENTRE),
    ("ttyt-qn", "Trung tâm Y tế huyện Quỳnh Nhai", "TTYT Quỳnh Nhai", Unit.Kind.HEALTH_CENTRE),
    ("ttyt-ml", "Trung tâm Y tế huyện Mường La", "TTYT Mường La", Unit.Kind.HEALTH_CENTRE),
    ("ttyt-vh", "Trung tâm Y tế huyện Vân Hồ", "TTYT Vân Hồ", Unit.Kind.HEALTH_CENTRE),
]
EQUIPMENT = {
    "projector": "Máy chiếu",
    "vc": "Điểm cầu truyền hình",
    "mic": "Hệ thống âm thanh, micro",
    "screen": "Màn hình lớn",
    "whiteboard": "Bảng viết",
}
ROOM_TEMPLATES: list[tuple[str, int, list[str]]] = [
    ("Hội trường", 120, ["projector", "mic", "vc", "screen"]),
    ("Phòng giao ban", 40, ["projector", "vc", "mic"]),
    ("Phòng họp tầng 2", 20, ["projector", "whiteboard"]),
    ("Phòng họp nhỏ", 10, ["screen"]),
    ("Phòng hội chẩn", 16, ["screen", "vc"]),
    ("Phòng đào tạo", 60, ["projector", "mic", "whiteboard"]),
]
FIRST = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Lò", "Cầm", "Quàng"]
MIDDLE = ["Văn", "Thị", "Minh", "Thu", "Đức", "Thanh", "Quốc", "Hồng"]
LAST = ["An", "Bình", "Cường", "Dung", "Hà", "Hải", "Hương", "Lan", "Long", "Mai", "Nam", "Phương", "Sơn", "Tâm", "Thảo", "Trung"]
ROLE_TITLES = {
    Membership.Role.SECRETARY: "Thư ký",
    Membership.Role.MEMBER: "Chuyên viên",
    Membership.Role.LEADER: "Giám đốc",
    Membership.Role.UNIT_ADMIN: "Quản trị phòng họp",
}


class Command(BaseCommand):
    help = "Create (or complete) the demo department, its people, rooms and meetings."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--weeks", type=int, default=4, help="Weeks of meetings to schedule.")

    def handle(self, *args: Any, weeks: int, **options: Any) -> None:
        rng = random.Random(2026)
        with transaction.atomic():
            dept, units = self._units()
            self._rooms(units, rng)
            people = self._people(dept, units, rng)
            from accounts.demo import enrol_privileged  # MFA for the privileged demo users

            enrol_privileged(DOMAIN)
        created = 0
        if not Meeting.objects.exists():
            created = self._meetings(dept, units, people, weeks, rng)
        # A year of held meetings with issued, late and missing minutes (archive/demo.py).
        from archive import demo

        past = demo.history(dept, units, people, rng)
        self.stdout.write(
            f"Demo department ready: {len(units) + 1} units, {Room.objects.count()} rooms, "
            f"{User.objects.count()} people, {created} new meetings, {past} past meetings."
        )

    # --- organisation ------------------------------------------------------------------

    def _units(self) -> tuple[Unit, list[Unit]]:
        code, name, short = DEPARTMENT
        dept, _ = Unit.objects.get_or_create(
            code=code, defaults={"name": name, "short_name": short, "kind": Unit.Kind.DEPARTMENT,
                                 "default_online_provider": "jitsi"},
        )
        units = []
        for code, name, short, kind in UNITS:
            unit, _ = Unit.objects.get_or_create(
                code=code, defaults={"name": name, "short_name": short, "kind": kind, "parent": dept,
                                     "default_online_provider": "jitsi"},
            )
            units.append(unit)
        return dept, units

    def _rooms(self, units: list[Unit], rng: random.Random) -> None:
        equipment = {
            slug: Equipment.objects.get_or_create(slug=slug, defaults={"name": name})[0]
            for slug, name in EQUIPMENT.items()
        }
        dept = Unit.objects.get(code=DEPARTMENT[0])
        specs = [(dept, "Hội trường Sở", 150, ["projector", "mic", "vc", "screen"], True, True),
                 (dept, "Phòng họp giao ban Sở", 40, ["projector", "vc", "mic"], False, False),
                 (dept, "Phòng họp Ban Giám đốc", 15, ["screen"], False, False)]
        for unit in units:
            # District health centres have a briefing room and a small one; others 3-6 rooms.
            if unit.kind == Unit.Kind.HEALTH_CENTRE:
                templates = ROOM_TEMPLATES[1:4:2]
            else:
                templates = ROOM_TEMPLATES[: rng.randint(3, 6)]
            for name, capacity, tags in templates:
                hall = name == "Hội trường"
                specs.append((unit, name, capacity, tags, hall, hall))
        for unit, name, capacity, tags, shared, approval in specs:
            room, created = Room.objects.get_or_create(
                unit=unit, name=name,
                defaults={"capacity": capacity, "location": rng.choice(["Tầng 1", "Tầng 2", "Tầng 3", "Nhà B"]),
                          "shared": shared, "requires_approval": approval,
                          "setup_buffer_minutes": 15 if capacity >= 100 else 0,
                          "cleanup_buffer_minutes": 15 if capacity >= 40 else 0,
                          "vc_endpoint": f"vc-{unit.code}-{rng.randint(100, 999)}" if "vc" in tags else ""},
            )
            if created:
                room.equipment.set([equipment[t] for t in tags])

    def _person(self, email: str, full_name: str, title: str, **extra: Any) -> User:
        user = User.objects.filter(email=email).first()
        if user is None:
            # Hashing once: PBKDF2 per user would make the seed take a minute.
            if not hasattr(self, "_hashed"):
                self._hashed = make_password(DEMO_PASSWORD)
            user = User.objects.create(email=email, password=self._hashed, full_name=full_name, title=title, **extra)
        return user

    def _people(self, dept: Unit, units: list[Unit], rng: random.Random) -> dict[str, Any]:
        def name() -> str:
            return f"{rng.choice(FIRST)} {rng.choice(MIDDLE)} {rng.choice(LAST)}"

        admin = self._person(f"admin@{DOMAIN}", "Quản trị hệ thống", "Quản trị hệ thống", is_staff=True, is_superuser=True)
        director = self._person(f"giamdoc@{DOMAIN}", "Lò Văn Giám", "Giám đốc Sở")
        deputy = self._person(f"phogiamdoc@{DOMAIN}", "Cầm Thị Phó", "Phó Giám đốc Sở")
        dept_secretary = self._person(f"thuky@{DOMAIN}", "Quàng Thị Thư", "Chánh Văn phòng Sở")
        dept_admin = self._person(f"quantri@{DOMAIN}", "Đặng Văn Trị", "Quản trị phòng họp Sở")
        for user, role in ((director, Membership.Role.LEADER), (deputy, Membership.Role.LEADER),
                           (dept_secretary, Membership.Role.SECRETARY), (dept_admin, Membership.Role.UNIT_ADMIN)):
            Membership.objects.get_or_create(user=user, unit=dept, role=role)
        leaders, secretaries, members = {}, {}, {}
        for unit in units:
            for role, prefix in ((Membership.Role.LEADER, "lanhdao"), (Membership.Role.SECRETARY, "thuky"),
                                 (Membership.Role.MEMBER, "chuyenvien"), (Membership.Role.UNIT_ADMIN, "quantri")):
                title = ROLE_TITLES[role] + " " + unit.short_name
                user = self._person(f"{prefix}.{unit.code}@{DOMAIN}", name(), title)
                Membership.objects.get_or_create(user=user, unit=unit, role=role)
                {Membership.Role.LEADER: leaders, Membership.Role.SECRETARY: secretaries,
                 Membership.Role.MEMBER: members}.get(role, {})[unit.code] = user
        return {"admin": admin, "director": director, "deputy": deputy, "dept_secretary": dept_secretary,
                "leaders": leaders, "secretaries": secretaries, "members": members}

    # --- meetings ----------------------------------------------------------------------

    def _meetings(self, dept: Unit, units: list[Unit], people: dict[str, Any], weeks: int, rng: random.Random) -> int:
        tz = timezone.get_default_timezone()
        today = timezone.localdate()
        calendar = WorkCalendar(today, today + timedelta(days=7 * weeks + 30))
        created = 0

        def slot(day: date, hour: int, minute: int = 0) -> datetime:
            return datetime.combine(day, time(hour, minute), tzinfo=tz)

        def make(**kw: Any) -> None:
            nonlocal created
            first = kw["start"]
            urgent = timezone.localtime(first).date() <= calendar.add_working_days(today, settings.QUORUM_MIN_NOTICE_WORKING_DAYS)
            kw.setdefault("is_urgent", urgent)
            kw.setdefault("urgent_reason", "Dữ liệu mẫu: cuộc họp gần ngày" if urgent else "")
            try:
                actions.create_meeting(kw.pop("actor"), actions.MeetingInput(**kw))
                created += 1
            except (actions.ActionError, BookingConflict) as exc:
                self.stderr.write(f"skipped demo meeting {kw.get('title')!r}: {exc}")

        # The weekly all-unit briefing: Monday 08:00, the department's hall plus online.
        monday = today + timedelta(days=(7 - today.weekday()) % 7 or 7)
        hall = Room.objects.get(unit=dept, name="Phòng họp giao ban Sở")
        leaders = [people["director"], people["deputy"], *people["leaders"].values()]
        make(
            actor=people["dept_secretary"], title="Giao ban trực tuyến toàn ngành Y tế",
            agenda="1. Tình hình khám chữa bệnh tuần qua\n2. Công tác phòng chống dịch\n3. Nhiệm vụ tuần tới",
            organizing_unit=dept, chair=people["director"], start=slot(monday, 8), end=slot(monday, 9, 30),
            rrule=f"FREQ=WEEKLY;BYDAY=MO;COUNT={weeks}", mode=Meeting.Mode.HYBRID, online_provider="jitsi",
            rooms=[actions.RoomChoice(hall, 12)],
            attendees=[actions.AttendeeInput(email=u.email, name=u.full_name, user=u) for u in leaders],
        )
        topics = [
            "Họp chuyên môn tháng", "Hội chẩn liên khoa", "Triển khai bệnh án điện tử",
            "Rà soát công tác dược", "Kiểm tra công tác tiêm chủng mở rộng", "Sơ kết quý",
            "Họp Hội đồng thi đua", "Triển khai Đề án 06", "Đánh giá chất lượng bệnh viện",
        ]
        for unit in units[:10]:
            secretary = people["secretaries"][unit.code]
            rooms = list(Room.objects.filter(unit=unit).order_by("capacity"))
            for _ in range(2):
                day = calendar.add_working_days(today, rng.randint(1, max(weeks * 5 - 1, 2)))
                start = slot(day, rng.choice([8, 9, 10, 14, 15]), rng.choice([0, 30]))
                members = [people["leaders"][unit.code], people["members"][unit.code]]
                make(
                    actor=secretary, title=f"{rng.choice(topics)} — {unit.short_name}",
                    agenda="Nội dung theo giấy mời.", organizing_unit=unit, chair=people["leaders"][unit.code],
                    start=start, end=start + timedelta(hours=1), rooms=[actions.RoomChoice(rooms[0], len(members) + 1)],
                    attendees=[actions.AttendeeInput(email=u.email, name=u.full_name, user=u) for u in members],
                    sensitivity=rng.choice([Meeting.Sensitivity.NORMAL, Meeting.Sensitivity.NORMAL, Meeting.Sensitivity.INTERNAL]),
                )
        # A confidential personnel meeting at the department.
        day = calendar.add_working_days(today, 6)
        make(
            actor=people["dept_secretary"], title="Họp Ban Giám đốc về công tác cán bộ", agenda="(Mật)",
            organizing_unit=dept, chair=people["director"], start=slot(day, 14), end=slot(day, 16),
            rooms=[actions.RoomChoice(Room.objects.get(unit=dept, name="Phòng họp Ban Giám đốc"), 3)],
            attendees=[actions.AttendeeInput(email=people["deputy"].email, user=people["deputy"])],
            sensitivity=Meeting.Sensitivity.CONFIDENTIAL,
        )
        return created
