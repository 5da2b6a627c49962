from typing import Any

from django.core.management.base import BaseCommand

from meetings.management.commands.seed_demo import DEMO_PASSWORD, DOMAIN


class Command(BaseCommand):
    help = "Print the demo accounts created by seed_demo."

    def handle(self, *args: Any, **options: Any) -> None:
        rows = [
            ("Quản trị hệ thống (admin)", f"admin@{DOMAIN}"),
            ("Giám đốc Sở (lãnh đạo Sở: xem mọi cuộc họp)", f"giamdoc@{DOMAIN}"),
            ("Thư ký Văn phòng Sở (đặt lịch cho Sở)", f"thuky@{DOMAIN}"),
            ("Quản trị phòng họp Sở (duyệt Hội trường)", f"quantri@{DOMAIN}"),
            ("Thư ký BVĐK tỉnh", f"thuky.bvdk@{DOMAIN}"),
            ("Lãnh đạo BVĐK tỉnh", f"lanhdao.bvdk@{DOMAIN}"),
            ("Chuyên viên BVĐK tỉnh", f"chuyenvien.bvdk@{DOMAIN}"),
            ("Quản trị phòng họp BVĐK tỉnh", f"quantri.bvdk@{DOMAIN}"),
            ("Thư ký CDC", f"thuky.cdc@{DOMAIN}"),
        ]
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD})")
        width = max(len(r[0]) for r in rows)
        for role, email in rows:
            self.stdout.write(f"  {role.ljust(width)}  {email}")
        self.stdout.write(f"  Every unit has thuky.<code>, lanhdao.<code>, chuyenvien.<code>, quantri.<code> @{DOMAIN}")
        from django.conf import settings

        if settings.QUORUM_MFA_REQUIRED:
            from accounts.demo import DEMO_TOTP_SECRET, current_code

            self.stdout.write("")
            self.stdout.write("MFA (required for admin, leaders, secretaries, unit admins; chuyenvien.* need none):")
            self.stdout.write(f"  TOTP secret of every privileged demo account: {DEMO_TOTP_SECRET}")
            self.stdout.write(f"  Code now: {current_code()}  (again: python manage.py demo_totp)")
        self.stdout.write("")
