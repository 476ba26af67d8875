"""Two imports into one page at the same time: the second waits for the first, then finds
everything already there, with no error and nothing twice.

The test runs on the database the suite uses. On PostgreSQL two threads import at once. The
suite's SQLite database lives in memory, where threads share one cache with table locks that
fail at once instead of waiting, so on SQLite two `heliograph-admin` processes import into a
database file instead, as they would in production.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from heliograph.accounts.models import User
from heliograph.domain.models import Incident, Page
from heliograph.importers.demo import GITHUB_SAMPLE
from tests.commands.conftest import (
    ADMIN,
    admin_environment,
    migrated_template,  # noqa: F401
)
from tests.importers.conftest import report_rows

SAMPLE_INCIDENTS = 37


def import_twice_in_threads() -> list[str]:
    User.objects.create_user("importer@example.com", "correct horse 42")
    call_command("page", "create", "github", "--title", "GitHub", "--owner",
                 "importer@example.com", stdout=StringIO())
    outputs: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run() -> None:
        output = StringIO()
        try:
            start.wait()
            call_command("import", "statuspage", "--page", "github", str(GITHUB_SAMPLE),
                         stdout=output)
            outputs.append(output.getvalue())
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert Incident.objects.filter(page=Page.objects.get(slug="github")).count() == (
        SAMPLE_INCIDENTS)
    return outputs


def import_twice_in_processes(template: Path, tmp_path: Path) -> list[str]:
    data_dir = tmp_path / "data"
    shutil.copytree(template, data_dir)
    environment = admin_environment(data_dir)
    for command in (["createuser", "--email", "importer@example.com", "--password-stdin"],
                    ["page", "create", "github", "--title", "GitHub", "--owner",
                     "importer@example.com"]):
        subprocess.run([str(ADMIN), *command], input="correct horse 42", text=True,
                       check=True, env=environment, capture_output=True, timeout=60)
    command = [str(ADMIN), "import", "statuspage", "--page", "github", str(GITHUB_SAMPLE)]
    processes = [subprocess.Popen(command, env=environment, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [process.communicate(timeout=120) for process in processes]
    assert [(process.returncode, stderr) for process, (_, stderr) in zip(
        processes, results, strict=True)] == [(0, ""), (0, "")]
    return [stdout for stdout, _ in results]


@pytest.mark.django_db(transaction=True)
def test_concurrent_imports_into_one_page(migrated_template: Path,  # noqa: F811
                                          tmp_path: Path) -> None:
    if connection.vendor == "sqlite":
        outputs = import_twice_in_processes(migrated_template, tmp_path)
    else:
        outputs = import_twice_in_threads()

    assert sorted(report_rows(output)["incidents"] for output in outputs) == [
        [0, 0, SAMPLE_INCIDENTS, 0], [SAMPLE_INCIDENTS, 0, 0, 0]]
