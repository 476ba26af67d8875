"""Errors of the command-line client, each with its own exit code."""

from __future__ import annotations

from enum import IntEnum
from typing import IO, Any

import click


class ExitCode(IntEnum):
    OK = 0
    # The server failed (HTTP 5xx), answered something that is not the API, or a bug.
    FAILURE = 1
    # A command, option or value is invalid, whether the client or the server found it.
    USAGE = 2
    NOT_FOUND = 3
    # The request breaks a rule given what is stored (HTTP 409), such as updating a closed
    # incident or adding a service whose name is taken.
    REJECTED = 4
    # No URL or token is configured, the server rejected the token, or the token's role
    # does not allow the request.
    AUTH = 5
    # The server could not be reached: connection refused, DNS failure, timeout, TLS error.
    NETWORK = 6


EXIT_CODES_HELP = """\b
Exit codes:
  0  success
  1  the server failed or did not answer as the Heliograph API
  2  invalid command, option or value (also when the server rejects a value)
  3  not found: page, service, incident or maintenance
  4  rejected by a rule, such as a closed incident or a name already taken
  5  not logged in, token rejected, or the role does not allow it
  6  network failure: the server could not be reached"""


class ClientError(click.ClickException):
    """An error shown to the user as one message, without a traceback."""

    exit_code = ExitCode.FAILURE

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"Error: {self.format_message()}", file=file, err=file is None)


class InvalidInput(ClientError):
    exit_code = ExitCode.USAGE


class NotFound(ClientError):
    exit_code = ExitCode.NOT_FOUND


class Rejected(ClientError):
    exit_code = ExitCode.REJECTED


class AuthProblem(ClientError):
    exit_code = ExitCode.AUTH


class NetworkProblem(ClientError):
    exit_code = ExitCode.NETWORK


class ServerFailure(ClientError):
    exit_code = ExitCode.FAILURE
