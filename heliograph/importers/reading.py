"""Read JSON files and walk their values, naming the file and the JSON path in every error."""

from __future__ import annotations

import datetime as dt
import json
import stat
import zoneinfo
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from heliograph.importers.records import InputError

# The largest file or HTTP response read. The largest real Statuspage documents seen, histories
# rebuilt from six years of saved summaries, are under 5 MB.
MAX_BYTES = 64 * 1024 * 1024
# Ids longer than this are not ids; the records of imports keep up to 200 characters, and the
# importer adds suffixes such as "#resolved".
MAX_ID_LENGTH = 150


def load_json(path: Path) -> Any:
    """Read and parse one JSON file, of at most `MAX_BYTES`; a UTF-8 byte order mark is allowed."""
    try:
        # Checked before opening, because opening a named pipe waits for a writer.
        if not stat.S_ISREG(path.stat().st_mode):
            raise InputError(f"{path}: not a regular file: give a JSON file or a folder.")
        with path.open("rb") as file:
            data = file.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file or folder.") from None
    except OSError as error:
        raise InputError(f"{path}: cannot be read ({error.strerror}).") from None
    if len(data) > MAX_BYTES:
        raise InputError(f"{path}: the file is larger than {MAX_BYTES // 1024 // 1024} MB: split "
                         "it into several files, which one import can take together.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            f"{path}: not UTF-8 text ({error.reason} at byte {error.start})."
        ) from None
    return parse_json(text, str(path))


