#!/usr/bin/env python3
"""Render deploy/nginx/quorum.conf.template: `render_nginx.py --listen 127.0.0.1:8140
--upstream 127.0.0.1:8141 [--upstream …] --static-root DIR --run-dir DIR
[--metrics-allow 10.0.5.20 …] [-o FILE]`. --metrics-allow: addresses or networks of the
Prometheus servers that may reach /metrics (default: this machine only)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent / "nginx" / "quorum.conf.template"
DEFAULTS = {
    "listen": "127.0.0.1:8140",
    "upstream": ["127.0.0.1:8141"],
    "static_root": "/srv/quorum/static",
    "run_dir": "/run/quorum",
    "metrics_allow": ["127.0.0.1", "::1"],
}


def render(
    listen: str, upstreams: list[str], static_root: str, run_dir: str, metrics_allow: list[str] | None = None
) -> str:
    lines = "\n".join(f"        server {u} max_fails=3 fail_timeout=10s;" for u in upstreams)
    allow = metrics_allow if metrics_allow is not None else DEFAULTS["metrics_allow"]
    for address in allow:
        if not address or any(c in address for c in " ;{}\n\t"):
            raise SystemExit(f"render_nginx: --metrics-allow {address!r} is not an address or network")
    allow_lines = "\n".join(f"            allow {a};" for a in allow)
    text = TEMPLATE.read_text()
    for key, value in {"LISTEN": listen, "UPSTREAMS": lines, "STATIC_ROOT": static_root.rstrip("/"),
                       "RUN_DIR": run_dir.rstrip("/"), "METRICS_ALLOW": allow_lines}.items():
        text = text.replace("{{" + key + "}}", value)
    if "{{" in text:
        raise SystemExit("render_nginx: the template has a placeholder this script does not know")
    return text


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listen", default=DEFAULTS["listen"])
    parser.add_argument("--upstream", action="append", help="host:port of an app server (repeat)")
    parser.add_argument("--static-root", default=DEFAULTS["static_root"])
    parser.add_argument("--run-dir", default=DEFAULTS["run_dir"])
    parser.add_argument("--metrics-allow", action="append",
                        help="address or network of a Prometheus server allowed to reach /metrics (repeat)")
    parser.add_argument("-o", "--output", help="write here instead of stdout")
    args = parser.parse_args(argv)
    text = render(args.listen, args.upstream or DEFAULTS["upstream"], args.static_root, args.run_dir,
                  args.metrics_allow)
    if args.output:
        Path(args.output).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
