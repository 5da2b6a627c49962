"""The committed nginx configuration is the one `make serve` renders, and nginx accepts it."""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from deploy import render_nginx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def test_committed_config_is_the_rendered_template():
    d = render_nginx.DEFAULTS
    rendered = render_nginx.render(d["listen"], d["upstream"], d["static_root"], d["run_dir"])
    assert (ROOT / "deploy/nginx/quorum.conf").read_text() == rendered, "run deploy/render_nginx.py -o deploy/nginx/quorum.conf"


def test_config_upgrades_websockets_and_limits_bodies_and_time():
    text = render_nginx.render("127.0.0.1:1", ["127.0.0.1:2", "127.0.0.1:3"], "/s", "/r")
    assert "server 127.0.0.1:2 " in text and "server 127.0.0.1:3 " in text
    ws = text[text.index("location /ws/"):]
    assert "proxy_set_header Upgrade $http_upgrade;" in ws and "proxy_set_header Connection $connection_upgrade;" in ws
    for directive in ("client_max_body_size 20m;", "client_body_timeout", "proxy_read_timeout 60s;",
                      "X-Request-ID $request_id", "alias /s/;"):
        assert directive in text


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed (.ci/run installs it)")
def test_nginx_accepts_the_rendered_config(tmp_path):
    conf = tmp_path / "nginx.conf"
    conf.write_text(render_nginx.render(f"127.0.0.1:{free_port()}", ["127.0.0.1:9"], str(tmp_path), str(tmp_path)))
    (tmp_path / "tmp").mkdir()
    result = subprocess.run([NGINX, "-t", "-c", str(conf)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
