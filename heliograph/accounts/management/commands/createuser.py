"""`heliograph-admin createuser`: create a user who signs in with an e-mail address.

The password comes from one line of standard input (`--password-stdin`), from a prompt when
standard input is a terminal, or else is generated and printed. Without a terminal and without
`--password-stdin`, the command never reads standard input.
"""

from __future__ import annotations

import getpass
import secrets
import sys
from typing import Any, TextIO

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.db import transaction


class Command(BaseCommand):
    help = "Create a user who signs in with an e-mail address and a password."
    # Tests pass `stdin=` to call_command in place of the process's standard input.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True, help="the user's e-mail address")
        parser.add_argument(
            "--password-stdin", action="store_true",
            help="read the password from the first line of standard input",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        email = self.clean_email(options["email"])
        stdin: TextIO | None = options.get("stdin", sys.stdin)
        generated = False
        if options["password_stdin"]:
            password = self.read_password_line(stdin)
        elif stdin is not None and stdin.isatty():
            password = self.prompt_password()
        else:
            password, generated = secrets.token_urlsafe(16), True

        candidate = user_model(email=email)
        try:
            validate_password(password, user=candidate)
        except ValidationError as error:
            option = "--password-stdin" if options["password_stdin"] else "password"
            raise CommandError(f"{option}: {' '.join(error.messages)}") from None

        with transaction.atomic():
            if user_model.objects.filter(email__iexact=email).exists():
                raise CommandError(f"--email: a user with the e-mail address {email!r} "
                                   "already exists.")
            user_model.objects.create_user(email, password)
        self.stdout.write(f"Created user {email}.")
        if generated:
            self.stdout.write(f"Password: {password}")
            self.stdout.write("It is shown only this once: store it now.")

    def clean_email(self, raw: str) -> str:
        email = get_user_model().objects.normalize_email(raw.strip()).lower()
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(
                f"--email: {raw!r} is not a valid e-mail address. Give one such as "
                "alice@example.com."
            ) from None
        return email

    def read_password_line(self, stdin: TextIO | None) -> str:
        line = stdin.readline() if stdin is not None else ""
        password = line.rstrip("\r\n")
        if not password:
            raise CommandError(
                "--password-stdin: standard input is empty. Pipe the password in, for example "
                "`printf '%s\\n' \"$PASSWORD\" | heliograph-admin createuser --email ... "
                "--password-stdin`."
            )
        return password

    def prompt_password(self) -> str:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("password: the two passwords differ. Run the command again.")
        if not password:
            raise CommandError("password: the password is empty. Run the command again.")
        return password
