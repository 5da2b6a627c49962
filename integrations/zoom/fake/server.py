"""A fake Zoom API served over real HTTP on loopback, for tests and `manage.py fake_zoom`.

What it does like Zoom: `POST /oauth/token` (account_credentials grant, Basic auth;
tokens expire, and a new token invalidates the previous one), `POST/GET
/v2/users/{userId}/meetings`, `GET/PATCH/DELETE /v2/meetings/{id}`, with Zoom's status
codes and error bodies (201, 204, 400+300, 401+124, 404+3001, 404+1001, 429 with
headers). Bodies are validated against fake/schema.py.

Failure switches (`fail()`): "timeout" (answer late), "lost" (do the work, then answer
late: the caller times out although it happened), "500", "429", "429-daily", "scope"
(4711), "down" (close the connection), "revoke" (invalidate the token first).
`revoke_tokens()` invalidates every token.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo, available_timezones

import jsonschema

from integrations.zoom.fake import schema
from integrations.zoom.fake.webhook import WebhookSender, event_payload


@dataclass
class Failure:
    kind: str
    count: int = 1
    path: str = ""  # only requests whose path contains this
    method: str = ""
    retry_after: str = "1"
    delay: float = 2.0
    after: int = 0  # let this many matching requests through first


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class FakeZoom:
    def __init__(
        self,
        *,
        account_id: str = "fake-account",
        client_id: str = "fake-client",
        client_secret: str = "fake-secret",  # noqa: S107 - the fake's demo credential
        token_ttl: int = 3599,
        users: set[str] | None = None,
        webhook_url: str = "",
        webhook_secret: str = "",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.account_id, self.client_id, self.client_secret = account_id, client_id, client_secret
        self.token_ttl = token_ttl
        self.users = users  # None: any user id is a licensed user of the account
        self.meetings: dict[int, dict[str, Any]] = {}
        self.token: str | None = None
        self.token_expires = 0.0
        self.token_grants = 0
        self.requests: list[Request] = []
        self.failures: list[Failure] = []
        self.lock = threading.RLock()
        self._next_id = 81_000_000_000 + secrets.randbelow(900_000_000)
        self.webhook = WebhookSender(webhook_secret, webhook_url) if webhook_url else None
        self._server = ThreadingHTTPServer((host, port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------

    @property
    def root(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_base(self) -> str:
        return self.root + "/v2"

    @property
    def token_url(self) -> str:
        return self.root + "/oauth/token"

    def start(self) -> FakeZoom:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-zoom", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- switches ----------------------------------------------------------------------

    def fail(self, kind: str, count: int = 1, **kw: Any) -> None:
        with self.lock:
            self.failures.append(Failure(kind, count, **kw))

    def heal(self) -> None:
        with self.lock:
            self.failures.clear()

    def revoke_tokens(self) -> None:
        with self.lock:
            self.token = None

    def expire_tokens(self) -> None:
        with self.lock:
            self.token_expires = 0.0

    def calls(self, method: str = "", path: str = "") -> list[Request]:
        with self.lock:
            return [r for r in self.requests if (not method or r.method == method) and path in r.path]

    def _take_failure(self, method: str, path: str) -> Failure | None:
        with self.lock:
            for f in self.failures:
                if f.count > 0 and f.path in path and (not f.method or f.method == method):
                    if f.after > 0:
                        f.after -= 1
                        return None
                    f.count -= 1
                    if f.count == 0:
                        self.failures.remove(f)
                    return f
        return None

    # --- webhooks ----------------------------------------------------------------------

    def send_event(self, event: str, meeting_id: int, participant: dict[str, Any] | None = None, **extra: Any) -> int:
        """Sign and POST a webhook for one of our meetings (like Zoom does)."""
        if self.webhook is None:
            raise RuntimeError("No webhook URL configured for the fake.")
        payload = event_payload(event, self.meetings[int(meeting_id)], self.account_id, participant, **extra)
        return self.webhook.send(payload).status_code

    # --- request handling ----------------------------------------------------------------

    def handle(self, method: str, raw_path: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, str], Any]:
        parts = urlsplit(raw_path)
        path, query = parts.path, parse_qs(parts.query)
        body: Any = None
        if raw:
            if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
                body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            else:
                try:
                    body = json.loads(raw)
                except ValueError:
                    return 400, {}, {"code": 300, "message": "Request Body should be a valid JSON object."}
        with self.lock:
            self.requests.append(Request(method, path, query, body, headers))
        if path.startswith("/_fake/"):
            return self._control(method, path, body)
        if method == "GET" and path[:3] in ("/j/", "/s/"):
            # Where join_url / start_url lead: a stand-in page for local demos.
            role = "host" if path.startswith("/s/") else "participant"
            page = f"<!doctype html><meta charset=utf-8><title>Fake Zoom</title><h1>Fake Zoom meeting {path[3:]}</h1><p>Joined as {role}.</p>"
            return 200, {"Content-Type": "text/html; charset=utf-8"}, page.encode()
        failure = self._take_failure(method, path)
        if failure:
            if failure.kind == "timeout":
                time.sleep(failure.delay)
            elif failure.kind == "500":
                return 500, {}, {"code": 500, "message": "Internal Server Error"}
            elif failure.kind == "429":
                return 429, {"Retry-After": failure.retry_after, "X-RateLimit-Type": "QPS",
                             "X-RateLimit-Limit": "30", "X-RateLimit-Remaining": "0"}, {
                    "code": 429, "message": "You have reached the maximum per-second rate limit for this API. Try again later."}
            elif failure.kind == "429-daily":
                reset = datetime.now(UTC).replace(hour=23, minute=59, second=59).strftime("%Y-%m-%dT%H:%M:%SZ")
                return 429, {"Retry-After": reset, "X-RateLimit-Type": "Daily-limit"}, {
                    "code": 429, "message": "You have reached the maximum daily rate limit for this API."}
            elif failure.kind == "scope":
                return 400, {}, {"code": 4711, "message": "Invalid access token, does not contain scopes:[meeting:write:meeting:admin]."}
            elif failure.kind == "down":
                return -1, {}, None
            elif failure.kind == "revoke":
                self.revoke_tokens()  # e.g. someone requested a token elsewhere: ours is dead
        if path == "/oauth/token" and method == "POST":
            status, hdrs, out = self._token(headers, body or {})
        else:
            status, hdrs, out = self._api(method, path, query, headers, body)
        if failure and failure.kind == "lost":
            time.sleep(failure.delay)  # the work is done, the answer comes too late
        return status, hdrs, out

    def _token(self, headers: dict[str, str], form: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        auth = headers.get("authorization", "")
        try:
            user, _, password = base64.b64decode(auth.removeprefix("Basic ")).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            user = password = ""
        if not auth.startswith("Basic ") or (user, password) != (self.client_id, self.client_secret):
            return 401, {}, {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}
        if form.get("grant_type") != "account_credentials":
            return 400, {}, {"reason": "Unsupported grant type", "error": "unsupported_grant_type"}
        if form.get("account_id") != self.account_id:
            return 400, {}, {"reason": "Invalid account_id", "error": "invalid_request"}
        with self.lock:
            # A new token invalidates the previous one, as on Zoom.
            self.token = secrets.token_urlsafe(24)
            self.token_expires = time.time() + self.token_ttl
            self.token_grants += 1
            token = self.token
        return 200, {}, {"access_token": token, "token_type": "bearer", "expires_in": self.token_ttl,
                         "scope": "meeting:write:admin meeting:read:admin user:read:admin", "api_url": self.root}

    def _api(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: Any) -> tuple[int, dict[str, str], Any]:
        bearer = headers.get("authorization", "").removeprefix("Bearer ")
        with self.lock:
            if self.token is None or bearer != self.token:
                return 401, {}, {"code": 124, "message": "Invalid access token."}
            if time.time() > self.token_expires:
                return 401, {}, {"code": 124, "message": "Access token is expired."}
        segments = [s for s in path.split("/") if s]
        if segments[:1] != ["v2"]:
            return 404, {}, {"code": 404, "message": "Not found"}
        segments = segments[1:]
        if len(segments) == 3 and segments[0] == "users" and segments[2] == "meetings":
            user = segments[1]
            if self.users is not None and user not in self.users:
                return 404, {}, {"code": 1001, "message": "User does not exist: " + user}
            if method == "POST":
                return self._create(user, body)
            if method == "GET":
                mine = [m for m in self.meetings.values() if m["host_id"] == user]
                return 200, {}, {"page_size": 300, "total_records": len(mine), "next_page_token": "",
                                 "meetings": [{k: m[k] for k in ("id", "uuid", "host_id", "topic", "type", "start_time",
                                                                 "duration", "timezone", "agenda", "created_at", "join_url")}
                                              for m in mine]}
        if len(segments) == 2 and segments[0] == "meetings" and segments[1].isdigit():
            meeting = self.meetings.get(int(segments[1]))
            if meeting is None:
                return 404, {}, {"code": 3001, "message": f"Meeting does not exist: {segments[1]}."}
            if method == "GET":
                return 200, {}, meeting
            if method == "DELETE":
                del self.meetings[meeting["id"]]
                return 204, {}, None
            if method == "PATCH":
                return self._update(meeting, body)
        return 404, {}, {"code": 404, "message": "Not found"}

    def _invalid(self, body: Any, spec: dict[str, Any]) -> str | None:
        try:
            jsonschema.validate(body, spec)
        except jsonschema.ValidationError as exc:
            where = ".".join(str(p) for p in exc.absolute_path) or "body"
            return f"Invalid field: {where}: {exc.message}"
        if isinstance(body, dict) and body.get("timezone") and body["timezone"] not in _zones():
            return f"Invalid field: timezone: {body['timezone']}"
        return None

    def _start_utc(self, value: str, tz: str) -> str:
        if value.endswith("Z"):
            return value
        local = datetime.fromisoformat(value).replace(tzinfo=ZoneInfo(tz or "UTC"))
        return local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _create(self, user: str, body: Any) -> tuple[int, dict[str, str], Any]:
        problem = self._invalid(body, schema.CREATE)
        if problem:
            return 400, {}, {"code": 300, "message": problem}
        with self.lock:
            self._next_id += 1
            meeting_id = self._next_id
        password = body.get("password") or secrets.token_hex(3)
        encrypted = secrets.token_urlsafe(16)
        tz = body.get("timezone", "UTC")
        settings = {**body.get("settings", {}), "global_dial_in_numbers": [
            {"country": "VN", "country_name": "Vietnam", "city": "Hanoi", "number": "+84 24 3200 0000", "type": "toll"}]}
        meeting = {
            "id": meeting_id,
            "uuid": base64.b64encode(secrets.token_bytes(16)).decode(),  # may hold / + =, as Zoom's
            "host_id": user,
            "host_email": user if "@" in user else f"{user}@fake.zoom.local",
            "topic": body["topic"],
            "type": body["type"],
            "status": "waiting",
            "start_time": self._start_utc(body["start_time"], tz) if body.get("start_time") else "",
            "duration": body.get("duration", 60),
            "timezone": tz,
            "agenda": body.get("agenda", ""),
            "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "join_url": f"{self.root}/j/{meeting_id}?pwd={encrypted}",
            "start_url": f"{self.root}/s/{meeting_id}?zak={secrets.token_urlsafe(24)}",
            "password": password,
            "h323_password": password,
            "pstn_password": password,
            "encrypted_password": encrypted,
            "settings": settings,
            "pre_schedule": False,
        }
        self.meetings[meeting_id] = meeting
        return 201, {}, meeting

    def _update(self, meeting: dict[str, Any], body: Any) -> tuple[int, dict[str, str], Any]:
        problem = self._invalid(body or {}, schema.UPDATE)
        if problem:
            return 400, {}, {"code": 300, "message": problem}
        body = dict(body or {})
        body.pop("id", None)
        if "settings" in body:
            meeting["settings"] = {**meeting["settings"], **body.pop("settings")}
        if "password" in body:
            meeting["encrypted_password"] = secrets.token_urlsafe(16)
            meeting["join_url"] = f"{self.root}/j/{meeting['id']}?pwd={meeting['encrypted_password']}"
        if "timezone" in body:
            meeting["timezone"] = body.pop("timezone")
        if "start_time" in body:
            meeting["start_time"] = self._start_utc(body.pop("start_time"), meeting["timezone"])
        meeting.update(body)
        return 204, {}, None

    def _control(self, method: str, path: str, body: Any) -> tuple[int, dict[str, str], Any]:
        """Local demo helpers: POST /_fake/events {"event", "meeting_id", "participant"}."""
        if method == "POST" and path == "/_fake/events" and isinstance(body, dict):
            try:
                status = self.send_event(body["event"], int(body["meeting_id"]), body.get("participant"))
            except (KeyError, ValueError, RuntimeError) as exc:
                return 400, {}, {"message": str(exc)}
            return 200, {}, {"webhook_status": status}
        if method == "GET" and path == "/_fake/meetings":
            return 200, {}, {"meetings": list(self.meetings.values())}
        return 404, {}, {"message": "Unknown fake control endpoint"}


_zone_cache: set[str] = set()


def _zones() -> set[str]:
    if not _zone_cache:
        _zone_cache.update(available_timezones())
    return _zone_cache


def _handler_for(fake: FakeZoom) -> Callable[..., BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, extra, out = fake.handle(self.command, self.path, headers, raw)
            if status == -1:  # "down": drop the connection without an answer
                self.close_connection = True
                self.connection.close()
                return
            raw_out = isinstance(out, bytes)
            data = out if raw_out else (b"" if out is None else json.dumps(out).encode())
            try:
                self.send_response(status)
                for k, v in extra.items():
                    self.send_header(k, v)
                if data and not raw_out:
                    self.send_header("Content-Type", "application/json;charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client gave up (timeout injection)

        do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
