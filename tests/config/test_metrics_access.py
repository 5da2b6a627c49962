"""/metrics is guarded by Django itself, not only by nginx: a bearer token from the environment
(METRICS_TOKEN, compared in constant time) or, when none is set, clients on this machine only."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

TOKEN = "metrics-test-token-" + "x" * 24


def scrape(remote: str = "127.0.0.1", authorization: str | None = None):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}
    return Client(REMOTE_ADDR=remote).get("/metrics", **headers)


@pytest.mark.parametrize("remote", ["127.0.0.1", "::1", "127.0.0.53"])
def test_without_a_token_a_client_on_this_machine_may_scrape(settings, remote):
    settings.METRICS_TOKEN = ""
    response = scrape(remote)
    assert response.status_code == 200 and b"quorum_http_responses_total" in response.content


@pytest.mark.parametrize("remote", ["198.51.100.7", "10.0.5.20", "2001:db8::1", "not-an-address", ""])
def test_without_a_token_any_other_client_is_refused(settings, remote):
    settings.METRICS_TOKEN = ""
    response = scrape(remote)
    assert response.status_code == 403
    assert b"quorum_" not in response.content
    assert response["Cache-Control"] == "no-store"


def test_a_signed_in_superuser_from_elsewhere_is_refused_too(settings, org):
    from tests.factories import make_user

    settings.METRICS_TOKEN = ""
    client = Client(REMOTE_ADDR="198.51.100.7")
    client.force_login(make_user("root@quorum.test", is_staff=True, is_superuser=True))
    assert client.get("/metrics").status_code == 403


def test_with_a_token_the_right_bearer_token_opens_it_from_anywhere(settings):
    settings.METRICS_TOKEN = TOKEN
    response = scrape("198.51.100.7", f"Bearer {TOKEN}")
    assert response.status_code == 200 and b"quorum_outbox_backlog" in response.content
    assert scrape("198.51.100.7", f"bearer {TOKEN}").status_code == 200  # the scheme is case-insensitive


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer wrong", f"Bearer {TOKEN}x", f"Basic {TOKEN}", TOKEN, f"Bearer {TOKEN[:-1]}"],
)
def test_with_a_token_anything_else_is_refused_even_from_loopback(settings, authorization):
    settings.METRICS_TOKEN = TOKEN
    response = scrape("127.0.0.1", authorization)
    assert response.status_code == 403
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"quorum_" not in response.content


def test_the_token_is_compared_in_constant_time(settings, monkeypatch):
    import hmac

    from config import metrics

    calls = []
    real = hmac.compare_digest
    monkeypatch.setattr(metrics.hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))
    settings.METRICS_TOKEN = TOKEN
    assert scrape("127.0.0.1", "Bearer nope").status_code == 403
    assert calls == [(b"nope", TOKEN.encode())]


def test_nginx_fences_metrics_and_passes_the_real_client_address():
    from deploy import render_nginx

    d = render_nginx.DEFAULTS
    text = render_nginx.render(d["listen"], d["upstream"], d["static_root"], d["run_dir"], ["127.0.0.1", "10.0.5.0/24"])
    block = text[text.index("location = /metrics"):]
    block = block[: block.index("}")]
    assert "allow 127.0.0.1;" in block and "allow 10.0.5.0/24;" in block and "deny all;" in block
    # $remote_addr, not $proxy_add_x_forwarded_for: a client cannot slip "127.0.0.1" in front.
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in block
    with pytest.raises(SystemExit):
        render_nginx.render(d["listen"], d["upstream"], d["static_root"], d["run_dir"], ["1.2.3.4; allow all"])
