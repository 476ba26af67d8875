"""`heliograph-admin import`: bad input, the target page, the report and the progress bar."""

from __future__ import annotations

import importlib
import io
import json
import os
import pty
import select
import shutil
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError

from heliograph.domain.models import Page
from tests.commands.conftest import (
    ADMIN,
    admin_environment,
    migrated_template,  # noqa: F401
)
from tests.importers.conftest import BAD, STATUSPAGE, row_counts

Run = Callable[..., str]


class Terminal(io.StringIO):
    """Standard output that reports being a terminal."""

    def isatty(self) -> bool:
        return True


def test_missing_page_without_owner(import_error: Run) -> None:
    before = row_counts()

    message = import_error("statuspage", "--page", "nope", STATUSPAGE / "summary.json")

    assert message == ("--page: no page has the slug 'nope'. Create it with `heliograph-admin "
                       "page create`, or add --owner EMAIL to create it with the import.")
    assert row_counts() == before


def test_unknown_owner(import_error: Run) -> None:
    message = import_error("statuspage", "--page", "cloud", "--owner", "who@example.com",
                           STATUSPAGE / "summary.json")

    assert message.startswith("--owner: no user has the e-mail address 'who@example.com'.")


def test_invalid_slug(import_error: Run) -> None:
    message = import_error("statuspage", "--page", "api", "--owner", "importer@example.com",
                           STATUSPAGE / "summary.json")

    assert message == "--page: The slug 'api' is reserved: choose another."


@pytest.mark.parametrize(("name", "expected"), [
    ("broken.json", "broken.json: invalid JSON at line 3, column 1: Expecting value."),
    ("neither.json", "neither.json is neither a Statuspage summary, components, incidents, "
                     "scheduled-maintenances nor single-incident response"),
    ("bad-time.json", "bad-time.json: incident.incident_updates[1].display_at is 'yesterday "
                      "at noon', which is not an ISO 8601 time such as 2024-05-01T14:02:00Z."),
    ("bad-status.json", "bad-status.json: incident.incident_updates[0].status is 'fixed', "
                        "which is not a Statuspage status: expected one of completed, "),
])
def test_bad_file_names_file_and_field(import_error: Run, name: str, expected: str) -> None:
    before = row_counts()

    message = import_error("statuspage", "--page", "cloud", "--owner", "importer@example.com",
                           STATUSPAGE / "summary.json", BAD / name)

    assert message.startswith(str(BAD / expected.split(":")[0].split(" ")[0]))
    assert expected in message
    assert row_counts() == before
    assert not Page.objects.filter(slug="cloud").exists()


def test_two_source_pages_rejected(import_error: Run) -> None:
    message = import_error("statuspage", "--page", "cloud", "--owner", "importer@example.com",
                           STATUSPAGE / "single-incident.json", BAD / "other-page.json")

    assert message == (
        f"{BAD / 'other-page.json'}: page.id is 'otherpage001' but "
        f"{STATUSPAGE / 'single-incident.json'} is of page 'exmpl0cloud1': import each source "
        "page into its own Heliograph page."
    )


def test_missing_path(import_error: Run, tmp_path: Path) -> None:
    message = import_error("statuspage", "--page", "cloud", "--owner", "importer@example.com",
                           tmp_path / "nothing.json")

    assert message == f"{tmp_path / 'nothing.json'}: no such file or folder."


def test_empty_folder(import_error: Run, tmp_path: Path) -> None:
    message = import_error("statuspage", "--page", "cloud", "--owner", "importer@example.com",
                           tmp_path)

    assert message == (f"{tmp_path}: the folder contains no .json files: give JSON files or a "
                       "folder of them.")


def test_unreachable_url(import_error: Run) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    before = row_counts()

    message = import_error("statuspage", "--page", "cloud", "--owner", "importer@example.com",
                           f"http://127.0.0.1:{port}")

    assert message.startswith(f"http://127.0.0.1:{port}/api/v2/summary.json: the request "
                              "failed: ")
    assert row_counts() == before


def test_invalid_time_zone_option(import_error: Run) -> None:
    message = import_error("statuspage", "--page", "cloud", "--owner", "importer@example.com",
                           "--time-zone", "Mars/Olympus", STATUSPAGE / "summary.json")

    assert "argument --time-zone: 'Mars/Olympus' is not a known IANA time zone name" in message


def test_title_and_zone_options(frozen: Any, run_import: Run) -> None:
    run_import("statuspage", "--page", "cloud", "--owner", "importer@example.com", "--title",
               "Our cloud", "--time-zone", "Europe/Berlin", STATUSPAGE / "summary.json")

    page = Page.objects.get(slug="cloud")
    assert (page.title, page.time_zone) == ("Our cloud", "Europe/Berlin")


def test_report_lists_kinds(frozen: Any, run_import: Run) -> None:
    output = run_import("statuspage", "--page", "cloud", "--owner", "importer@example.com",
                        STATUSPAGE / "summary.json")

    assert output.splitlines()[:8] == [
        "Imported Statuspage data from 1 file into page 'cloud' (Example Cloud):",
        "                         created    updated  unchanged    skipped",
        "  groups                       1          0          0          1",
        "  services                     4          0          0          0",
        "  incidents                    2          0          0          0",
        "  incident updates             3          0          0          0",
        "  maintenances                 2          0          0          0",
        # Two updates became the maintenances' descriptions, one an event.
        "  maintenance updates          3          0          0          0",
    ]
    assert "Skipped (1):" in output


