"""`/metrics`: the Prometheus text format, what it counts, who may read it, several processes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import huey.contrib.djhuey
import pytest
from django.test import Client
from django.utils import timezone
from huey import SqliteHuey
from prometheus_client.parser import text_string_to_metric_families

from heliograph.domain.models import Page
from heliograph.lib import metrics
from heliograph.notifications.models import Delivery, DeliveryStatus
from tests.operability.support import run_django

PAGE_HOST = "acme.localhost"


Samples = dict[tuple[str, tuple[Any, ...]], float]


def scrape(client: Client | None = None, **headers: Any) -> Samples:
    """Return every sample of a scrape, keyed by name and sorted labels."""
    response = (client or Client(HTTP_HOST="127.0.0.1")).get("/metrics", **headers)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def requests_of(samples: Samples, route: str, status: str = "200") -> float:
    key = ("heliograph_http_requests_total",
           (("method", "GET"), ("route", route), ("status", status)))
    return samples.get(key, 0.0)


@pytest.mark.django_db
def test_counts_requests_by_route(page: Page) -> None:
    before = scrape()
    client = Client(HTTP_HOST=PAGE_HOST)
    for _ in range(3):
        assert client.get("/").status_code == 200
    assert client.get("/incidents/999999").status_code == 404
    after = scrape()
    # At least: the other test processes of the run add to the same scrape.
    assert requests_of(after, "public:front") - requests_of(before, "public:front") >= 3
    assert (requests_of(after, "public:incident", "404")
            - requests_of(before, "public:incident", "404")) >= 1


@pytest.mark.django_db
def test_records_latency_histogram(page: Page) -> None:
    before = scrape()
    Client(HTTP_HOST=PAGE_HOST).get("/history")
    after = scrape()
    count = ("heliograph_http_request_duration_seconds_count", (("route", "public:history"),))
    total = ("heliograph_http_request_duration_seconds_sum", (("route", "public:history"),))
    assert after[count] - before.get(count, 0.0) >= 1
    assert after[total] > before.get(total, 0.0)
    infinite = ("heliograph_http_request_duration_seconds_bucket",
                (("le", "+Inf"), ("route", "public:history")))
    assert after[infinite] == after[count]


@pytest.mark.django_db
def test_counts_public_cache_results() -> None:
    key = ("heliograph_public_cache_total", (("result", "hit"),))
    before = scrape().get(key, 0.0)
    metrics.count_public_cache("hit")
    metrics.count_public_cache("hit")
    assert scrape()[key] - before >= 2


@pytest.mark.django_db
def test_reports_queue_depth(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    queue = SqliteHuey("depth-test", filename=str(tmp_path / "queue.sqlite3"))
    monkeypatch.setattr(huey.contrib.djhuey, "HUEY", queue)

    @queue.task()
    def noop() -> None:
        return None

    for _ in range(3):
        noop()
    # What the consumer does with a task whose time has not come: park it in the schedule.
    queue.add_schedule(noop.s())
    samples = scrape()
    assert samples[("heliograph_queue_tasks", (("state", "pending"),))] == 3
    assert samples[("heliograph_queue_tasks", (("state", "scheduled"),))] == 1


@pytest.mark.django_db
def test_reports_delivery_outcomes(page: Page) -> None:
    outcomes = [("email", DeliveryStatus.SENT)] * 3 + [
        ("email", DeliveryStatus.FAILED), ("webhook", DeliveryStatus.SENT),
        ("webhook", DeliveryStatus.PENDING),
    ]
    for number, (channel, status) in enumerate(outcomes):
        Delivery.objects.create(page=page, channel=channel, recipient=str(number),
                                idempotency_key=f"metrics-{number}", kind="incident",
                                status=status, give_up_at=timezone.now())
    samples = scrape()

    def deliveries(channel: str, status: str) -> float:
        return samples[("heliograph_deliveries", (("channel", channel), ("status", status)))]

    assert deliveries("email", "sent") == 3
    assert deliveries("email", "failed") == 1
    assert deliveries("webhook", "sent") == 1
    assert deliveries("webhook", "pending") == 1


# Access


@pytest.mark.django_db
@pytest.mark.parametrize("address", ["10.0.0.5", "192.168.1.20", "2001:db8::1"])
def test_rejects_other_networks(address: str) -> None:
    response = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR=address).get("/metrics")
    assert response.status_code == 403
    assert b"HELIOGRAPH_METRICS_TOKEN" in response.content
    assert b"heliograph_http_requests_total" not in response.content


@pytest.mark.django_db
def test_rejects_loopback_through_proxy() -> None:
    """A proxy on the same machine connects from 127.0.0.1 on behalf of anyone."""
    response = Client(HTTP_HOST="127.0.0.1").get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert response.status_code == 403


@pytest.mark.django_db
def test_accepts_ipv6_loopback() -> None:
    assert Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="::1").get("/metrics").status_code == 200


@pytest.mark.django_db
def test_token_admits_any_address(settings: Any) -> None:
    settings.HELIOGRAPH_METRICS_TOKEN = "s3cret-scrape-token"
    client = Client(HTTP_HOST="10.1.1.1:8000", REMOTE_ADDR="10.0.0.5")
    assert scrape(client, HTTP_AUTHORIZATION="Bearer s3cret-scrape-token")
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scrape-tokeN")
    assert wrong.status_code == 403
    assert client.get("/metrics").status_code == 403


@pytest.mark.django_db
def test_no_networks_means_token_only(settings: Any) -> None:
    settings.HELIOGRAPH_METRICS_ALLOW_NETWORKS = []
    assert Client(HTTP_HOST="127.0.0.1").get("/metrics").status_code == 403


# Several processes


@pytest.mark.django_db
def test_adds_up_other_processes(tmp_path: Path) -> None:
    """A request counted by another process on this machine appears in this process's scrape."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    assert directory, "settings did not switch prometheus_client to multiprocess mode"
    script = ("from heliograph.lib import metrics\n"
              "for _ in range(5):\n"
              "    metrics.observe_request('other:process', 'GET', 200, 0.01)\n")
    result = run_django(script, tmp_path, HELIOGRAPH_METRICS_DIR=directory)
    assert result.returncode == 0, result.stderr[-2000:]
    assert requests_of(scrape(), "other:process") >= 5


def test_clear_keeps_running_process_files(tmp_path: Path) -> None:
    script = "from heliograph.lib import metrics\nmetrics.observe_request('x', 'GET', 200, 0.1)\n"
    result = run_django(script, tmp_path, HELIOGRAPH_METRICS_DIR=str(tmp_path / "metrics"))
    assert result.returncode == 0, result.stderr[-2000:]
    (tmp_path / "metrics" / "notes.txt").write_text("kept")
    running = tmp_path / "metrics" / f"counter_{os.getpid()}.db"
    running.write_bytes(b"")
    ended = sorted(path.name for path in (tmp_path / "metrics").glob("*.db") if path != running)
    assert ended, "the ended process wrote no metric file"

    assert metrics.clear_metrics_directory(tmp_path / "metrics") == len(ended)
    assert sorted(path.name for path in (tmp_path / "metrics").iterdir()) == sorted(
        ["notes.txt", running.name])
