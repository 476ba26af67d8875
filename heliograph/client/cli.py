"""The `heliograph` command: an on-call engineer's client of the management API v1."""

from __future__ import annotations

import os
import sys

import click

from heliograph.client.app import App
from heliograph.client.commands.incidents import incident
from heliograph.client.commands.login import login, logout
from heliograph.client.commands.maintenances import maintenance
from heliograph.client.commands.pages import page
from heliograph.client.commands.services import service
from heliograph.client.commands.status import status
from heliograph.client.errors import EXIT_CODES_HELP, ExitCode

# With this variable set, an unexpected error shows its traceback, for a bug report.
DEBUG_VARIABLE = "HELIOGRAPH_DEBUG"


@click.group(epilog=EXIT_CODES_HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="heliograph", prog_name="heliograph")
@click.pass_context
def heliograph(context: click.Context) -> None:
    """Drive a Heliograph status page from the command line.

    Start with `heliograph login`. The server's URL, the token and the page come from
    HELIOGRAPH_URL, HELIOGRAPH_TOKEN and HELIOGRAPH_PAGE when set, and otherwise from the
    file that `login` saves. Every command takes --json for scripts.
    """
    app = context.ensure_object(App)
    context.call_on_close(app.close)


for command in (login, logout, page, service, incident, maintenance, status):
    heliograph.add_command(command)


def main() -> None:
    """Run the command; show every failure as a message and an exit code, not a traceback."""
    try:
        heliograph.main(prog_name="heliograph", standalone_mode=True)
    except BrokenPipeError:
        # The reader of a pipe (such as `head`) went away; stop quietly, as cat does.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(ExitCode.FAILURE)
    except Exception as error:
        if os.environ.get(DEBUG_VARIABLE):
            raise
        click.echo(f"Error: unexpected {type(error).__name__}: {error}. This is a bug in the "
                   f"heliograph client: set {DEBUG_VARIABLE}=1 to see where it happened, and "
                   "report it.", err=True)
        sys.exit(ExitCode.FAILURE)
