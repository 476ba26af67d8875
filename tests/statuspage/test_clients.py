"""Real Statuspage clients, installed on this machine, read a page from a live server.

- npm `statuspage.io` 3.3.8 (installed by `npm ci` from package.json), run by Node.js;
- pip `statuscheck` 3.11.0, whose models reject unknown indicators and component statuses;
- pip `statuspage-prometheus-exporter` 2.6.0, run once, which writes Prometheus metrics.

The pip clients pin dependencies that conflict with ours, so each is installed in a throwaway
virtual environment once per test session.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.utils import timezone

from heliograph.domain.audit import Actor
from heliograph.domain.models import Page
from tests.statuspage.conftest import REPOSITORY, BusyPage, build_busy_page
from tests.venvs import make_venv

# The time limit of each client run, in seconds; each run takes a few seconds.
CLIENT_TIMEOUT = 120

STATUSPAGE_IO_SCRIPT = """
const {Statuspage} = require('statuspage.io');
const client = new Statuspage('heliograph');
client.setApiUrl(process.argv[1]);
(async () => {
  const api = client.api;
  const results = {
    summary: await api.getSummary(),
    status: await api.getStatus(),
    components: await api.getComponents(),
    incidents: await api.incidents.getAll(),
    unresolved: await api.incidents.getUnresolved(),
    upcoming: await api.scheduledMaintenances.getUpcoming(),
  };
  process.stdout.write(JSON.stringify(results));
})().catch(error => {
  console.error(`statuspage.io failed: ${error.message}`);
  process.exit(1);
});
"""

STATUSCHECK_SCRIPT = """
import json
import sys

from statuscheck.services.bases._statuspageio import BaseStatusPageAPI


class Heliograph(BaseStatusPageAPI):
    name = "Heliograph"
    status_url = sys.argv[1]

    def _get_base_url(self):
        return sys.argv[1] + "api/v2/"


service = Heliograph()
summary = service.get_summary()
print(json.dumps(summary.as_dict()))
service._print_summary(verbose=True)
"""


@pytest.fixture
def live_page(page: Page, actor: Actor) -> BusyPage:
    return build_busy_page(page, actor, timezone.now())


def base_url(live_server: Any) -> str:
    """Return the page's address under `/p/acme/`, which Node.js and Python resolve alike."""
    return f"{live_server.url}/p/acme/"


def our_summary(live_server: Any) -> dict[str, Any]:
    response = httpx.get(f"{base_url(live_server)}api/v2/summary.json", timeout=10)
    assert response.status_code == 200
    return dict(response.json())


def run(command: list[str], **options: Any) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, capture_output=True, text=True, check=False,
                            timeout=CLIENT_TIMEOUT, **options)
    assert result.returncode == 0, f"{command[0]} failed:\n{result.stdout}\n{result.stderr}"
    return result


# --- statuspage.io (npm) -------------------------------------------------------------------


def missing_statuspage_io() -> str | None:
    if shutil.which("node") is None:
        return "Node.js is missing: install it with `apt-get install -y nodejs npm`."
    if not (REPOSITORY / "node_modules" / "statuspage.io" / "dist").exists():
        return (f"node_modules/statuspage.io is missing: run `npm ci --ignore-scripts` in "
                f"{REPOSITORY}.")
    return None


def test_statuspage_io_client(live_server: Any, live_page: BusyPage) -> None:
    problem = missing_statuspage_io()
    if problem:
        pytest.fail(problem, pytrace=False)

    result = run(["node", "-e", STATUSPAGE_IO_SCRIPT, base_url(live_server)], cwd=REPOSITORY)
    read = json.loads(result.stdout)
    ours = our_summary(live_server)

    assert read["summary"]["page"] == ours["page"]
    assert read["summary"]["components"] == ours["components"]
    assert read["summary"]["status"] == {"indicator": "minor",
                                         "description": "Minor Service Outage"}
    assert read["status"]["status"] == read["summary"]["status"]
    assert read["components"]["components"] == ours["components"]
    assert [item["name"] for item in read["unresolved"]["incidents"]] == [
        "API errors", "Login failures",
    ]
    assert [item["name"] for item in read["incidents"]["incidents"]] == [
        "API errors", "Login failures", "Slow queries", "Database failover",
    ]
    assert [item["name"] for item in read["upcoming"]["scheduled_maintenances"]] == [
        "Network work", "Data centre move",
    ]


# --- statuscheck (pip) ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def statuscheck_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_venv(tmp_path_factory.mktemp("statuscheck"), ["statuscheck==3.11.0"]) / "python"


