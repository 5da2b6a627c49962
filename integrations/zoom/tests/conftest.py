import pytest
from django.core.cache import cache

from integrations.online.tests.conftest import emitted  # noqa: F401 - shared fixtures
from integrations.zoom.client import CONFIG_ERROR_KEY, Credentials
from integrations.zoom.fake import FakeZoom
from integrations.zoom.models import ZoomHostAccount
from tests.conftest import api, org  # noqa: F401

WEBHOOK_SECRET = "test-webhook-secret"


@pytest.fixture
def fake_zoom(settings):
    """A fake Zoom on an ephemeral loopback port, with the settings pointing at it."""
    fake = FakeZoom(account_id="acct-1", client_id="cid-1", client_secret="secret-1").start()
    settings.ZOOM_ACCOUNT_ID = "acct-1"
    settings.ZOOM_CLIENT_ID = "cid-1"
    settings.ZOOM_CLIENT_SECRET = "secret-1"
    settings.ZOOM_API_BASE_URL = fake.api_base
    settings.ZOOM_OAUTH_TOKEN_URL = fake.token_url
    settings.ZOOM_WEBHOOK_SECRET_TOKEN = WEBHOOK_SECRET
    settings.ZOOM_TIMEOUT = 1
    cache.delete(CONFIG_ERROR_KEY)
    # With Redis the cache outlives a test; a fake that reuses an earlier fake's port would
    # otherwise meet that fake's (now unknown) token and log an extra 401/124 round trip.
    token_key = Credentials.from_settings().cache_key
    cache.delete(token_key)
    yield fake
    fake.stop()
    cache.delete(CONFIG_ERROR_KEY)
    cache.delete(token_key)


@pytest.fixture
def zoom_host(db):
    return ZoomHostAccount.objects.create(zoom_user_id="host1@soyte.vn", email="host1@soyte.vn")
