"""A thin wrapper that makes zoomus 1.2.1 safe to use (see shared/reference/zoom.md).

zoomus stays the verb/path layer; this module owns what it gets wrong:
- one access token per credential set, kept in the Django cache (shared by every web and
  huey process) with its expiry, refreshed under a cache lock shortly before it expires
  and re-fetched once when Zoom answers 124: Zoom invalidates the previous token whenever
  a new one is requested, so a token per worker or per request would break the others;
- a timeout on every call (zoomus ignores its own `timeout=`), the token POST included;
- status checks and error mapping (zoomus never raises): 3001 on delete = already gone,
  429 honours Retry-After / X-RateLimit-*, 4700/4711 and bad credentials are
  configuration errors (not retried; surfaced to admins);
- refuses to run inside a database transaction (a slow Zoom must not hold row locks).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from zoomus import ZoomClient
from zoomus import util as zoomus_util
from zoomus.client import COMPONENT_CLASSES

from config import metrics
from integrations.online.registry import ProviderError

log = logging.getLogger(__name__)

DEFAULT_API = "https://api.zoom.us/v2"
REFRESH_MARGIN = 120  # seconds before expiry at which the shared token is replaced
LOCK_SECONDS = 30
CONFIG_ERROR_KEY = "zoom:config-error"


class ZoomError(ProviderError):
    def __init__(self, message: str, *, status: int = 0, code: int | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.status = status
        self.code = code


def in_transaction() -> bool:
    """True inside an atomic block (the ones pytest-django wraps tests in do not count)."""
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


@dataclass(frozen=True)
class Credentials:
    account_id: str
    client_id: str
    client_secret: str
    api_base: str
    token_url: str
    timeout: float

    @classmethod
    def from_settings(cls) -> Credentials:
        return cls(
            account_id=settings.ZOOM_ACCOUNT_ID,
            client_id=settings.ZOOM_CLIENT_ID,
            client_secret=settings.ZOOM_CLIENT_SECRET,
            api_base=settings.ZOOM_API_BASE_URL.rstrip("/"),
            token_url=settings.ZOOM_OAUTH_TOKEN_URL,
            timeout=float(settings.ZOOM_TIMEOUT),
        )

    @property
    def configured(self) -> bool:
        return bool(self.account_id and self.client_id and self.client_secret)

    @property
    def cache_key(self) -> str:
        ident = f"{self.token_url}|{self.account_id}|{self.client_id}".encode()
        return "zoom:token:" + hashlib.sha256(ident).hexdigest()[:24]


class _Client(ZoomClient):
    """zoomus's client without the token request its __init__ makes (no timeout, no
    status check, and it would invalidate every other process's token)."""

    def __init__(self, token: str, base_uri: str, timeout: float) -> None:
        zoomus_util.ApiClient.__init__(self, base_uri=base_uri, timeout=timeout)
        self.components = COMPONENT_CLASSES[zoomus_util.API_VERSION_2].copy()
        self.config = {
            "client_id": None, "client_secret": None, "api_account_id": None, "data_type": "json",
            "version": zoomus_util.API_VERSION_2, "base_uri": base_uri, "oauth_uri": None, "token": token,
        }
        for key, component in self.components.items():
            self.components[key] = component(base_uri=base_uri, config=self.config, timeout=timeout)
        # zoomus builds its components with a fixed 15 s timeout: set ours on each.
        for component in self.components.values():
            component.timeout = timeout


def _seconds_until(value: str) -> float | None:
    value = value.strip()
    try:
        number = float(value)
    except ValueError:
        number = None
    if number is not None:
        # Seconds to wait, or an epoch timestamp (seconds or ms).
        if number > 1e11:
            number /= 1000
        return max(0.0, number - time.time()) if number > 1e9 else number
    moment: datetime | None = None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - timezone.now()).total_seconds())


def retry_after(resp: requests.Response) -> float:
    """How long to wait after a 429 (Retry-After, else X-RateLimit-Reset, else by type)."""
    for header in ("Retry-After", "X-RateLimit-Reset"):
        if resp.headers.get(header):
            seconds = _seconds_until(resp.headers[header])
            if seconds is not None:
                return max(1.0, seconds)
    if resp.headers.get("X-RateLimit-Type", "").lower().startswith("daily"):
        return seconds_to_utc_midnight()
    return 2.0


