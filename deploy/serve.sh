#!/usr/bin/env bash
# The production topology on one machine (`make serve`):
#   nginx :SERVE_PORT  →  uvicorn (WEB_WORKERS processes) :APP_PORT  →  PostgreSQL + Redis
#   two huey consumers; exactly one of them runs the periodic scheduler.
# Every process stops when this script does (Ctrl-C / SIGTERM). Settings (environment):
#   DATABASE_URL, REDIS_URL      default postgres://postgres@127.0.0.1:5432/quorum, redis://127.0.0.1:6379/0
#   SERVE_PORT=8140 APP_PORT=8141 WEB_WORKERS=2 HUEY_WORKERS=4 (threads per consumer)
#   NGINX=1        0 = app node only (no nginx): a second node for SERVE_UPSTREAMS of the first
#   SCHEDULER=1    0 = both consumers run with --no-periodic (a node without a scheduler)
#   SERVE_UPSTREAMS="127.0.0.1:8141 127.0.0.1:8151"   nginx upstream list (default: this node)
#   SKIP_SETUP=1   skip migrate/collectstatic (a second node of an already set-up database)
#   METRICS_TOKEN  Prometheus's bearer token for /metrics; unset = loopback clients only
#   METRICS_ALLOW="10.0.5.20"   further addresses nginx lets reach /metrics (besides loopback)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=${PY:-$ROOT/.venv/bin/python}
SERVE_PORT=${SERVE_PORT:-8140}
APP_PORT=${APP_PORT:-8141}
WEB_WORKERS=${WEB_WORKERS:-2}
export HUEY_WORKERS=${HUEY_WORKERS:-4}
NGINX=${NGINX:-1}
SCHEDULER=${SCHEDULER:-1}
RUN=${SERVE_RUN_DIR:-$ROOT/var/serve-$APP_PORT}
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/quorum}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
export DJANGO_SETTINGS_MODULE=config.settings
export QUORUM_EMBEDDED=false DEBUG=${DEBUG:-false} HUEY_IMMEDIATE=false
export SITE_URL=${SITE_URL:-http://127.0.0.1:$SERVE_PORT}
export ALLOWED_HOSTS=${ALLOWED_HOSTS:-127.0.0.1,localhost}
# This topology listens on plain HTTP on loopback. Behind a TLS-terminating proxy leave both
# unset: production then redirects to HTTPS and sends cookies over HTTPS only.
export SECURE_SSL_REDIRECT=${SECURE_SSL_REDIRECT:-false} SESSION_COOKIE_SECURE=${SESSION_COOKIE_SECURE:-false}
export STATIC_ROOT=${STATIC_ROOT:-$ROOT/var/static}
export LOG_FORMAT=${LOG_FORMAT:-json} ACCESS_LOG=${ACCESS_LOG:-0}
export PROMETHEUS_MULTIPROC_DIR=$RUN/prometheus

say() { echo "serve: $*"; }
die() { echo "serve: $*" >&2; exit 1; }

# --- tools and services ------------------------------------------------------------------
NGINX_BIN=$(command -v nginx || echo /usr/sbin/nginx)
if [ "$NGINX" = 1 ] && [ ! -x "$NGINX_BIN" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing nginx (Debian package)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null
    NGINX_BIN=$(command -v nginx || echo /usr/sbin/nginx)
  else
    die "nginx is not installed: run 'apt-get install nginx' as root, then make serve again."
  fi
fi
[ -x "$PY" ] || die "no virtualenv at $PY: run 'make venv' first."

pg_hostport=$("$PY" -c 'import os,urllib.parse as u; p=u.urlparse(os.environ["DATABASE_URL"]); print(p.hostname or "127.0.0.1", p.port or 5432)')
read -r PGH PGP <<<"$pg_hostport"
if ! pg_isready -q -h "$PGH" -p "$PGP"; then
  if [ "$PGH" = 127.0.0.1 ] || [ "$PGH" = localhost ]; then
    say "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
    for _ in $(seq 1 30); do pg_isready -q -h "$PGH" -p "$PGP" && break; sleep 1; done
  fi
  pg_isready -q -h "$PGH" -p "$PGP" || die "PostgreSQL at $PGH:$PGP does not answer."
fi
redis_hostport=$("$PY" -c 'import os,urllib.parse as u; p=u.urlparse(os.environ["REDIS_URL"]); print(p.hostname or "127.0.0.1", p.port or 6379)')
read -r RH RP <<<"$redis_hostport"
if ! redis-cli -h "$RH" -p "$RP" ping >/dev/null 2>&1; then
  if [ "$RH" = 127.0.0.1 ] || [ "$RH" = localhost ]; then
    say "starting Redis"
    mkdir -p "$ROOT/var/redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$RP" --save "" --appendonly no \
      --dir "$ROOT/var/redis" --logfile "$ROOT/var/redis/redis-$RP.log"
    for _ in $(seq 1 30); do redis-cli -h "$RH" -p "$RP" ping >/dev/null 2>&1 && break; sleep 1; done
  fi
  redis-cli -h "$RH" -p "$RP" ping >/dev/null 2>&1 || die "Redis at $RH:$RP does not answer."
fi

# --- secrets, database, static files ----------------------------------------------------------
mkdir -p "$RUN/tmp" "$ROOT/var"
rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
if [ -z "${SECRET_KEY:-}" ]; then
  [ -s "$ROOT/var/serve-secret-key" ] || "$PY" -c 'import secrets; print(secrets.token_urlsafe(50))' >"$ROOT/var/serve-secret-key"
  SECRET_KEY=$(cat "$ROOT/var/serve-secret-key"); export SECRET_KEY
fi
if [ "${SKIP_SETUP:-0}" != 1 ]; then
  "$PY" - <<'PYEOF'
import os, urllib.parse as u, psycopg
p = u.urlparse(os.environ["DATABASE_URL"])
name = p.path.lstrip("/")
admin = p._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
with psycopg.connect(admin, autocommit=True) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
        conn.execute(f'CREATE DATABASE "{name}"')
        print(f"serve: created database {name}")
PYEOF
  # lock_timeout: a migration that cannot get its lock fails fast instead of queueing every
  # booking behind it (run `manage.py check_migration_locks` before a release).
  PGOPTIONS="-c lock_timeout=${MIGRATE_LOCK_TIMEOUT:-5s}" "$PY" manage.py migrate --no-input -v0
  "$PY" manage.py createcachetable
  "$PY" manage.py collectstatic --no-input -v0
fi

# --- processes ------------------------------------------------------------------------------------
pids=()
cleanup() {
  trap - INT TERM EXIT
  say "stopping"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 0' INT TERM

"$PY" -m uvicorn config.asgi:application --host 127.0.0.1 --port "$APP_PORT" --workers "$WEB_WORKERS" \
  --proxy-headers --forwarded-allow-ips 127.0.0.1 --lifespan off --no-access-log --backlog 2048 \
  --ws-ping-interval 20 --ws-ping-timeout 20 --timeout-graceful-shutdown 20 \
  >"$RUN/uvicorn.log" 2>&1 &
pids+=($!)
# --logfile /dev/null: huey adds its own text handler; our JSON handler (LOGGING) keeps the records.
periodic_flag=""
[ "$SCHEDULER" = 1 ] || periodic_flag="--no-periodic"
"$PY" manage.py run_huey -w "$HUEY_WORKERS" -k thread --logfile /dev/null $periodic_flag >"$RUN/huey-1.log" 2>&1 &
pids+=($!)
"$PY" manage.py run_huey -w "$HUEY_WORKERS" -k thread --logfile /dev/null --no-periodic >"$RUN/huey-2.log" 2>&1 &
pids+=($!)

if [ "$NGINX" = 1 ]; then
  upstreams=()
  for u in ${SERVE_UPSTREAMS:-127.0.0.1:$APP_PORT}; do upstreams+=(--upstream "$u"); done
  metrics_allow=()
  for a in 127.0.0.1 ::1 ${METRICS_ALLOW:-}; do metrics_allow+=(--metrics-allow "$a"); done
  "$PY" deploy/render_nginx.py --listen "127.0.0.1:$SERVE_PORT" "${upstreams[@]}" \
    --static-root "$STATIC_ROOT" --run-dir "$RUN" "${metrics_allow[@]}" -o "$RUN/nginx.conf"
  "$NGINX_BIN" -t -q -c "$RUN/nginx.conf" -g "daemon off;" || die "nginx refused $RUN/nginx.conf"
  "$NGINX_BIN" -c "$RUN/nginx.conf" -g "daemon off;" &
  pids+=($!)
  url="http://127.0.0.1:$SERVE_PORT"
else
  url="http://127.0.0.1:$APP_PORT"
fi

# Ready when this node's own app server answers (nginx may also reach other nodes) and nginx does.
for _ in $(seq 1 120); do
  curl -fsS -o /dev/null "http://127.0.0.1:$APP_PORT/healthz" 2>/dev/null \
    && curl -fsS -o /dev/null "$url/healthz" 2>/dev/null && break
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || die "a process exited at start: see $RUN/*.log"; done
  sleep 0.5
done
curl -fsS -o /dev/null "$url/healthz" || die "no answer on $url/healthz: see $RUN/*.log"
say "ready on $url  (app :$APP_PORT ×$WEB_WORKERS workers, huey ×2 (scheduler: $([ "$SCHEDULER" = 1 ] && echo consumer 1 || echo none)), logs in $RUN)"
wait -n "${pids[@]}" || true
die "a process stopped unexpectedly: see $RUN/*.log"
