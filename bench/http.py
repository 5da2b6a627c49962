"""Quorum over real HTTP: uvicorn (2 workers, production settings) on PostgreSQL.

Usage (PostgreSQL and Redis running; nothing is written to the database named in the URL):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/quorum REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python -u bench/http.py

Options: --reuse (a bench database kept by --keep, here or by bench/availability.py),
--keep, --workers 2, --queries 300, --seconds 10, --clients 16, --bookings-per-client 60,
--contested 0.1, --app-dir DIR (serve another checkout, e.g. the code before a change,
from the same database), --env K=V (extra server environment, e.g. DATABASE_POOL=0),
--answers FILE (store the availability answers, or compare with the ones stored).

What it does:
1. Seeds the bench data with bench/availability.py's seeder (400 rooms in 20 units,
   ≥ 200,000 booked occurrences) in BENCH_DATABASE_NAME (default `quorum_bench`).
2. Starts `uvicorn config.asgi:application --workers 2` with production settings
   (DEBUG off, a real secret, PostgreSQL through the pool, Redis for cache and huey; no
   huey consumer runs, so after-commit work is queued, as with a busy worker).
3. Measures over real HTTP (keep-alive connections, Bearer tokens):
   - availability, one client: p50/p95 over --queries questions (a working day in the
     horizon, a 60-minute slot, 5–40 people); and the SQL floor of the same questions
     (one hand-written query, one round trip each, measured here), next to it;
   - the meeting list (`/api/v1/meetings/?limit=50`), the calendar API (one week) and a
     room's ICS feed, one client: p50/p95;
   - availability with --clients keep-alive connections for --seconds: requests/s;
   - bookings: --clients clients (each a unit secretary with its own token) POST meetings
     (bench/availability.py's plans: distinct slots in their unit's rooms and, with
     probability --contested, a slot in a shared hall that everyone wants): bookings/s,
     refusals (409), then a SQL self-join counting double bookings;
   - the peak number of PostgreSQL sessions the servers held (pg_stat_activity, sampled
     every 5 ms), and every non-2xx/409 answer.
The host's load average is printed beside every figure: the machine may be shared.
"""

import sys
from pathlib import Path

if __name__ == "http":
    # Another script in bench/ runs (so bench/ is first on sys.path) and something imports
    # the standard library's `http`: load that under its own name instead of this file.
    import importlib.util
    import sysconfig

    _init = Path(sysconfig.get_paths()["stdlib"]) / "http" / "__init__.py"
    _spec = importlib.util.spec_from_file_location("http", _init, submodule_search_locations=[str(_init.parent)])
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["http"] = _module
    _spec.loader.exec_module(_module)
elif __name__ == "__main__":
    # Run as a script: this folder must not hide the standard `http`; the root goes first.
    _here = Path(__file__).resolve().parent
    sys.path[:] = [str(_here.parent)] + [p for p in sys.path if Path(p or ".").resolve() != _here]
    from bench.http_bench import main

    main()
