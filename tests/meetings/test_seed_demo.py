from django.contrib.auth import authenticate
from django.core.management import call_command

from accounts.models import User
from meetings.management.commands.seed_demo import DEMO_PASSWORD, DOMAIN
from meetings.models import Meeting, Membership, Room, Unit


def test_seed_demo_builds_a_department_and_is_idempotent(db):
    call_command("seed_demo", weeks=2)
    counts = (Unit.objects.count(), Room.objects.count(), User.objects.count(), Meeting.objects.count())
    call_command("seed_demo", weeks=2)
    assert (Unit.objects.count(), Room.objects.count(), User.objects.count(), Meeting.objects.count()) == counts

    assert Unit.objects.filter(parent__isnull=True).count() == 1
    assert Unit.objects.filter(parent__isnull=False).count() >= 20
    for unit in Unit.objects.filter(parent__isnull=False):
        assert 2 <= unit.rooms.count() <= 6, unit
        roles = set(Membership.objects.filter(unit=unit).values_list("role", flat=True))
        assert {"secretary", "member", "leader", "unit_admin"} <= roles, unit
    briefing = Meeting.objects.get(title__startswith="Giao ban trực tuyến")
    assert briefing.is_recurring and briefing.mode == Meeting.Mode.HYBRID
    assert briefing.occurrences.count() == 2
    assert authenticate(email=f"thuky.bvdk@{DOMAIN}", password=DEMO_PASSWORD) is not None


def test_seed_demo_has_a_year_of_minutes_history(db):
    from archive import signing
    from archive.models import DocumentFile, IssuedDocument
    from minutes.models import ActionItem, Minutes

    call_command("seed_demo", weeks=1)
    docs = IssuedDocument.objects.all()
    assert Meeting.objects.filter(status=Meeting.Status.HELD).count() >= 250
    assert docs.filter(on_time=True).exists() and docs.filter(on_time=False).exists()  # late minutes
    assert Minutes.objects.exclude(status="issued").filter(due_date__lt=docs.first().issued_at.date()).exists()
    assert {"open", "done"} <= set(ActionItem.objects.values_list("status", flat=True))
    signed = DocumentFile.objects.filter(kind="pdf", signature="valid")
    assert signed.count() >= 3
    assert signing.verify_bytes(bytes(signed.first().data)).state == "valid"


def test_demo_logins_prints_the_password(capsys, db):
    call_command("demo_logins")
    out = capsys.readouterr().out
    assert DEMO_PASSWORD in out and f"admin@{DOMAIN}" in out
