"""Wall-clock times typed in a page's time zone, turned into UTC instants, DST included.

A wall time typed by an editor may not exist (it falls in the hour skipped when clocks go
forward) or may exist twice (in the hour repeated when clocks go back). The first is rejected
with the hours around the gap. For the second, the editor chooses which of the two instants
is meant: `fold` 0 is the earlier one (before the clocks go back), 1 the later one, as in
`datetime.fold`.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from heliograph.public.timefmt import zone_abbreviation

INPUT_FORMAT = "%Y-%m-%dT%H:%M"
# Formats of a browser's datetime-local value and of times typed into a plain text box.
ACCEPTED_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")


class NonexistentTime(ValueError):
    """A wall time skipped by a forward DST change."""

    def __init__(self, wall: dt.datetime, zone: zoneinfo.ZoneInfo) -> None:
        gap_start, gap_end = gap_around(wall, zone)
        super().__init__(
            f"{wall:%Y-%m-%d %H:%M} does not exist in {zone.key}: that night the clocks jump "
            f"from {gap_start:%H:%M} to {gap_end:%H:%M}. Give a time before {gap_start:%H:%M} "
            f"or from {gap_end:%H:%M}."
        )


class AmbiguousTime(ValueError):
    """A wall time repeated by a backward DST change; `choices` describes the two instants."""

    def __init__(self, wall: dt.datetime, zone: zoneinfo.ZoneInfo) -> None:
        self.choices = fold_choices(wall, zone)
        super().__init__(
            f"{wall:%Y-%m-%d %H:%M} happens twice in {zone.key}, because the clocks go back "
            "that night: choose which one you mean."
        )


def gap_around(wall: dt.datetime, zone: zoneinfo.ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """Return the first skipped wall time of the DST gap that contains `wall`, and the first after.

    In a gap, fold 0 reads `wall` with the offset from before the change and fold 1 with the
    offset after it, so the change itself lies between those two instants. A bisection to the
    second finds it.
    """
    offset_before = wall.replace(tzinfo=zone, fold=0).utcoffset() or dt.timedelta(0)
    offset_after = wall.replace(tzinfo=zone, fold=1).utcoffset() or dt.timedelta(0)
    low = (wall - offset_after).replace(tzinfo=dt.UTC)
    high = (wall - offset_before).replace(tzinfo=dt.UTC)
    while high - low > dt.timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == offset_after:
            high = middle
        else:
            low = middle
    change = high.replace(microsecond=0, tzinfo=None)
    return change + offset_before, change + offset_after


def _round_trip(local: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    return local.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None, fold=0)


def is_nonexistent(wall: dt.datetime, zone: zoneinfo.ZoneInfo) -> bool:
    return _round_trip(wall.replace(tzinfo=zone, fold=0), zone) != wall.replace(fold=0)


def is_ambiguous(wall: dt.datetime, zone: zoneinfo.ZoneInfo) -> bool:
    first = wall.replace(tzinfo=zone, fold=0)
    second = wall.replace(tzinfo=zone, fold=1)
    return not is_nonexistent(wall, zone) and first.utcoffset() != second.utcoffset()


def fold_choices(wall: dt.datetime, zone: zoneinfo.ZoneInfo) -> list[tuple[str, str]]:
    """Return the radio choices for an ambiguous wall time: "0" the earlier, "1" the later."""
    choices = []
    for fold, which in ((0, "the first, before the clocks go back"),
                        (1, "the second, after the clocks go back")):
        local = wall.replace(tzinfo=zone, fold=fold)
        choices.append((str(fold), f"{wall:%H:%M} {zone_abbreviation(local)} "
                                   f"({offset_text(local)}), {which}"))
    return choices


def offset_text(local: dt.datetime) -> str:
    """Return a local time's offset from UTC as "UTC+02:00"."""
    offset = local.utcoffset() or dt.timedelta(0)
    sign = "-" if offset < dt.timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def to_instant(wall: dt.datetime, zone: zoneinfo.ZoneInfo, fold: int | None = None) -> dt.datetime:
    """Return the UTC instant of a wall time in `zone`.

    Raises `NonexistentTime` in a forward DST gap, and `AmbiguousTime` in a repeated hour
    unless `fold` names which of the two readings is meant.
    """
    wall = wall.replace(tzinfo=None, fold=0)
    if is_nonexistent(wall, zone):
        raise NonexistentTime(wall, zone)
    if is_ambiguous(wall, zone):
        if fold not in (0, 1):
            raise AmbiguousTime(wall, zone)
        return wall.replace(tzinfo=zone, fold=fold).astimezone(dt.UTC)
    return wall.replace(tzinfo=zone).astimezone(dt.UTC)


