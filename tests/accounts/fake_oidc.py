"""A minimal OpenID Connect provider on loopback (discovery, authorize, token, userinfo),
enough for allauth's openid_connect provider. The test decides who "logs in" there."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


class FakeOIDC:
    def __init__(self) -> None:
        self.userinfo: dict[str, Any] = {}
        self.codes: dict[str, dict[str, Any]] = {}
        self.token_requests: list[dict[str, list[str]]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, body: Any, status: int = 200) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:
                path = urlparse(self.path).path
                if path == "/realms/health/.well-known/openid-configuration":
                    base = fake.url
                    self._json({
                        "issuer": base, "authorization_endpoint": f"{base}/auth",
                        "token_endpoint": f"{base}/token", "userinfo_endpoint": f"{base}/userinfo",
                        "jwks_uri": f"{base}/jwks", "response_types_supported": ["code"],
                    })
                elif path == "/userinfo":
                    token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    info = fake.codes.get(token)
                    self._json(info or {"error": "invalid_token"}, 200 if info else 401)
                else:
                    self._json({"error": "not_found"}, 404)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = parse_qs(self.rfile.read(length).decode())
                fake.token_requests.append(form)
                code = form.get("code", [""])[0]
                if urlparse(self.path).path == "/token" and code in fake.codes:
                    self._json({"access_token": code, "token_type": "Bearer", "expires_in": 300})
                else:
                    self._json({"error": "invalid_grant"}, 400)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def issue_code(self, claims: dict[str, Any]) -> str:
        """The user signs in at the provider: a code that stands for these claims."""
        code = f"code-{len(self.codes) + 1}"
        self.codes[code] = claims
        return code

    def __enter__(self) -> FakeOIDC:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