def test_statuscheck_reads_summary(live_server: Any, live_page: BusyPage,
                                   statuscheck_python: Path) -> None:
    result = run([str(statuscheck_python), "-c", STATUSCHECK_SCRIPT, base_url(live_server)])
    summary_line, *printed = result.stdout.splitlines()
    summary = json.loads(summary_line)
    components = {item["name"]: item["status"] for item in summary["components"]}

    assert summary["status"]["code"] == "minor"
    assert summary["status"]["name"] == "Minor incident"
    assert summary["status"]["is_ok"] is False
    assert components == {
        "Core": "Partial outage", "API": "Partial outage", "Website": "Degraded performance",
        "Database": "Operational", "Background jobs": "Under maintenance",
    }
    assert [(item["name"], item["status"]) for item in summary["incidents"]] == [
        ("API errors", "identified"), ("Login failures", "monitoring"),
        ("Queue upgrade", "in_progress"), ("Network work", "scheduled"),
    ]
    assert "Current Heliograph status: Minor incident" in printed
    assert "- [identified] API errors" in printed


# --- statuspage-prometheus-exporter (pip) --------------------------------------------------


@pytest.fixture(scope="session")
def exporter_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("exporter")
    return make_venv(directory, ["statuspage-prometheus-exporter==2.6.0"])


METRIC = re.compile(r'^(?P<name>[a-z_]+)(\{(?P<labels>.*)\})? (?P<value>\S+)$')
LABEL = re.compile(r'(?P<key>[a-z_]+)="(?P<value>(?:[^"\\]|\\.)*)"')


def parse_metrics(text: str) -> list[tuple[str, dict[str, str], float]]:
    """Parse the Prometheus text format into (name, labels, value) samples."""
    samples = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = METRIC.match(line)
        assert match, f"not a Prometheus sample: {line!r}"
        labels = {label["key"]: label["value"]
                  for label in LABEL.finditer(match["labels"] or "")}
        samples.append((match["name"], labels, float(match["value"])))
    return samples


def run_exporter(exporter_bin: Path, directory: Path, url: str
                 ) -> list[tuple[str, dict[str, str], float]]:
    """Run the exporter once against `url` in `directory`, where it keeps its cache."""
    services = directory / "services.json"
    services.write_text(json.dumps({"acme": {"url": url, "name": "Acme"}}))
    metrics = directory / "statuspage.prom"
    environment = {**os.environ, "RUN_MODE": "once", "SERVICES_JSON_PATH": str(services),
                   "METRICS_TEXTFILE_PATH": str(metrics)}
    run([str(exporter_bin / "statuspage-prometheus-exporter")], cwd=directory,
        env=environment)
    return parse_metrics(metrics.read_text())


def find(samples: list[tuple[str, dict[str, str], float]], name: str,
         **labels: str) -> list[tuple[dict[str, str], float]]:
    return [(sample_labels, value) for sample_name, sample_labels, value in samples
            if sample_name == name and labels.items() <= sample_labels.items()]


def test_prometheus_exporter_metrics(live_server: Any, live_page: BusyPage, exporter_bin: Path,
                                     tmp_path: Path) -> None:
    url = f"{base_url(live_server)}api/v2/summary.json"
    samples = run_exporter(exporter_bin, tmp_path, url)
    ours = our_summary(live_server)
    api_errors = next(item for item in ours["incidents"] if item["name"] == "API errors")

    assert find(samples, "statuspage_probe_check", service_name="Acme") == [
        ({"service_name": "Acme"}, 1.0),
    ]
    assert find(samples, "statuspage_service_status", service_name="Acme")[0][1] == 0.0
    incident, = find(samples, "statuspage_incident_info", incident_id=api_errors["id"])
    assert incident[0]["incident_name"] == "API errors"
    assert incident[0]["impact"] == "major"
    assert incident[0]["shortlink"] == api_errors["shortlink"]
    assert incident[0]["affected_components"] == "API"
    assert incident[1] == 1.0
    statuses = {labels["component_name"]: value for labels, value in
                find(samples, "statuspage_component_status", service_name="Acme")}
    assert statuses == {"Core": 0.0, "API": 0.0, "Website": 0.0, "Database": 1.0,
                        "Background jobs": 0.0}
    maintenance_names = {labels["maintenance_name"] for labels, value in
                         find(samples, "statuspage_maintenance_info") if value == 1.0}
    assert maintenance_names == {"Queue upgrade", "Network work"}


def test_prometheus_exporter_healthy_page(live_server: Any, page: Page, exporter_bin: Path,
                                          add_service: Callable[..., Any],
                                          tmp_path: Path) -> None:
    add_service("API")

    samples = run_exporter(exporter_bin, tmp_path, f"{base_url(live_server)}api/v2/summary.json")

    assert find(samples, "statuspage_service_status", service_name="Acme")[0][1] == 1.0
    assert find(samples, "statuspage_component_status", component_name="API")[0][1] == 1.0
    assert find(samples, "statuspage_incident_info")[0][0]["incident_id"] == "none"