def test_no_progress_bar_when_piped(frozen: Any, run_import: Run) -> None:
    output = run_import("statuspage", "--page", "cloud", "--owner", "importer@example.com",
                        STATUSPAGE)

    assert "━" not in output
    assert "\x1b" not in output
    assert "\r" not in output


def test_progress_bar_on_terminal(frozen: Any, run_import: Run) -> None:
    terminal = Terminal()

    run_import("statuspage", "--page", "cloud", "--owner", "importer@example.com", STATUSPAGE,
               stdout=terminal)

    drawn = terminal.getvalue()
    assert "Importing" in drawn
    assert "━" in drawn
    assert "Imported Statuspage data from 6 files" in drawn


def admin_data_dir(template: Path, tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    shutil.copytree(template, data_dir)
    return data_dir


def test_exit_status_and_one_line_on_bad_input(migrated_template: Path,  # noqa: F811
                                               tmp_path: Path) -> None:
    environment = admin_environment(admin_data_dir(migrated_template, tmp_path))
    subprocess.run([str(ADMIN), "createuser", "--email", "importer@example.com",
                    "--password-stdin"], input="correct horse 42", text=True, check=True,
                   env=environment, capture_output=True, timeout=60)

    result = subprocess.run(
        [str(ADMIN), "import", "statuspage", "--page", "cloud", "--owner",
         "importer@example.com", str(BAD / "broken.json")],
        env=environment, capture_output=True, text=True, timeout=60,
    )

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"CommandError: {BAD / 'broken.json'}: invalid JSON at line 3, column 1: Expecting "
        "value."
    ]


def test_progress_bar_in_real_terminal(migrated_template: Path,  # noqa: F811
                                       tmp_path: Path) -> None:
    """Run the command with its output on a pseudo-terminal, as an operator's shell does."""
    environment = admin_environment(admin_data_dir(migrated_template, tmp_path))
    subprocess.run([str(ADMIN), "createuser", "--email", "importer@example.com",
                    "--password-stdin"], input="correct horse 42", text=True, check=True,
                   env=environment, capture_output=True, timeout=60)
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [str(ADMIN), "import", "statuspage", "--page", "cloud", "--owner",
         "importer@example.com", str(STATUSPAGE / "incidents.json")],
        env={**environment, "COLUMNS": "100"}, stdout=terminal, stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    os.close(terminal)
    drawn = bytearray()
    while True:
        ready, _, _ = select.select([controller], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(controller, 65536)
        except OSError:
            break
        if not chunk:
            break
        drawn.extend(chunk)
    process.wait(timeout=60)
    os.close(controller)
    text = drawn.decode("utf-8", "replace")

    assert process.returncode == 0, process.stderr.read() if process.stderr else ""
    assert "━" in text
    assert "Imported Statuspage data from 1 file into page 'cloud'" in text


def test_page_data_written_once(frozen: Any, run_import: Run) -> None:
    run_import("statuspage", "--page", "cloud", "--owner", "importer@example.com",
               STATUSPAGE / "summary.json")
    document = json.loads((STATUSPAGE / "summary.json").read_text())

    page = Page.objects.get(slug="cloud")
    assert page.title == document["page"]["name"]


def many_notes(folder: Path) -> Path:
    """Write an incidents.json of 25 resolved incidents, each without a resolving update."""
    document = json.loads((STATUSPAGE / "incidents.json").read_text())
    search = next(item for item in document["incidents"] if item["id"] == "incsearch001")
    document["incidents"] = []
    for number in range(25):
        copy = json.loads(json.dumps(search))
        copy["id"] = f"incmany{number:05d}"
        copy["incident_updates"][0]["id"] = f"updmany{number:05d}"
        document["incidents"].append(copy)
    path = folder / "incidents.json"
    path.write_text(json.dumps(document))
    return path


def test_report_lists_twenty_notes(frozen: Any, run_import: Run, tmp_path: Path) -> None:
    output = run_import("statuspage", "--page", "cloud", "--owner", "importer@example.com",
                        many_notes(tmp_path))

    assert "Notes (25):" in output
    assert output.count("resolved without a resolving update") == 20
    assert "  … and 5 more: add --list-all to list them all." in output


def test_list_all_option(frozen: Any, run_import: Run, tmp_path: Path) -> None:
    output = run_import("statuspage", "--page", "cloud", "--owner", "importer@example.com",
                        "--list-all", many_notes(tmp_path))

    assert output.count("resolved without a resolving update") == 25
    assert "more: add --list-all" not in output


def test_locked_database_named(frozen: Any, import_error: Run,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    # SQLite raises this when another write keeps the database locked past the busy timeout.
    command = importlib.import_module("heliograph.importers.management.commands.import")

    def locked(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("database is locked")

    monkeypatch.setattr(command, "import_batch", locked)

    message = import_error("statuspage", "--page", "cloud", "--owner", "importer@example.com",
                           STATUSPAGE / "summary.json")

    assert message == ("the database is locked by another write that is still running, such "
                       "as another import: try again when it has finished. Nothing was "
                       "imported.")
