"""Shared fixtures: a small department with one person per role.

- `secretary` books for `hospital`; `member` and `leader` belong to it; `unit_admin`
  manages its rooms. `dept_leader` leads the department (root) and sees everything.
- `outsider` is a secretary of another unit (`cdc`) and should see nothing of the hospital's.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient

from meetings.models import Membership, Unit
from tests.factories import make_room, make_unit, make_user

Role = Membership.Role


@pytest.fixture
def org(db):
    dept = make_unit("soyte", kind=Unit.Kind.DEPARTMENT, name="Sở Y tế tỉnh", short_name="Sở Y tế")
    hospital = make_unit("bvdk", parent=dept, name="Bệnh viện Đa khoa tỉnh", short_name="BVĐK tỉnh")
    cdc = make_unit("cdc", parent=dept, kind=Unit.Kind.CDC, name="Trung tâm Kiểm soát bệnh tật", short_name="CDC")
    ns = SimpleNamespace(dept=dept, hospital=hospital, cdc=cdc)
    ns.secretary = make_user("thuky@bvdk.vn", hospital, Role.SECRETARY, full_name="Nguyễn Thư Ký")
    ns.member = make_user("thanhvien@bvdk.vn", hospital, Role.MEMBER, full_name="Trần Thành Viên")
    ns.leader = make_user("giamdoc@bvdk.vn", hospital, Role.LEADER, full_name="Lê Giám Đốc")
    ns.unit_admin = make_user("quantri@bvdk.vn", hospital, Role.UNIT_ADMIN, full_name="Phạm Quản Trị")
    ns.dept_leader = make_user("giamdocso@soyte.vn", dept, Role.LEADER, full_name="Hoàng Giám Đốc Sở")
    ns.dept_secretary = make_user("thuky@soyte.vn", dept, Role.SECRETARY, full_name="Vũ Thư Ký Sở")
    ns.outsider = make_user("thuky@cdc.vn", cdc, Role.SECRETARY, full_name="Đỗ Người Ngoài")
    ns.room_a = make_room(hospital, "Phòng họp A", capacity=20, equipment=["projector"], location="Tầng 2")
    ns.room_b = make_room(hospital, "Phòng họp B", capacity=8, location="Tầng 3")
    ns.hall = make_room(dept, "Hội trường Sở", capacity=120, equipment=["projector", "vc"], shared=True, requires_approval=True)
    ns.cdc_room = make_room(cdc, "Phòng giao ban CDC", capacity=30, equipment=["vc"])
    return ns


@pytest.fixture
def api():
    def client_for(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return client_for


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compile the translation catalogues when they are missing or stale (as `make messages`
    does), so `pytest` run on its own renders English pages too."""
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    for po in [*root.glob("locale/*/LC_MESSAGES/django.po"), *root.glob("config/vendor_locale/*/LC_MESSAGES/django.po")]:
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            subprocess.run(["msgfmt", "--check-format", "-o", str(mo), str(po)], check=True)
