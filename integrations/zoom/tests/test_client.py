"""The zoomus wrapper against the fake Zoom over real HTTP: the shared token, 124
recovery, timeouts and error mapping."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import connection, transaction

from integrations.online.registry import RoomSpec
from integrations.zoom.client import ZoomAPI, ZoomError
from integrations.zoom.provider import meeting_body
from tests.factories import at, working_day

BASE_DIR = Path(__file__).resolve().parents[3]


def _spec(hh: int = 8, mm: int = 30) -> RoomSpec:
    start = at(working_day(5), hh, mm)
    return RoomSpec(key="k1", topic="Giao ban", start=start, end=start.replace(hour=hh + 1))


def _create(api: ZoomAPI, host: str = "host@x.vn") -> str:
    return str(api.create_meeting(host, meeting_body(_spec()))["id"])


@pytest.mark.django_db
def test_time_zone_conversion_sends_utc_and_zoom_shows_local(fake_zoom):
    api = ZoomAPI()
    spec = _spec(8, 30)
    meeting_id = _create(api)
    (sent,) = fake_zoom.calls("POST", "/meetings")
    assert sent.body["start_time"] == f"{spec.start:%Y-%m-%d}T01:30:00Z"
    got = api.get_meeting(meeting_id)
    from datetime import datetime
    from zoneinfo import ZoneInfo

    back = datetime.fromisoformat(got["start_time"].replace("Z", "+00:00")).astimezone(ZoneInfo(got["timezone"]))
    assert (back.hour, back.minute, back.date()) == (8, 30, spec.start.date())


@pytest.mark.django_db
def test_token_is_fetched_once_and_reused(fake_zoom):
    api = ZoomAPI()
    meeting_id = _create(api)
    for _ in range(3):
        api.get_meeting(meeting_id)
    ZoomAPI().get_meeting(meeting_id)  # a second client (another request, another task)
    assert fake_zoom.token_grants == 1
    (grant,) = fake_zoom.calls("POST", "/oauth/token")
    assert grant.body == {"grant_type": "account_credentials", "account_id": "acct-1"}
    assert grant.headers["authorization"].startswith("Basic ")


@pytest.mark.django_db(transaction=True)
def test_token_shared_by_concurrent_clients_and_another_process(fake_zoom):
    meeting_id = _create(ZoomAPI())
    errors: list[Exception] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        try:
            barrier.wait()
            api = ZoomAPI()  # one per thread, as in separate workers
            for _ in range(3):
                api.get_meeting(meeting_id)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []

    # Another OS process with the same settings and cache uses the same token.
    db = connection.settings_dict
    env = {**os.environ, "QUORUM_TESTING": "1", "ZOOM_ACCOUNT_ID": "acct-1", "ZOOM_CLIENT_ID": "cid-1",
           "ZOOM_CLIENT_SECRET": "secret-1", "ZOOM_API_BASE_URL": fake_zoom.api_base,
           "ZOOM_OAUTH_TOKEN_URL": fake_zoom.token_url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    if connection.vendor == "sqlite":
        env["SQLITE_PATH"] = db["NAME"]
    else:
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    script = (
        "import django, json, sys; django.setup();"
        "from integrations.zoom.client import ZoomAPI;"
        "print(json.dumps(ZoomAPI().get_meeting(sys.argv[1])['id']))"
    )
    out = subprocess.run([sys.executable, "-c", script, meeting_id], env=env, cwd=BASE_DIR,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == int(meeting_id)
    assert fake_zoom.token_grants == 1
    ZoomAPI().get_meeting(meeting_id)  # and ours still works: nobody invalidated it
    assert fake_zoom.token_grants == 1


@pytest.mark.django_db
def test_code_124_mid_run_refetches_once_and_recovers(fake_zoom):
    api = ZoomAPI()
    first = _create(api)
    # The token dies (another app requested one) just before the second create.
    fake_zoom.fail("revoke", path="/meetings", method="POST")
    second = _create(api)
    assert first != second and len(fake_zoom.meetings) == 2
    assert fake_zoom.token_grants == 2
    # Expired tokens too.
    fake_zoom.expire_tokens()
    assert api.get_meeting(second)["id"] == int(second)
    assert fake_zoom.token_grants == 3


@pytest.mark.django_db
def test_persistent_124_is_a_temporary_error_not_a_loop(fake_zoom):
    fake_zoom.fail("revoke", count=5, path="/meetings")
    with pytest.raises(ZoomError) as exc:
        ZoomAPI().list_meetings("host@x.vn")
    assert exc.value.temporary and exc.value.code == 124
    assert fake_zoom.token_grants == 2  # one refetch, not more


@pytest.mark.django_db
def test_timeout_is_mapped_to_a_temporary_error(fake_zoom):
    fake_zoom.fail("timeout", path="/meetings", delay=1.5)
    with pytest.raises(ZoomError) as exc:
        ZoomAPI().list_meetings("host@x.vn")
    assert exc.value.temporary and "không trả lời kịp" in exc.value.message


@pytest.mark.django_db
def test_429_honours_retry_after(fake_zoom):
    fake_zoom.fail("429", path="/meetings", retry_after="7")
    with pytest.raises(ZoomError) as exc:
        _create(ZoomAPI())
    assert exc.value.temporary and exc.value.retry_after == 7
    fake_zoom.fail("429-daily", path="/meetings")
    with pytest.raises(ZoomError) as exc:
        _create(ZoomAPI())
    assert exc.value.temporary and exc.value.retry_after > 60


@pytest.mark.django_db
def test_500_is_temporary_and_3001_on_delete_is_already_gone(fake_zoom):
    api = ZoomAPI()
    meeting_id = _create(api)
    fake_zoom.fail("500", path="/meetings")
    with pytest.raises(ZoomError) as exc:
        api.get_meeting(meeting_id)
    assert exc.value.temporary and exc.value.status == 500
    assert api.delete_meeting(meeting_id) is True
    assert api.delete_meeting(meeting_id) is False  # 404 + 3001: already gone, not an error
    with pytest.raises(ZoomError) as exc:
        api.get_meeting(meeting_id)
    assert exc.value.gone and exc.value.code == 3001


@pytest.mark.django_db
def test_bad_credentials_are_a_configuration_error(fake_zoom, settings):
    settings.ZOOM_CLIENT_SECRET = "wrong"
    with pytest.raises(ZoomError) as exc:
        ZoomAPI().list_meetings("host@x.vn")
    assert exc.value.configuration and not exc.value.temporary
    assert "ZOOM_CLIENT_SECRET" in exc.value.message


@pytest.mark.django_db
def test_unknown_host_user_is_a_configuration_error(fake_zoom):
    fake_zoom.users = {"known@x.vn"}
    with pytest.raises(ZoomError) as exc:
        _create(ZoomAPI(), host="nobody@x.vn")
    assert exc.value.configuration and exc.value.code == 1001


@pytest.mark.django_db
def test_no_zoom_call_inside_a_transaction(fake_zoom):
    with transaction.atomic(), pytest.raises(RuntimeError):
        ZoomAPI().list_meetings("host@x.vn")
    assert fake_zoom.calls() == []


@pytest.mark.django_db
def test_fake_validates_bodies_against_the_schema(fake_zoom):
    api = ZoomAPI()
    body = meeting_body(_spec())
    body["settings"]["auto_recording"] = "always"  # not one of Zoom's values
    with pytest.raises(ZoomError) as exc:
        api.create_meeting("host@x.vn", body)
    assert exc.value.status == 400 and exc.value.code == 300 and "auto_recording" in exc.value.message
    body = meeting_body(_spec())
    del body["duration"]  # a scheduled meeting needs its length
    with pytest.raises(ZoomError):
        api.create_meeting("host@x.vn", body)
    assert fake_zoom.meetings == {}
