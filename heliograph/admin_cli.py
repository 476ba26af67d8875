"""`heliograph-admin`: the operator's command, a thin wrapper over Django's management commands."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "heliograph.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line
    from django.db.utils import OperationalError, ProgrammingError

    try:
        execute_from_command_line(["heliograph-admin", *sys.argv[1:]])
    except ImproperlyConfigured as error:
        sys.exit(f"heliograph-admin: configuration error: {error}")
    except (OperationalError, ProgrammingError) as error:
        if not _is_missing_table(error):
            raise
        sys.exit(f"heliograph-admin: the database has no Heliograph tables ({_where()}): run "
                 "'heliograph-admin migrate' first, or set HELIOGRAPH_DATA_DIR or DATABASE_URL "
                 "to the installation's data.")


def _is_missing_table(error: Exception) -> bool:
    text = str(error)
    return "no such table" in text or ("relation" in text and "does not exist" in text)


def _where() -> str:
    from django.conf import settings

    if os.environ.get("DATABASE_URL"):
        return "DATABASE_URL"
    return f"data directory {settings.DATA_DIR}"
