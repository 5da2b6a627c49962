"""Settings for bench/availability.py: production settings (PostgreSQL from DATABASE_URL),
with huey's queue in memory so that outbox kicks after each booking are enqueued (as in
production) but no worker sends mail or calls providers during the measurement."""

from config.settings import *  # noqa: F403

DEBUG = False
HUEY = {"huey_class": "huey.MemoryHuey", "name": "quorum-bench", "immediate": False, "results": False, "utc": True}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "ERROR"}}

# The booking phase forks client processes: a connection pool (and its threads) must not be
# inherited across fork, so this process keeps plain per-thread connections as before.
DATABASES["default"]["OPTIONS"].pop("pool", None)  # noqa: F405
DATABASES["default"]["CONN_MAX_AGE"] = 60  # noqa: F405
