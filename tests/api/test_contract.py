"""schemathesis against /api/schema/ (D12): every documented operation, a bounded number of
generated cases each, sent through the real WSGI app to the test database, as a secretary
with a personal API token. Checks: no 5xx, status codes and content types the schema
declares, response bodies that validate against the schema.

Bounded and repeatable: QUORUM_SCHEMATHESIS_EXAMPLES cases per operation (default 10),
derandomized (the same cases every run: never flaky), no example database.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import ApiToken

EXAMPLES = int(os.getenv("QUORUM_SCHEMATHESIS_EXAMPLES", "10"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
RUN = {"cases": 0}


@pytest.fixture
def token(org):
    return ApiToken.issue(org.secretary, name="schemathesis")[1]


@pytest.fixture
def keep_connection():
    """Requests go through the WSGI handler, which closes the database connection at the end
    of each request; in a test that would close the test's transaction (the test client
    does the same as this)."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _load() -> schemathesis.schemas.BaseSchema:
    """The schema /api/schema/ serves (generated in-process: no request needed at import)."""
    import json

    from drf_spectacular.generators import SchemaGenerator

    raw = json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), default=str))
    loaded = schemathesis.openapi.from_dict(raw)
    loaded.app = get_wsgi_application()
    return loaded


schema = _load()


def test_the_served_schema_is_the_tested_one(org, client, token):
    served = client.get("/api/schema/?format=json", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert served["paths"].keys() == schema.raw_schema["paths"].keys()
    assert client.get("/api/schema/").status_code in (401, 403)  # signed-in users only


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_matches_its_schema(case, token, keep_connection):
    RUN["cases"] += 1
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)


def test_contract_run_is_reported(capsys):
    """Runs after the generated tests (file order): prints how many cases were sent."""
    operations = sum(1 for _ in schema.get_all_operations())
    with capsys.disabled():
        print(f"\nschemathesis: {RUN['cases']} cases over {operations} operations "
              f"(≤{EXAMPLES} generated per operation)")
    assert operations >= 25
