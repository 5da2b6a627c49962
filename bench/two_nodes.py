"""Two app "nodes" behind one nginx upstream, sharing PostgreSQL and Redis.

    REDIS_URL=redis://127.0.0.1:6379/4 .venv/bin/python bench/two_nodes.py [--minutes 3]

Node A = `deploy/serve.sh` (nginx :8150 → its uvicorn :8151 and node B's :8152), node B =
`deploy/serve.sh` with NGINX=0 on :8152. BOTH nodes run a huey scheduler on purpose (the
mistake a second node makes); each node also runs a second consumer without one. Shows:

1. presence and live edits cross the nodes: clients on node A's and node B's app servers
   (and through nginx) see each other join, and an edit typed on A reaches B;
2. each periodic job runs once per period, not once per node: the per-minute huey heartbeat
   is counted in both nodes' logs for --minutes minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
import types
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def start(env: dict[str, str], marker: str) -> subprocess.Popen:
    proc = subprocess.Popen([str(ROOT / "deploy/serve.sh")], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        print("  " + line.rstrip(), file=sys.stderr)
        if marker in line:
            return proc
    raise SystemExit("a node did not start")


async def cross_node(world: dict, a: str, b: str, front: str) -> dict:
    from minutes.testing import LiveClient

    def server(port: str) -> types.SimpleNamespace:
        return types.SimpleNamespace(url=f"http://127.0.0.1:{port}", ws_url=f"ws://127.0.0.1:{port}")

    # The secretary edits in two tabs, one on each node; an attendee watches through nginx.
    on_a = await LiveClient(server(a), world["occ"], world["editor"]).connect()
    on_b = await LiveClient(server(b), world["occ"], world["editor"]).connect()
    via_nginx = await LiveClient(server(front), world["occ"], world["cookies"][0]).connect()
    everyone = {on_a.conn, on_b.conn, via_nginx.conn}
    t = time.perf_counter()
    for c in (on_a, on_b, via_nginx):
        await c.wait_for(lambda c=c: everyone <= set(c.presence), timeout=30, what="presence across nodes")
    presence_ms = (time.perf_counter() - t) * 1000
    section = world["section"]
    t = time.perf_counter()
    await on_a.type(section, 0, "Kết luận gõ trên nút A. ")
    await on_b.wait_for(lambda: "nút A" in on_b.text(section), timeout=30, what="A's edit on B")
    edit_ms = (time.perf_counter() - t) * 1000
    await on_b.type(section, len(on_b.text(section)), "Bổ sung từ nút B.")
    await on_a.wait_for(lambda: "nút B" in on_a.text(section), timeout=30, what="B's edit on A")
    await via_nginx.wait_for(lambda: via_nginx.text(section) == on_a.text(section), timeout=30, what="same text")
    text = on_a.text(section)
    for c in (on_a, on_b, via_nginx):
        await c.close()
    return {"presence_across_nodes_ms": round(presence_ms, 1), "edit_a_to_b_ms": round(edit_ms, 1),
            "final_text_identical": True, "text": text}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3)
    parser.add_argument("--port", type=int, default=8150)
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        sys.exit("bench/two_nodes.py needs REDIS_URL.")
    import psycopg

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/quorum")
    name = f"quorum_nodes_{os.getpid()}"
    admin = base.rsplit("/", 1)[0].replace("postgres://", "postgresql://", 1) + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = base.rsplit("/", 1)[0] + "/" + name
    secret = "nodes-" + uuid.uuid4().hex * 2
    tag = f"{os.getpid()}"
    common = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secret, "HUEY_NAME": f"quorum-nodes-{tag}",
              "CHANNELS_PREFIX": f"qnodes{tag}", "CACHE_PREFIX": f"qnodes{tag}", "HUEY_WORKERS": "2"}
    for key in ("QUORUM_TESTING", "HUEY_IMMEDIATE"):
        common.pop(key, None)
    os.environ.update({"DATABASE_URL": url, "SECRET_KEY": secret, "QUORUM_EMBEDDED": "false",
                       "DJANGO_SETTINGS_MODULE": "config.settings", "HUEY_IMMEDIATE": "true", "LOG_LEVEL": "ERROR",
                       "EMAIL_FILE_PATH": "/tmp"})
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from bench.load import seed

    world = seed(types.SimpleNamespace(sockets=3, meetings=0))
    a_port, b_port = args.port + 1, args.port + 2
    nodes = []
    try:
        nodes.append(start({**common, "NGINX": "0", "APP_PORT": str(b_port), "SKIP_SETUP": "1",
                            "SERVE_RUN_DIR": str(ROOT / "var" / "node-b")}, "serve: ready"))
        nodes.append(start({**common, "SERVE_PORT": str(args.port), "APP_PORT": str(a_port),
                            "SERVE_UPSTREAMS": f"127.0.0.1:{a_port} 127.0.0.1:{b_port}",
                            "SERVE_RUN_DIR": str(ROOT / "var" / "node-a")}, "serve: ready"))
        began = time.time()
        result = asyncio.run(cross_node(world, str(a_port), str(b_port), str(args.port)))
        print(json.dumps(result, ensure_ascii=False), file=sys.stderr)
        time.sleep(max(0.0, args.minutes * 60 - (time.time() - began)))  # let the schedulers tick
        runs: Counter[str] = Counter()
        per_node: Counter[str] = Counter()
        for node in ("node-a", "node-b"):
            for i in (1, 2):
                for line in (ROOT / "var" / node / f"huey-{i}.log").read_text().splitlines():
                    if line.startswith("{") and "Executing meetings.tasks.huey_heartbeat" in line:
                        minute = json.loads(line)["ts"][:16]
                        runs[minute] += 1
                        per_node[node] += 1
        enabled = sum("Periodic tasks are enabled" in (ROOT / "var" / n / "huey-1.log").read_text()
                      for n in ("node-a", "node-b"))
        result.update({"schedulers_running": enabled, "heartbeat_runs_per_minute": dict(sorted(runs.items())),
                       "heartbeat_runs_per_node": dict(per_node),
                       "periodic_once_per_minute": bool(runs) and max(runs.values()) == 1})
    finally:
        for node in reversed(nodes):
            os.killpg(node.pid, signal.SIGTERM)
            node.wait(60)
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    result.pop("text", None)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    ok = result["periodic_once_per_minute"] and re.search(r"\d", json.dumps(result["heartbeat_runs_per_minute"]))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