def seconds_to_utc_midnight() -> float:
    now = timezone.now().astimezone(UTC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=5, microsecond=0)
    return (midnight - now).total_seconds()


def _body(resp: requests.Response) -> dict[str, Any]:
    try:
        data = resp.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def configuration_problem() -> str | None:
    """The last configuration error Zoom gave (kept 10 minutes), so secretaries are told
    to choose another provider instead of booking rooms that cannot be created."""
    return cache.get(CONFIG_ERROR_KEY)


class ZoomAPI:
    def __init__(self, creds: Credentials | None = None) -> None:
        self.creds = creds or Credentials.from_settings()

    # --- token -------------------------------------------------------------------------

    def _fetch_token(self) -> dict[str, Any]:
        c = self.creds
        basic = base64.b64encode(f"{c.client_id}:{c.client_secret}".encode()).decode()
        try:
            resp = requests.post(
                c.token_url,
                data={"grant_type": "account_credentials", "account_id": c.account_id},
                headers={"Authorization": f"Basic {basic}"},
                timeout=c.timeout,
            )
        except requests.RequestException as exc:
            raise ZoomError(_("Không kết nối được máy chủ cấp quyền của Zoom: %(e)s") % {"e": type(exc).__name__},
                            temporary=True) from None
        data = _body(resp)
        if resp.status_code == 200 and data.get("access_token"):
            return {
                "access_token": data["access_token"],
                "expires_at": time.time() + float(data.get("expires_in", 3599)),
                "api_url": data.get("api_url", ""),
            }
        if resp.status_code in (400, 401, 403):
            message = _(
                "Zoom từ chối thông tin xác thực (ZOOM_ACCOUNT_ID / ZOOM_CLIENT_ID / ZOOM_CLIENT_SECRET): %(r)s. "
                "Quản trị viên cần kiểm tra ứng dụng Server-to-Server OAuth; trong lúc chờ, hãy chọn Jitsi hoặc đường link."
            ) % {"r": data.get("reason") or data.get("error") or resp.status_code}
            cache.set(CONFIG_ERROR_KEY, message, 600)
            raise ZoomError(message, status=resp.status_code, configuration=True)
        raise ZoomError(_("Máy chủ cấp quyền của Zoom trả lỗi HTTP %(s)s.") % {"s": resp.status_code},
                        status=resp.status_code, temporary=True, retry_after=retry_after(resp) if resp.status_code == 429 else None)

    def _fresh(self, entry: dict[str, Any] | None, reject: str | None) -> bool:
        return bool(entry) and entry["access_token"] != reject and entry["expires_at"] - time.time() > REFRESH_MARGIN

    def token(self, reject: str | None = None) -> dict[str, Any]:
        """The shared token; a new one only if it is missing, about to expire, or `reject`
        (the one Zoom just refused) is still the cached one."""
        key = self.creds.cache_key
        entry = cache.get(key)
        if self._fresh(entry, reject):
            return entry
        lock = key + ":lock"
        deadline = time.monotonic() + LOCK_SECONDS
        while True:
            if cache.add(lock, "1", LOCK_SECONDS):
                try:
                    entry = cache.get(key)  # another process may have refreshed meanwhile
                    if self._fresh(entry, reject):
                        return entry
                    entry = self._fetch_token()
                    cache.set(key, entry, max(1, int(entry["expires_at"] - time.time())))
                    cache.delete(CONFIG_ERROR_KEY)
                    return entry
                finally:
                    cache.delete(lock)
            entry = cache.get(key)
            if self._fresh(entry, reject):
                return entry
            if time.monotonic() > deadline:
                raise ZoomError(_("Chờ token Zoom quá lâu."), temporary=True)
            time.sleep(0.05)  # another process is fetching the token: poll the cache

    def _base(self, entry: dict[str, Any]) -> str:
        # Accounts in a regional data centre must use the api_url their token names.
        if self.creds.api_base == DEFAULT_API and entry.get("api_url"):
            return entry["api_url"].rstrip("/") + "/v2"
        return self.creds.api_base

    # --- calls -------------------------------------------------------------------------

    def call(self, op: str, fn: Callable[[_Client], requests.Response], ok: tuple[int, ...]) -> requests.Response:
        if in_transaction():
            raise RuntimeError("Zoom must not be called inside a database transaction.")
        if not self.creds.configured:
            raise ZoomError(
                _("Zoom chưa được cấu hình (ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET). Hãy chọn Jitsi hoặc đường link."),
                configuration=True,
            )
        rejected: str | None = None
        for attempt in range(2):
            entry = self.token(reject=rejected)
            client = _Client(entry["access_token"], self._base(entry), self.creds.timeout)
            try:
                resp = fn(client)
            except requests.Timeout:
                metrics.ZOOM_ERRORS.labels(op, "timeout").inc()
                raise ZoomError(_("Zoom không trả lời kịp (%(op)s).") % {"op": op}, temporary=True) from None
            except requests.RequestException as exc:
                metrics.ZOOM_ERRORS.labels(op, "network").inc()
                raise ZoomError(_("Không kết nối được Zoom (%(op)s): %(e)s") % {"op": op, "e": type(exc).__name__},
                                temporary=True) from None
            if resp.status_code in ok:
                return resp
            code = _body(resp).get("code")
            if resp.status_code == 401 and code == 124 and attempt == 0:
                rejected = entry["access_token"]  # expired or replaced: fetch once more
                continue
            error = self._error(op, resp)
            metrics.ZOOM_ERRORS.labels(op, str(resp.status_code)).inc()
            if resp.status_code == 429:
                metrics.ZOOM_RATE_LIMIT_WAITS.inc()
                metrics.ZOOM_RATE_LIMIT_SECONDS.inc(error.retry_after or 0)
            raise error
        raise AssertionError("unreachable")

    def _error(self, op: str, resp: requests.Response) -> ZoomError:
        data = _body(resp)
        code = data.get("code")
        message = str(data.get("message") or resp.reason or "")
        status = resp.status_code
        detail = f"Zoom {op}: HTTP {status}" + (f", mã {code}" if code is not None else "") + (f" — {message}" if message else "")
        if status == 429:
            return ZoomError(detail, status=status, code=code, temporary=True, retry_after=retry_after(resp))
        if code in (4700, 4711) or (status == 401 and code != 124):
            text = _("%(d)s. Ứng dụng Zoom thiếu quyền (scope) hoặc sai thông tin xác thực; quản trị viên cần sửa cấu hình.") % {"d": detail}
            cache.set(CONFIG_ERROR_KEY, text, 600)
            return ZoomError(text, status=status, code=code, configuration=True)
        if code in (1001, 1010):
            return ZoomError(_("%(d)s. Tài khoản host không thuộc tài khoản Zoom này; kiểm tra danh sách tài khoản Zoom (host).") % {"d": detail},
                             status=status, code=code, configuration=True)
        if status == 404 and code == 3001:
            return ZoomError(detail, status=status, code=code, gone=True)
        if code == 300 and "maximum" in message.lower():
            return ZoomError(detail, status=status, code=code, temporary=True, retry_after=seconds_to_utc_midnight())
        if status >= 500 or status == 401:
            return ZoomError(detail, status=status, code=code, temporary=True)
        return ZoomError(detail, status=status, code=code)

    def create_meeting(self, host: str, body: dict[str, Any]) -> dict[str, Any]:
        resp = self.call("create", lambda c: c.meeting.create(user_id=host, **body), (201,))
        return _body(resp)

    def get_meeting(self, meeting_id: str) -> dict[str, Any]:
        return _body(self.call("get", lambda c: c.meeting.get(id=meeting_id), (200,)))

    def update_meeting(self, meeting_id: str, changes: dict[str, Any]) -> None:
        self.call("update", lambda c: c.meeting.update(id=meeting_id, **changes), (204,))

    def delete_meeting(self, meeting_id: str) -> bool:
        """True if deleted now, False if it was already gone (3001)."""
        try:
            # zoomus would send Python's False; Zoom wants the string.
            self.call("delete", lambda c: c.meeting.delete(id=meeting_id, schedule_for_reminder="false"), (204,))
        except ZoomError as exc:
            if exc.gone:
                return False
            raise
        return True

    def list_meetings(self, host: str) -> list[dict[str, Any]]:
        resp = self.call("list", lambda c: c.meeting.list(user_id=host, type="upcoming", page_size=300), (200,))
        return list(_body(resp).get("meetings", []))
