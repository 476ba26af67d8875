"""`heliograph-admin`: the operator's command, a thin wrapper over Django's management commands."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "heliograph.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["heliograph-admin", *sys.argv[1:]])