def to_wall(instant: dt.datetime, zone: zoneinfo.ZoneInfo) -> tuple[dt.datetime, int]:
    """Return an instant as a naive wall time in `zone` and its fold, for a form's initial value."""
    local = instant.astimezone(zone)
    return local.replace(tzinfo=None, fold=0), local.fold


def describe_zone(zone: zoneinfo.ZoneInfo, now: dt.datetime) -> str:
    """Return a zone as "Europe/Berlin (CET, UTC+01:00 now)"."""
    local = now.astimezone(zone)
    abbreviation, offset = zone_abbreviation(local), offset_text(local)
    if zone.key == "UTC":
        return "UTC"
    if abbreviation.startswith("UTC"):
        return f"{zone.key} ({offset} now)"
    return f"{zone.key} ({abbreviation}, {offset} now)"


def parse_wall(text: str) -> dt.datetime:
    """Parse a typed date and time without zone, as "2026-03-29T14:30" or "2026-03-29 14:30"."""
    text = text.strip()
    for pattern in ACCEPTED_FORMATS:
        try:
            return dt.datetime.strptime(text, pattern)
        except ValueError:
            continue
    raise ValueError(text)


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, str] | None = None) -> None:
        super().__init__(attrs=attrs, format=INPUT_FORMAT)


class WallTimeField(forms.Field):
    """A date and time without zone, typed in the page's zone; cleans to a naive datetime.

    The form turns it into an instant with `LocalTimesMixin`, which has the zone and the fold
    choice that goes with it.
    """

    widget = LocalDateTimeInput

    def to_python(self, value: object) -> dt.datetime | None:
        if value in (None, ""):
            return None
        if isinstance(value, dt.datetime):
            return value.replace(tzinfo=None)
        try:
            wall = parse_wall(str(value))
        except ValueError:
            raise ValidationError(
                f"{str(value)[:40]!r} is not a date and time: use the form 2026-03-29 14:30.",
                code="invalid",
            ) from None
        if not 1971 <= wall.year <= 9998:
            raise ValidationError("Give a date between the years 1971 and 9998.", code="range")
        return wall


@dataclass
class FoldQuestion:
    """A repeated wall time on the form: the field and the two readings to choose from."""

    field: str
    choices: list[tuple[str, str]]
    selected: str


class LocalTimesMixin(forms.Form):
    """Turn the form's `WallTimeField`s into UTC instants in the page's zone.

    Each wall-time field `name` may come with a `name_fold` value ("0" or "1") that picks the
    reading of a repeated hour. `fold_questions` lists the fields whose value is repeated, so
    the template can show the choice next to them.
    """

    def __init__(self, *args: Any, zone: zoneinfo.ZoneInfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.fold_questions: dict[str, FoldQuestion] = {}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.clean_local_times()
        return cleaned

    def wall_time_fields(self) -> list[str]:
        return [name for name, field in self.fields.items() if isinstance(field, WallTimeField)]

    def fold_of(self, name: str) -> int | None:
        # A disabled field is not submitted, so its reading comes from the initial values.
        if not self.is_bound or self.fields[name].disabled:
            value = self.initial.get(f"{name}_fold")
        else:
            value = self.data.get(self.add_prefix(f"{name}_fold"))
        return int(value) if value in ("0", "1", 0, 1) else None

    def clean_local_times(self) -> None:
        """Replace each wall time in `cleaned_data` with its instant, or add the field's error."""
        self.fold_questions = {}
        for name in self.wall_time_fields():
            wall = self.cleaned_data.get(name)
            if not isinstance(wall, dt.datetime):
                continue
            fold = self.fold_of(name)
            if is_ambiguous(wall, self.zone):
                self.fold_questions[name] = FoldQuestion(
                    field=name, choices=fold_choices(wall, self.zone),
                    selected="" if fold is None else str(fold),
                )
            try:
                self.cleaned_data[name] = to_instant(wall, self.zone, fold)
            except (NonexistentTime, AmbiguousTime) as error:
                self.add_error(name, str(error))

    def initial_fold_questions(self) -> dict[str, FoldQuestion]:
        """Return the fold questions of an unbound form whose initial times are repeated."""
        questions = {}
        for name in self.wall_time_fields():
            wall = self.initial.get(name)
            if isinstance(wall, dt.datetime) and is_ambiguous(wall, self.zone):
                fold = self.fold_of(name)
                questions[name] = FoldQuestion(
                    field=name, choices=fold_choices(wall, self.zone),
                    selected="" if fold is None else str(fold),
                )
        return questions

    def questions(self) -> dict[str, FoldQuestion]:
        """Return the repeated wall times of the form, by field name, for the template."""
        if self.is_bound:
            self.is_valid()  # validates once, which fills `fold_questions`
            return self.fold_questions
        return self.initial_fold_questions()