def parse_json(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(
            f"{where}: invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}."
        ) from None
    except RecursionError:
        raise InputError(f"{where}: the JSON is nested too deeply to be a status page's data."
                         ) from None
    except ValueError:
        # The only ValueError json.loads raises besides JSONDecodeError: Python refuses to
        # convert integers of more than 4,300 digits (sys.int_info.default_max_str_digits).
        raise InputError(f"{where}: invalid JSON: a number has more than 4,300 digits."
                         ) from None


def json_files(folder: Path) -> list[Path]:
    """Return the `.json` files under `folder`, at any depth, in a stable order."""
    return sorted(path for path in folder.rglob("*.json") if path.is_file())


class Node:
    """A JSON value and where it is (`file: incidents[3].name`), for precise error messages."""

    def __init__(self, value: Any, file: str, path: str = "") -> None:
        self.value = value
        self.file = file
        self.path = path

    @property
    def where(self) -> str:
        return f"{self.file}: {self.path}" if self.path else self.file

    def fail(self, problem: str) -> InputError:
        return InputError(f"{self.where} {problem}")

    def child(self, key: str | int) -> Node:
        if isinstance(key, int):
            path = f"{self.path}[{key}]"
        else:
            path = f"{self.path}.{key}" if self.path else key
        value = None
        if isinstance(self.value, dict) and isinstance(key, str):
            value = self.value.get(key)
        elif isinstance(self.value, list) and isinstance(key, int):
            value = self.value[key]
        return Node(value, self.file, path)

    def is_object(self) -> bool:
        return isinstance(self.value, dict)

    def has(self, key: str) -> bool:
        return isinstance(self.value, dict) and key in self.value

    def present(self, key: str) -> bool:
        """Return whether `key` is there and not null."""
        return self.has(key) and self.value[key] is not None

    def expect_object(self) -> Node:
        if not isinstance(self.value, dict):
            raise self.fail(f"must be a JSON object, not {_kind(self.value)}.")
        return self

    def field(self, key: str) -> Node:
        """Return the member `key`, which must be present (it may be null)."""
        self.expect_object()
        if key not in self.value:
            missing = f"{self.path}.{key}" if self.path else key
            raise InputError(f"{self.file}: {missing} is missing.")
        return self.child(key)

    def optional(self, key: str) -> Node:
        """Return the member `key`; a missing member reads as null."""
        self.expect_object()
        if key not in self.value:
            return Node(None, self.file, f"{self.path}.{key}" if self.path else key)
        return self.child(key)

    def items(self) -> Iterator[Node]:
        if not isinstance(self.value, list):
            raise self.fail(f"must be a list, not {_kind(self.value)}.")
        for index in range(len(self.value)):
            yield self.child(index)

    def text(self) -> str:
        if not isinstance(self.value, str):
            raise self.fail(f"must be a string, not {_kind(self.value)}.")
        return self.value

    def text_or_none(self) -> str | None:
        return None if self.value is None else self.text()

    def identifier(self) -> str:
        """Return an id given as a string or an integer, as a string."""
        if isinstance(self.value, bool) or not isinstance(self.value, str | int):
            raise self.fail(f"must be an id (a string or an integer), not {_kind(self.value)}.")
        text = str(self.value).strip()
        if not text:
            raise self.fail("must not be empty.")
        if len(text) > MAX_ID_LENGTH:
            raise self.fail(f"is longer than {MAX_ID_LENGTH} characters, too long for an id.")
        return text

    def identifier_or_none(self) -> str | None:
        return None if self.value is None else self.identifier()

    def integer_or_none(self) -> int | None:
        if self.value is None:
            return None
        if isinstance(self.value, str) and self.value.strip().lstrip("-").isdigit():
            return int(self.value)
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise self.fail(f"must be an integer, not {_kind(self.value)}.")
        return int(self.value)

    def boolean_or_none(self) -> bool | None:
        if self.value is None:
            return None
        if isinstance(self.value, bool):
            return self.value
        if isinstance(self.value, int) and self.value in (0, 1):
            return bool(self.value)
        raise self.fail(f"must be true or false, not {_kind(self.value)}.")

    def time(self, *, naive_zone: zoneinfo.ZoneInfo | None = None) -> dt.datetime:
        """Return an ISO 8601 time (or Unix seconds) in UTC.

        A time without a UTC offset is read in `naive_zone`; without one it is rejected. Of a
        local time that occurs twice (when clocks go back), the earlier one is taken.
        """
        value = self.value
        if isinstance(value, int) and not isinstance(value, bool):
            try:
                moment = dt.datetime.fromtimestamp(value, tz=dt.UTC)
            except (OverflowError, OSError, ValueError):
                raise self.fail(f"is {value}, which is out of range for Unix seconds.") from None
            return self._check_year(moment, value)
        if not isinstance(value, str):
            raise self.fail(f"must be a time such as 2024-05-01T14:02:00Z, not {_kind(value)}.")
        try:
            moment = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise self.fail(
                f"is {value!r}, which is not an ISO 8601 time such as 2024-05-01T14:02:00Z."
            ) from None
        self._check_year(moment, value)
        if moment.tzinfo is None:
            if naive_zone is None:
                raise self.fail(f"is {value!r}, which has no UTC offset: give one, such as Z.")
            moment = _local_to_utc(moment, naive_zone, self)
        return moment.astimezone(dt.UTC)

    def _check_year(self, moment: dt.datetime, value: Any) -> dt.datetime:
        # Years 1 and 9999 are rejected because moving their times to UTC can overflow.
        if not dt.MINYEAR < moment.year < dt.MAXYEAR:
            raise self.fail(f"is {value!r}, which is outside the years {dt.MINYEAR + 1} to "
                            f"{dt.MAXYEAR - 1}.")
        return moment

    def time_or_none(self, *, naive_zone: zoneinfo.ZoneInfo | None = None) -> dt.datetime | None:
        if self.value is None or self.value == "":
            return None
        return self.time(naive_zone=naive_zone)

    def date_or_none(self) -> dt.date | None:
        if self.value is None or self.value == "":
            return None
        if not isinstance(self.value, str):
            raise self.fail(f"must be a date such as 2024-05-01, not {_kind(self.value)}.")
        try:
            return dt.date.fromisoformat(self.value[:10])
        except ValueError:
            raise self.fail(f"is {self.value!r}, which is not a date such as 2024-05-01.") from None


def _local_to_utc(moment: dt.datetime, zone: zoneinfo.ZoneInfo, node: Node) -> dt.datetime:
    # NOTE: a local time that occurs twice, when clocks go back, is read as the first of the
    # two (fold 0), because a time without an offset does not say which one it was.
    local = moment.replace(tzinfo=zone, fold=0)
    # A wall-clock time in the gap of a forward clock change does not survive a round trip.
    if local.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) != moment:
        raise node.fail(
            f"is {moment.isoformat(sep=' ')}, a time that does not exist in {zone.key} (the "
            "clocks skip it): check --source-time-zone."
        )
    return local


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    if isinstance(value, list):
        return "a list"
    return "an object"
