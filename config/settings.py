"""Quorum settings: one file, driven by environment variables.

With no environment at all Quorum runs embedded: SQLite (WAL), the in-memory channel
layer, huey on SQLite, mail to the console. DATABASE_URL and REDIS_URL switch to the
production topology (PostgreSQL, channels-redis, RedisHuey, Redis cache).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "quorum-dev-only-insecure-key"  # noqa: S105 - refused in production below


def envbool(name: str, default: str) -> bool:
    value = os.getenv(name, default).strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envint(name: str, default: int) -> int:
    value = os.getenv(name, str(default))
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.getenv(name, default).split(",") if item.strip()]


TESTING = "pytest" in sys.modules or envbool("QUORUM_TESTING", "false")
DEBUG = envbool("DEBUG", "false")
SECRET_KEY = os.getenv("SECRET_KEY", DEV_SECRET_KEY)
# Embedded mode is the laptop/demo configuration; without it a real secret is mandatory.
EMBEDDED = envbool("QUORUM_EMBEDDED", "true" if not os.getenv("DATABASE_URL") else "false")
if SECRET_KEY == DEV_SECRET_KEY and not (DEBUG or EMBEDDED or TESTING):
    raise ImproperlyConfigured(
        "SECRET_KEY is the development key: set SECRET_KEY to a long random value in production."
    )

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")
# Absolute links in e-mail: SITE_URL, else the address `make run` serves (HOST/PORT).
_site_host = os.getenv("HOST", "") if os.getenv("HOST", "") not in ("", "0.0.0.0", "::") else "127.0.0.1"  # noqa: S104 - not a bind: a wildcard host is no link
SITE_URL = (os.getenv("SITE_URL") or f"http://{_site_host}:{os.getenv('PORT') or '8000'}").rstrip("/")


INSTALLED_APPS = [
    "daphne",  # makes `runserver` the ASGI (HTTP + WebSocket) development server
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "channels",
    "huey.contrib.djhuey",
    "django_htmx",  # request.htmx, for partial page updates
    "allauth",
    "allauth.account",
    "accounts",
    "meetings",
    "integrations",
    "integrations.calendar.apps.InvitationsConfig",  # iTIP/iMIP invitations, answers, reminders, ICS feeds
    "minutes",
    "archive",  # minutes sign-off, NĐ 30/2020 documents, signatures, leadership archive
    "integrations.online",  # online rooms: provider interface, lifecycle, join links
    "integrations.zoom",
    "integrations.jitsi",
    "integrations.link",
    "workspace",  # calendar, rooms, room admins' queue and request e-mails
    "drf_spectacular_sidecar",  # Swagger UI / Redoc files installed with the app (no CDN)
]
if os.getenv("DATABASE_URL", "").startswith("postgres"):
    INSTALLED_APPS.append("django.contrib.postgres")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves /static/ from the app server itself (uvicorn/daphne), so no separate web
    # server is required; a reverse proxy may still serve STATIC_ROOT directly.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "meetings.audit.ActorMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "meetings.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
# Embedded default: SQLite in WAL mode. Every atomic block starts with BEGIN IMMEDIATE so
# the booking engine's check-then-insert runs under the write lock (no double booking).
DATA_DIR = Path(os.getenv("QUORUM_DATA_DIR", BASE_DIR / "var"))
if os.getenv("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.getenv(
        "TEST_DATABASE_NAME", "test_quorum"
    )
    if DATABASES["default"]["ENGINE"].endswith("postgresql") and os.getenv("DATABASE_PREPARED", "1") == "1":
        # Server-side parameters; prepared statements only in the booking and availability
        # views (config/sqlplans.py): PostgreSQL parses and plans their statements once per
        # connection (a third of the database CPU of a booking), while the reads are planned
        # for their values. DATABASE_PREPARED=0 turns both off, e.g. behind PgBouncer.
        DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=None)
        QUORUM_PREPARE_THRESHOLD: int | None = 5
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.getenv("SQLITE_PATH", str(DATA_DIR / "quorum.sqlite3")),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # A file (not :memory:) so live-server and multi-thread tests share one DB.
            "TEST": {"NAME": os.getenv("SQLITE_TEST_PATH", str(DATA_DIR / "test.sqlite3"))},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")

# --- Redis: channels, huey, cache -----------------------------------------------------
REDIS_URL = os.getenv("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py 8 defaults socket_timeout to 5 s while channels-redis blocks for 5 s
                # on BZPOPMIN: every idle consumer would crash (channels_redis#422).
                # redis-py 8 also caps a pool at 100 connections and then fails at once
                # (MaxConnectionsError): ~100 sockets in one room's burst of group_send hit it.
                "hosts": [{"address": REDIS_URL, "socket_timeout": 10,
                           "max_connections": envint("REDIS_MAX_CONNECTIONS", 2000)}],
                "prefix": os.getenv("CHANNELS_PREFIX", "quorum"),
                "group_expiry": 86400,
                # A consumer's queue: when full, channels-redis drops group messages silently.
                # One minutes page of 300 people joining at once queues ~300 presence events.
                "capacity": envint("CHANNELS_CAPACITY", 1500),
                "expiry": 60,
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "config.cache.QuorumRedisCache",  # Django's, one client per pool
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.getenv("CACHE_PREFIX", "quorum"),
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {
        "default": {
            # The DB cache is shared by every process of one machine (web + huey worker),
            # which the Zoom token and rate limits need; locmem would not be.
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "quorum_cache",
        }
    }

HUEY_IMMEDIATE = envbool("HUEY_IMMEDIATE", "true" if TESTING else "false")
if REDIS_URL:
    HUEY: dict[str, Any] = {
        # RedisHuey + one enqueue per periodic task per minute across nodes (config/hueyclass.py).
        "huey_class": "config.hueyclass.ClusterRedisHuey",
        "name": os.getenv("HUEY_NAME", "quorum"),
        "url": REDIS_URL,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "quorum",
        "filename": os.getenv("HUEY_SQLITE_PATH", str(DATA_DIR / "huey.sqlite3")),
    }
HUEY.update(
    {
        "immediate": HUEY_IMMEDIATE,
        "results": False,
        "utc": True,
        # HUEY_WORKER_TYPE=process lets CPU-bound work (invitation mail) use every core.
        "consumer": {"workers": envint("HUEY_WORKERS", 2), "worker_type": os.getenv("HUEY_WORKER_TYPE", "thread")},
    }
)

# --- Auth -----------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "accounts.adapters.InviteOnlyAccountAdapter"
LOGIN_REDIRECT_URL = "/"
LOGIN_URL = "/accounts/login/"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", "false")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- I18N: Vietnamese first, one time zone everywhere ----------------------------------
LANGUAGE_CODE = os.getenv("LANGUAGE_CODE", "vi")
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
# locale/: the project's catalogues (msgids are Vietnamese; `make makemessages` writes here).
# config/vendor_locale/: hand-kept Vietnamese for English msgids of Django, allauth and DRF that
# their own catalogues lack (not named "locale", so makemessages never touches it). Compiled by `make messages`.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "config" / "vendor_locale"]
TIME_ZONE = os.getenv("TIME_ZONE", "Asia/Ho_Chi_Minh")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.getenv("STATIC_ROOT", BASE_DIR / "var" / "static"))
# static/quorum: the site's own stylesheet; static/vendor: npm packages copied by `make static`.
STATICFILES_DIRS = [BASE_DIR / "static"]
# Production runs `manage.py collectstatic` at deploy; the embedded default and tests serve
# straight from the apps' static folders.
WHITENOISE_USE_FINDERS = DEBUG or EMBEDDED or TESTING
if EMBEDDED or TESTING:
    # The embedded default keeps its SQLite files and static root in var/: make sure it exists.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# --- Mail -----------------------------------------------------------------------------
# SMTP whenever EMAIL_HOST is set (also in embedded mode); otherwise the console, or a
# folder when EMAIL_FILE_PATH is set. (Django 6.1 configures mail through MAILERS.)
_email_host = os.getenv("EMAIL_HOST", "")
_email_file_path = os.getenv("EMAIL_FILE_PATH", "")
if _email_host:
    _mailer: dict[str, Any] = {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": _email_host,
            "port": envint("EMAIL_PORT", 25),
            "username": os.getenv("EMAIL_HOST_USER", ""),
            "password": os.getenv("EMAIL_HOST_PASSWORD", ""),
            "use_tls": envbool("EMAIL_USE_TLS", "false"),
            "use_ssl": envbool("EMAIL_USE_SSL", "false"),
            "timeout": envint("EMAIL_TIMEOUT", 20),
        },
    }
elif _email_file_path:
    _mailer = {
        "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "OPTIONS": {"file_path": _email_file_path},
    }
else:
    _mailer = {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
MAILERS = {"default": _mailer}
DEFAULT_FROM_EMAIL = os.getenv("DEFAULT_FROM_EMAIL", "Quorum <lichhop@quorum.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- API ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "meetings.api.errors.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Quorum API",
    "DESCRIPTION": "Meetings, rooms and availability for the Department of Health and its units.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and Redoc from drf-spectacular-sidecar's static files: hospital networks may be closed.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Quorum rules ---------------------------------------------------------------------
# QĐ 45/2018/QĐ-TTg: invitations at least this many working days ahead unless urgent.
QUORUM_MIN_NOTICE_WORKING_DAYS = envint("QUORUM_MIN_NOTICE_WORKING_DAYS", 3)
QUORUM_MAX_OCCURRENCES = 500
QUORUM_AUDIT_ENABLED = True

# Live minutes (minutes/): presence expiry (heartbeats every TTL/3), revision cadence, socket limits.
MINUTES_PRESENCE_TTL = float(os.getenv("MINUTES_PRESENCE_TTL", "45"))
MINUTES_REVISION_INTERVAL = envint("MINUTES_REVISION_INTERVAL", 180)
MINUTES_WS_MAX_BYTES = envint("MINUTES_WS_MAX_BYTES", 256 * 1024)
MINUTES_WS_RATE = envint("MINUTES_WS_RATE", 50)
MINUTES_WS_BURST = envint("MINUTES_WS_BURST", 200)
MINUTES_PRESENCE_PREFIX = os.getenv("CHANNELS_PREFIX", "quorum")

# --- Minutes sign-off, documents, signatures, archive (archive/) ------------------------
# Fonts embedded in the NĐ 30/2020 PDF: DejaVu Serif (Debian fonts-dejavu-core, installed by
# .ci/run and checked by `make fonts`) has every Vietnamese letter with its tone marks.
ARCHIVE_FONT_DIR = os.getenv("ARCHIVE_FONT_DIR", "/usr/share/fonts/truetype/dejavu")
# Where the documents are issued ("Sơn La, ngày … tháng … năm …") and the province heading.
ARCHIVE_PLACE = os.getenv("ARCHIVE_PLACE", "Sơn La")
# PEM files of the certificate authorities whose signatures count as valid (comma-separated);
# the CA certificates inside the configured PKCS#12 bundles are trusted as well.
ARCHIVE_TRUST_ROOTS = [p for p in os.getenv("ARCHIVE_TRUST_ROOTS", "").split(",") if p]
# Working days before the due date on which the secretary is reminded.
ARCHIVE_REMIND_DAYS_BEFORE = envint("ARCHIVE_REMIND_DAYS_BEFORE", 1)

# --- Online rooms (integrations/online, zoom, jitsi, link) -----------------------------
# Provider used for an online/hybrid meeting when neither the secretary nor the unit chose one.
ONLINE_DEFAULT_PROVIDER = os.getenv("ONLINE_DEFAULT_PROVIDER", "jitsi")
# ZOOM_FAKE=1 points Zoom at the loopback fake (`manage.py fake_zoom`, port ZOOM_FAKE_PORT)
# with demo credentials, so the whole Zoom flow can be seen without a Zoom account.
ZOOM_FAKE = envbool("ZOOM_FAKE", "false")
ZOOM_FAKE_PORT = envint("ZOOM_FAKE_PORT", 8765)
_zoom_fake_root = f"http://127.0.0.1:{ZOOM_FAKE_PORT}"
# A Server-to-Server OAuth app of the department's Zoom account; empty = Zoom not offered.
ZOOM_ACCOUNT_ID = os.getenv("ZOOM_ACCOUNT_ID", "fake-account" if ZOOM_FAKE else "")
ZOOM_CLIENT_ID = os.getenv("ZOOM_CLIENT_ID", "fake-client" if ZOOM_FAKE else "")
ZOOM_CLIENT_SECRET = os.getenv("ZOOM_CLIENT_SECRET", "fake-secret" if ZOOM_FAKE else "")
# The app's webhook "Secret Token" (signs POST /integrations/zoom/webhook).
ZOOM_WEBHOOK_SECRET_TOKEN = os.getenv("ZOOM_WEBHOOK_SECRET_TOKEN", "fake-webhook-secret" if ZOOM_FAKE else "")
ZOOM_API_BASE_URL = os.getenv("ZOOM_API_BASE_URL", f"{_zoom_fake_root}/v2" if ZOOM_FAKE else "https://api.zoom.us/v2")
ZOOM_OAUTH_TOKEN_URL = os.getenv("ZOOM_OAUTH_TOKEN_URL", f"{_zoom_fake_root}/oauth/token" if ZOOM_FAKE else "https://zoom.us/oauth/token")
ZOOM_TIMEOUT = envint("ZOOM_TIMEOUT", 10)  # seconds, every Zoom call (token included)
# Jitsi: an unguessable room on this server; JWT only for self-hosted servers with token auth.
JITSI_DOMAIN = os.getenv("JITSI_DOMAIN", "meet.jit.si")
JITSI_APP_ID = os.getenv("JITSI_APP_ID", "")
JITSI_APP_SECRET = os.getenv("JITSI_APP_SECRET", "")

# --- Under load on PostgreSQL (issue 15): connection pool, PgBouncer, API rendering --------
# Under ASGI every request runs in its own thread, so a persistent connection (CONN_MAX_AGE)
# is never reused and lingers until garbage collection: sessions pile up until PostgreSQL
# refuses clients. Django's psycopg pool lends a connection per request and takes it back
# at request end: at most DATABASE_POOL_MAX sessions per process (sizing rule in README:
# processes × max ≤ max_connections − headroom). DATABASE_POOL=0 restores the old
# behaviour (for before/after measurements only).
# DATABASE_PGBOUNCER=1: behind PgBouncer in transaction mode a server session serves many
# clients between transactions, so nothing may outlive a transaction: no prepared
# statements, no server-side binding, no named (server-side) cursors.
# The test process itself runs without the pool: its live servers and racing workers open
# connections from short-lived threads that never hand them back, which would drain a pool.
# The servers the tests start (tests/config/test_connection_pool.py) run with it.
DATABASE_POOL = envbool("DATABASE_POOL", "false" if TESTING else "true")
DATABASE_PGBOUNCER = envbool("DATABASE_PGBOUNCER", "false")
if IS_POSTGRES:
    _db = DATABASES["default"]
    _db.setdefault("OPTIONS", {})
    if DATABASE_POOL:
        _db["CONN_MAX_AGE"] = 0  # the pool keeps the connections (Django requires 0)
        _db["OPTIONS"]["pool"] = {
            "min_size": envint("DATABASE_POOL_MIN", 2),
            "max_size": envint("DATABASE_POOL_MAX", 4),
            # Seconds a request waits for a free connection before it fails.
            "timeout": float(os.getenv("DATABASE_POOL_TIMEOUT", "10")),
            # Connections are replaced after this long, and closed after idling this long.
            "max_lifetime": float(os.getenv("DATABASE_POOL_MAX_LIFETIME", "1800")),
            "max_idle": float(os.getenv("DATABASE_POOL_MAX_IDLE", "300")),
        }
        from config import pool as _pool  # checks only connections that sat idle (config/pool.py)

        _db["OPTIONS"]["pool"]["check"] = _pool.check
    if DATABASE_PGBOUNCER:
        _db["DISABLE_SERVER_SIDE_CURSORS"] = True  # .iterator() without named cursors
        _db["OPTIONS"].update(server_side_binding=False, prepare_threshold=None)
        QUORUM_PREPARE_THRESHOLD = None
# orjson renders API answers several times faster than the json module (same bytes).
REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = [
    "meetings.api.renderers.ORJSONRenderer",
    "rest_framework.renderers.BrowsableAPIRenderer",
]
# My meetings keeps this many rendered cards per process (meetings/card_cache.py); 0: none.
MY_MEETINGS_CARD_CACHE = envint("MY_MEETINGS_CARD_CACHE", 2048)
# --- end of the issue 15 block ------------------------------------------------------------

# --- Calendar, rooms and the room admins' queue (workspace/) -------------------------------
# Room admins get at most one e-mail per this many minutes listing new booking requests.
WORKSPACE_DIGEST_MINUTES = envint("WORKSPACE_DIGEST_MINUTES", 10)

# --- One e-mail per real change; roll call (issue 16 / issue 9 "E-mail") ---------------
# A new online meeting's invitation waits this long (seconds) for its link, so it is sent
# once, with the link; after it, the invitation goes without and the link follows.
INVITATIONS_LINK_WAIT = envint("INVITATIONS_LINK_WAIT", 120)
# Attendance: joining the online room later than this (minutes) after the start is "late".
MINUTES_LATE_AFTER_MINUTES = envint("MINUTES_LATE_AFTER_MINUTES", 10)

# --- Accounts and security (issue 12) ----------------------------------------------------
# Production = neither embedded, debug nor tests: HTTPS-only cookies, HSTS, SSL redirect
# behind the proxy (D5), and `manage.py check --deploy` reports nothing.
PRODUCTION = not (DEBUG or EMBEDDED or TESTING)
if PRODUCTION and "ALLOWED_HOSTS" not in os.environ:
    ALLOWED_HOSTS = [h for h in ALLOWED_HOSTS if h != "testserver"]
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", "true" if PRODUCTION else "false")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "true" if PRODUCTION else "false")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the load balancer's plain-HTTP health probe
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "true")
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "true")
# The reverse proxy terminates TLS and says so in X-Forwarded-Proto (set it there, always).
if envbool("SECURE_PROXY_SSL_HEADER", "true" if PRODUCTION else "false"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
ALLAUTH_TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0)  # 1 behind one nginx

# Content-Security-Policy (D9), Django's own (django.middleware.csp, the django-csp
# successor merged into Django 6.0; no extra package). No inline scripts anywhere: htmx is
# configured through <meta name="htmx-config">; inline style attributes stay allowed.
from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                  "django.middleware.csp.ContentSecurityPolicyMiddleware")
# A NUL byte in the URL reaches PostgreSQL as text and fails there (500): refuse it first.
MIDDLEWARE.insert(0, "accounts.security.RejectNulMiddleware")

# Password policy (D14): 12 characters at least, not all digits, not a common password.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sessions: 8 hours (a working day) for everyone; privileged roles 2 hours
# (accounts.security.PrivilegedSessionMiddleware).
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 8 * 3600)
# With Redis a session is read from the cache (written to both, the database stays the record):
# every page's session lookup is then a Redis GET, not a PostgreSQL round trip.
SESSION_ENGINE = f"django.contrib.sessions.backends.{'cached_db' if REDIS_URL else 'db'}"
QUORUM_PRIVILEGED_SESSION_AGE = envint("QUORUM_PRIVILEGED_SESSION_AGE", 2 * 3600)

# MFA (allauth.mfa): TOTP + recovery codes; required for privileged roles (D4).
INSTALLED_APPS += [
    "allauth.mfa",
    "allauth.usersessions",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
]
MIDDLEWARE += [
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "accounts.security.PrivilegedSessionMiddleware",
    "accounts.security.MFARequiredMiddleware",
]
# Passkeys (WebAuthn): a second factor after the password, or a sign-in on their own
# (passwordless, with the device's PIN or biometrics). Either TOTP or a passkey counts as
# the MFA that privileged roles must have. Browsers allow WebAuthn on HTTPS and on
# http://localhost only; the relying party id is the site's host name.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
# Only for a development server reached over plain HTTP on a name other than localhost.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = envbool("MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN", "false")
MFA_TOTP_ISSUER = os.getenv("MFA_TOTP_ISSUER", "Quorum")
MFA_RECOVERY_CODES_SHOW_ONCE = True
# Rate limits (login, password reset, MFA codes: allauth counts MFA failures as
# login_failed). They live in the cache: Redis in production, so shared by every process.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "10/m/ip,3/5m/key",
    "reset_password_from_key": "10/m/ip",
    "reauthenticate": "10/m/user",
}
# Last-seen tracking would cost an UPDATE on every request; the login time and IP suffice.
USERSESSIONS_TRACK_ACTIVITY = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False

# Invitations to set a password (no public sign-up): signed, expire after this many hours.
QUORUM_INVITATION_MAX_AGE_HOURS = envint("QUORUM_INVITATION_MAX_AGE_HOURS", 72)

# Single sign-on (optional): OpenID Connect, e.g. the province's Keycloak. Configured only
# from the environment; an SSO login is matched to an existing account by verified e-mail
# and never creates one (accounts.adapters.ExistingUsersOnlySocialAdapter).
SOCIALACCOUNT_ADAPTER = "accounts.adapters.ExistingUsersOnlySocialAdapter"
SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_PROVIDERS: dict[str, Any] = {"openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": []}}
if os.getenv("OIDC_SERVER_URL"):
    SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"].append({
        "provider_id": os.getenv("OIDC_PROVIDER_ID", "sso"),
        "name": os.getenv("OIDC_NAME", "Đăng nhập một lần (SSO)"),
        "client_id": os.environ.get("OIDC_CLIENT_ID", ""),
        "secret": os.environ.get("OIDC_CLIENT_SECRET", ""),
        "settings": {
            "server_url": os.environ["OIDC_SERVER_URL"],
            "token_auth_method": os.getenv("OIDC_TOKEN_AUTH_METHOD", "client_secret_basic"),
            # Trust the IdP's verified e-mail to find the existing account.
            "email_authentication": True,
        },
    })

# DRF: a JSON parser that answers deeply nested bodies with 400 (D8); limit capped (D15).
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = [
    "meetings.api.parsers.SafeJSONParser",
    "rest_framework.parsers.FormParser",
    "rest_framework.parsers.MultiPartParser",
]
REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"] = "meetings.api.pagination.CappedLimitOffsetPagination"
# Privileged users must enrol in MFA before using the app. Always on outside tests; the
# suite turns it on where it tests it (other tests log users in directly). The demo seed
# enrols its privileged users with a TOTP secret that `manage.py demo_logins` prints.
QUORUM_MFA_REQUIRED = envbool("QUORUM_MFA_REQUIRED", "false" if TESTING else "true")
if PRODUCTION and not QUORUM_MFA_REQUIRED:
    raise ImproperlyConfigured("QUORUM_MFA_REQUIRED cannot be turned off in production.")
MFA_ADAPTER = "accounts.adapters.QuorumMFAAdapter"
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {
    "MeetingStatusEnum": "meetings.models.Meeting.Status",
    "OccurrenceStatusEnum": "meetings.models.Occurrence.Status",
    "BookingStatusEnum": "meetings.models.Booking.Status",
}
# The schema and its docs are for signed-in users (token or session), like the API itself.
SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"] = ["rest_framework.permissions.IsAuthenticated"]
SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"] = [
    "drf_spectacular.hooks.postprocess_schema_enums",
    "meetings.api.schema.add_error_responses",
]

# --- Production operations (issue 13): request ids, JSON logs, probes, metrics, retention ---
# First in the chain: the request id tags every log record; a lost database answers 503.
MIDDLEWARE[:0] = ["config.middleware.RequestIdMiddleware", "config.middleware.NoStoreMiddleware",
                  "config.middleware.DatabaseUnavailableMiddleware"]
# LOG_FORMAT=json (default in production mode) writes one JSON object per line with request_id.
LOG_FORMAT = os.getenv("LOG_FORMAT", "text" if (EMBEDDED or TESTING) else "json")
LOGGING = logging_config(LOG_FORMAT, os.getenv("LOG_LEVEL", "WARNING"),
                         access_log=envbool("ACCESS_LOG", "false"))
# /metrics: with METRICS_TOKEN set, Prometheus sends `Authorization: Bearer <METRICS_TOKEN>`
# (scrape_configs: authorization: {credentials_file: …}); unset, only this machine may read it.
METRICS_TOKEN = os.getenv("METRICS_TOKEN", "")
# /readyz bounds: beyond any of them this node answers 503 and leaves the load balancer.
READY_MAX_QUEUE = envint("READY_MAX_QUEUE", 5000)  # huey tasks waiting
READY_MAX_QUEUE_LAG = envint("READY_MAX_QUEUE_LAG", 120)  # seconds the minute heartbeat ran late
READY_MAX_OUTBOX = envint("READY_MAX_OUTBOX", 1000)  # outbox rows due
READY_MAX_OUTBOX_AGE = envint("READY_MAX_OUTBOX_AGE", 900)  # seconds the oldest due row waits
READY_MAX_FAILED_ROOMS = envint("READY_MAX_FAILED_ROOMS", 50)  # failed online rooms still to come
# Retention: finished outbox rows, failed ones (kept longer for diagnosis), and the
# invitation deliveries of meetings that ended this long ago.
OUTBOX_RETENTION_DAYS = envint("OUTBOX_RETENTION_DAYS", 30)
OUTBOX_FAILED_RETENTION_DAYS = envint("OUTBOX_FAILED_RETENTION_DAYS", 180)
DELIVERY_RETENTION_DAYS = envint("DELIVERY_RETENTION_DAYS", 365)
