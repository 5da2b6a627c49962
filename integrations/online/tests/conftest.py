import pytest

from integrations.online.tests.helpers import EmitSpy
from meetings import outbox
from tests.conftest import api, org  # noqa: F401 - shared fixtures


@pytest.fixture
def emitted(monkeypatch):
    spy = EmitSpy()
    monkeypatch.setattr(outbox, "emit", spy)
    return spy
