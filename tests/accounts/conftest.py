import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def fresh_rate_limits(db):
    """Rate-limit counters and used TOTP codes live in the cache, which outlives a test."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def mfa_required(settings):
    settings.QUORUM_MFA_REQUIRED = True
