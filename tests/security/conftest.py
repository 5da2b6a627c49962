import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def fresh_rate_limits(db):
    """Rate-limit counters live in the cache, which outlives a test."""
    cache.clear()
    yield
    cache.clear()
