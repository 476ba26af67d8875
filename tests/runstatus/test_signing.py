"""Signed requests to the Runstatus API: every way a signature, a date or a key can fail."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from heliograph.accounts.models import User
from heliograph.domain.models import Page, Service
from heliograph.runstatus import signing
from heliograph.runstatus.models import Credential, SeenSignature
from tests.runstatus.support import ORIGIN, PREFIX, RunstatusClient, exoscale_date, signature

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 29, 0, 59, 30, tzinfo=dt.UTC)


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def detail_of(response: Any) -> str:
    body = response.json()
    assert set(body) == {"detail"}, body
    return str(body["detail"])


def test_signed_get_reads_page(api: RunstatusClient) -> None:
    response = api.get("/pages/acme")

    assert response.status_code == 200
    assert response.json()["subdomain"] == "acme"


def test_unsigned_request_rejected(api: RunstatusClient) -> None:
    response = api.client.get(f"{PREFIX}/pages/acme")

    assert response.status_code == 403
    assert "not signed" in detail_of(response)


@pytest.mark.parametrize("header", [
    "Bearer abc",
    "Exoscale-HMAC-SHA256",
    "Exoscale-HMAC-SHA256 hgrs_abc",
    "Exoscale-HMAC-SHA256 hgrs_abc:nothex",
    "Exoscale-HMAC-SHA256 :" + "0" * 64,
    "Exoscale-HMAC-SHA256 key with spaces:" + "0" * 64,
])
def test_malformed_authorization_rejected(api: RunstatusClient, header: str) -> None:
    response = api.get("/pages/acme", authorization=header)

    assert response.status_code == 403
    assert "Authorization" in detail_of(response)


def test_wrong_secret_rejected(api: RunstatusClient) -> None:
    response = api.get("/pages/acme", secret="not-the-secret")

    assert response.status_code == 403
    assert "signature does not match" in detail_of(response)


def test_signature_over_other_path_rejected(api: RunstatusClient) -> None:
    response = api.get("/pages/acme", signed_url=f"{ORIGIN}{PREFIX}/pages/other")

    assert response.status_code == 403
    assert "signature does not match" in detail_of(response)


def test_signature_over_other_host_rejected(api: RunstatusClient) -> None:
    response = api.get("/pages/acme", signed_url=f"http://evil.example{PREFIX}/pages/acme")

    assert response.status_code == 403


def test_signature_without_query_rejected(api: RunstatusClient, page: Page) -> None:
    response = api.get("/pages/acme/incidents?page=1",
                       signed_url=f"{ORIGIN}{PREFIX}/pages/acme/incidents")

    assert response.status_code == 403


def test_tampered_body_rejected(api: RunstatusClient, page: Page) -> None:
    body = b'{"name": "API"}'
    date = exoscale_date()
    digest = signature(api.secret, f"{ORIGIN}{PREFIX}/pages/acme/services", date, body)

    response = api.client.post(
        f"{PREFIX}/pages/acme/services", data=b'{"name": "Evil"}',
        content_type="application/json",
        headers={"Exoscale-Date": date,
                 "Authorization": f"Exoscale-HMAC-SHA256 {api.key}:{digest}"},
    )

    assert response.status_code == 403
    assert not Service.objects.exists()


def test_uppercase_hex_accepted(api: RunstatusClient) -> None:
    date = exoscale_date()
    digest = signature(api.secret, f"{ORIGIN}{PREFIX}/pages/acme", date).upper()

    response = api.get("/pages/acme", date=date,
                       authorization=f"Exoscale-HMAC-SHA256 {api.key}:{digest}")

    assert response.status_code == 200


def test_base_url_signature_accepted(api: RunstatusClient, settings: Any) -> None:
    """A client behind a proxy signs the public address, not the host the request arrives at."""
    settings.HELIOGRAPH_BASE_URL = "https://status.example.com"

    response = api.get("/pages/acme", signed_url=f"https://status.example.com{PREFIX}/pages/acme")

    assert response.status_code == 200


def test_explicit_default_port_accepted(api: RunstatusClient) -> None:
    response = api.get("/pages/acme", signed_url=f"http://testserver:80{PREFIX}/pages/acme")

    assert response.status_code == 200


def test_utc_date_form_accepted(api: RunstatusClient, clock: Any) -> None:
    response = api.get("/pages/acme", date="2026-03-29T00:59:30Z")

    assert response.status_code == 200


@pytest.mark.parametrize("date", ["2026-03-29T01:59:30+0100", "2026-03-29T02:59:30+0200",
                                  "2026-03-29T02:59:30+02:00"])
def test_offset_date_form_accepted(api: RunstatusClient, clock: Any, date: str) -> None:
    """NOW is one minute before Central Europe moves to summer time: a client still on +0100
    and one already on +0200 name the same instant."""
    response = api.get("/pages/acme", date=date)

    assert response.status_code == 200


def test_negative_offset_accepted(api: RunstatusClient, clock: Any) -> None:
    response = api.get("/pages/acme", date="2026-03-28T19:59:30-0500")

    assert response.status_code == 200


@pytest.mark.parametrize("date", [
    "", "yesterday", "2026-03-29 00:59:30Z", "2026-03-29T00:59:30", "2026-13-29T00:59:30Z",
    "2026-03-29T00:59:30+2500", "1-01-01T00:00:00+0100", "2026-03-29T00:59:30.123Z",
])
def test_malformed_date_rejected(api: RunstatusClient, clock: Any, date: str) -> None:
    response = api.get("/pages/acme", date=date)

    assert response.status_code == 403
    assert "Exoscale-Date" in detail_of(response)


def test_stale_date_rejected(api: RunstatusClient, clock: Any, settings: Any) -> None:
    settings.HELIOGRAPH_RUNSTATUS_MAX_SKEW = 300
    stale = exoscale_date(NOW - dt.timedelta(seconds=301))

    response = api.get("/pages/acme", date=stale)

    assert response.status_code == 403
    assert "more than 300 seconds ago" in detail_of(response)


def test_date_at_skew_limit_accepted(api: RunstatusClient, clock: Any) -> None:
    response = api.get("/pages/acme", date=exoscale_date(NOW - dt.timedelta(seconds=300)))

    assert response.status_code == 200


def test_future_date_rejected(api: RunstatusClient, clock: Any) -> None:
    ahead = exoscale_date(NOW + dt.timedelta(seconds=301))

    response = api.get("/pages/acme", date=ahead)

    assert response.status_code == 403
    assert "ahead of the server's clock" in detail_of(response)


def test_skew_follows_setting(api: RunstatusClient, clock: Any, settings: Any) -> None:
    settings.HELIOGRAPH_RUNSTATUS_MAX_SKEW = 30

    response = api.get("/pages/acme", date=exoscale_date(NOW - dt.timedelta(seconds=31)))

    assert response.status_code == 403
    assert "30 seconds" in detail_of(response)


def test_replayed_write_rejected(api: RunstatusClient, clock: Any, page: Page) -> None:
    date = exoscale_date()
    first = api.post("/pages/acme/services", {"name": "API"}, date=date)

    second = api.post("/pages/acme/services", {"name": "API"}, date=date)

    assert first.status_code == 201
    assert second.status_code == 403
    assert "already received" in detail_of(second)
    assert Service.objects.filter(page=page).count() == 1


def test_replayed_delete_rejected(api: RunstatusClient, clock: Any, page: Page,
                                  add_service: Callable[..., Service]) -> None:
    service = add_service("API")
    date = exoscale_date()
    assert api.delete(f"/pages/acme/services/{service.pk}", date=date).status_code == 204

    replay = api.delete(f"/pages/acme/services/{service.pk}", date=date)

    assert replay.status_code == 403


def test_same_write_next_second_accepted(api: RunstatusClient, clock: Any, page: Page) -> None:
    api.post("/pages/acme/services", {"name": "API"})
    clock.shift(1)

    again = api.post("/pages/acme/services", {"name": "API"})

    assert again.status_code == 400
    assert "already exists" in again.json()["name"][0]


def test_repeated_get_accepted(api: RunstatusClient, clock: Any) -> None:
    date = exoscale_date()

    first = api.get("/pages/acme", date=date)
    second = api.get("/pages/acme", date=date)

    assert first.status_code == 200
    assert second.status_code == 200
    assert not SeenSignature.objects.exists()


def test_replay_record_expires_with_skew(api: RunstatusClient, clock: Any, page: Page) -> None:
    api.post("/pages/acme/services", {"name": "API"})
    assert SeenSignature.objects.count() == 1
    clock.shift(301)

    api.post("/pages/acme/services", {"name": "Website"})

    assert SeenSignature.objects.count() == 1
    remaining = SeenSignature.objects.get()
    assert remaining.expires_at == NOW + dt.timedelta(seconds=301 + 300)


def test_unknown_key_rejected(api: RunstatusClient) -> None:
    stranger = RunstatusClient("hgrs_000000000000000000000000", "whatever")

    response = stranger.get("/pages/acme")

    assert response.status_code == 403
    assert "No API key 'hgrs_000000000000000000000000'" in detail_of(response)


def test_revoked_key_rejected(api: RunstatusClient) -> None:
    Credential.objects.filter(key=api.key).update(revoked_at=timezone.now())

    response = api.get("/pages/acme")

    assert response.status_code == 403
    assert "was revoked" in detail_of(response)


def test_inactive_user_rejected(api: RunstatusClient, owner: User) -> None:
    owner.is_active = False
    owner.save()

    response = api.get("/pages/acme")

    assert response.status_code == 403
    assert "deactivated" in detail_of(response)


def test_secret_unreadable_after_key_change(api: RunstatusClient, settings: Any) -> None:
    settings.SECRET_KEY = "another secret key that is long enough to be accepted"
    settings.SECRET_KEY_FALLBACKS = []

    response = api.get("/pages/acme")

    assert response.status_code == 403
    assert "can no longer read the secret" in detail_of(response)


def test_secret_opens_with_fallback_key(api: RunstatusClient, settings: Any) -> None:
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "another secret key that is long enough to be accepted"
    settings.SECRET_KEY_FALLBACKS = [old]

    assert api.get("/pages/acme").status_code == 200


def test_secret_stored_sealed(api: RunstatusClient) -> None:
    credential = Credential.objects.get(key=api.key)

    assert api.secret not in credential.sealed_secret
    assert credential.secret() == api.secret


def test_use_recorded(api: RunstatusClient, clock: Any) -> None:
    assert Credential.objects.get(key=api.key).last_used_at is None

    api.get("/pages/acme")

    assert Credential.objects.get(key=api.key).last_used_at == NOW


def test_failed_request_not_recorded_as_use(api: RunstatusClient) -> None:
    api.get("/pages/acme", secret="wrong")

    assert Credential.objects.get(key=api.key).last_used_at is None


def test_unknown_path_gets_json_404(api: RunstatusClient) -> None:
    response = api.client.get(f"{PREFIX}/nothing/here")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_method_not_allowed_after_signature(api: RunstatusClient) -> None:
    unsigned = api.client.put(f"{PREFIX}/pages/acme")
    signed = api.send("PUT", "/pages/acme")

    assert unsigned.status_code == 403
    assert signed.status_code == 405
    assert signed["Allow"] == "DELETE, GET, PATCH"
    assert "PUT" in detail_of(signed)


def test_no_csrf_check_on_writes(api: RunstatusClient, page: Page) -> None:
    api.client.handler.enforce_csrf_checks = True

    response = api.post("/pages/acme/services", {"name": "API"})

    assert response.status_code == 201


@hypothesis_settings(max_examples=40, deadline=None)
@given(moment=st.datetimes(min_value=dt.datetime(1971, 1, 1), max_value=dt.datetime(9998, 1, 1),
                           timezones=st.just(dt.UTC)),
       minutes=st.integers(min_value=-14 * 60, max_value=14 * 60))
def test_date_forms_name_same_instant(moment: dt.datetime, minutes: int) -> None:
    """Both forms of a date parse to the instant they name, whatever the offset."""
    moment = moment.replace(microsecond=0)
    offset = dt.timezone(dt.timedelta(minutes=minutes))
    local = moment.astimezone(offset).strftime("%Y-%m-%dT%H:%M:%S%z")

    assert signing.parse_date(moment.strftime("%Y-%m-%dT%H:%M:%SZ")) == moment
    assert signing.parse_date(local) == moment


def test_sign_matches_openssl() -> None:
    """A test vector computed with `openssl dgst -sha256 -hmac s3cret` over the same bytes."""
    url = "http://testserver/runstatus/pages/acme/services"

    digest = signing.sign("s3cret", url, "2017-02-02T15:18:46Z", b'{"name": "API"}')

    assert digest == "697c08fd9752aeb3cd743820bffb2a821c2ccf2ad7a91ee9bc9acf637d993af8"
