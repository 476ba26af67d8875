"""`heliograph service list|add|remove`."""

from __future__ import annotations

import datetime as dt

import pytest

from heliograph.client.errors import ExitCode
from heliograph.domain.models import Service

pytestmark = pytest.mark.django_db(transaction=True)


def test_service_add_stores(cli, page):
    result = cli("service", "add", "API", "--group", "Backend", "--description", "REST",
                 "--start-date", "2026-01-01")

    assert result.code == 0, result.stderr
    service = Service.objects.get(page=page)
    assert service.name == "API"
    assert service.group is not None
    assert service.group.name == "Backend"
    assert service.description == "REST"
    assert service.start_date == dt.date(2026, 1, 1)
    assert f"Added service 'API' (id {service.pk}) in group Backend" in result.stdout


def test_service_add_json(cli, page):
    result = cli("service", "add", "Search", "--json")

    assert result.code == 0, result.stderr
    body = result.json()
    assert body["name"] == "Search"
    assert body["state"] == "operational"
    assert Service.objects.filter(pk=body["id"], page=page).exists()


def test_service_add_duplicate_rejected(cli, add_service, page):
    add_service("API")

    result = cli("service", "add", "api")

    assert result.code == ExitCode.REJECTED
    assert "NAME (name):" in result.stderr
    assert "duplicate_name" in result.stderr
    assert Service.objects.filter(page=page).count() == 1


def test_service_add_invalid_value(cli, page):
    result = cli("service", "add", "x" * 101)

    assert result.code == ExitCode.USAGE
    assert "NAME (name):" in result.stderr
    assert not Service.objects.filter(page=page).exists()


def test_service_add_bad_date_is_usage(cli):
    result = cli("service", "add", "API", "--start-date", "yesterday")

    assert result.code == ExitCode.USAGE
    assert "--start-date" in result.stderr


def test_service_list(cli, add_service, page):
    add_service("API")
    add_service("Database")

    table = cli("service", "list")
    data = cli("service", "list", "--json")

    assert table.code == 0, table.stderr
    assert "API" in table.stdout
    assert "✓ Operational" in table.stdout
    assert [item["name"] for item in data.json()] == ["API", "Database"]


def test_service_list_empty(cli):
    result = cli("service", "list")

    assert result.code == 0
    assert "has no services" in result.stdout


def test_service_remove_by_name(cli, add_service, page):
    add_service("API")
    kept = add_service("Database")

    result = cli("service", "remove", "api", "--yes")

    assert result.code == 0, result.stderr
    assert list(Service.objects.filter(page=page)) == [kept]
    assert "Removed service 'API'" in result.stdout


def test_service_remove_by_id_json(cli, add_service, page):
    service = add_service("API")

    result = cli("service", "remove", str(service.pk), "--yes", "--json")

    assert result.code == 0, result.stderr
    assert result.json()["removed"]["id"] == service.pk
    assert not Service.objects.filter(page=page).exists()


def test_service_remove_needs_yes_without_terminal(cli, add_service, page):
    add_service("API")

    result = cli("service", "remove", "API")

    assert result.code == ExitCode.USAGE
    assert "add --yes" in result.stderr
    assert Service.objects.filter(page=page).count() == 1


def test_service_remove_unknown(cli, add_service):
    add_service("API")

    result = cli("service", "remove", "Billing", "--yes")

    assert result.code == ExitCode.NOT_FOUND
    assert "no service named 'Billing'" in result.stderr
    assert "its services: API" in result.stderr


def test_service_remove_viewer_forbidden(cli, make_token, viewer, page, add_service):
    add_service("API")
    token = make_token(viewer, [page], write=False)

    result = cli("service", "remove", "API", "--yes", HELIOGRAPH_TOKEN=token)

    assert result.code == ExitCode.AUTH
    assert "Not allowed" in result.stderr
    assert "read-only" in result.stderr
    assert Service.objects.filter(page=page).count() == 1
