"""Request and response bodies of the management API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar

from django.conf import settings
from ninja import Schema
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    JsonValue,
    StrictBool,
    StrictInt,
    ValidationInfo,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from heliograph.domain.validation import EARLIEST, LATEST
from heliograph.domain.vocab import (
    BannerColorRule,
    DisplayState,
    MaintenanceStatus,
    State,
    Status,
    Theme,
)

# Ids fit a signed 64-bit integer in every database the project runs on. Integers and booleans
# in bodies are strict: "1", 1.0 and "yes" are rejected rather than converted.
Id = Annotated[StrictInt, Field(ge=1, le=2**63 - 1)]
Title = Annotated[str, Field(min_length=1, max_length=300)]
Text = Annotated[str, Field(min_length=1, max_length=20_000)]

# Times outside these years cannot be shown in every time zone, because Python's datetime stops
# at years 1 and 9999. The domain and the outage figures accept the same years.
FIRST_YEAR, LAST_YEAR = EARLIEST, LATEST


def _in_years(moment: dt.datetime) -> dt.datetime:
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise ValueError(f"give a time between the years {FIRST_YEAR} and {LAST_YEAR}")
    # Both neighbouring years are in range, so the conversion cannot overflow.
    utc = moment.astimezone(dt.UTC)
    if not FIRST_YEAR <= utc.year <= LAST_YEAR:
        raise ValueError(f"give a time between the years {FIRST_YEAR} and {LAST_YEAR}")
    return utc


def _text_only(value: Any) -> Any:
    # Pydantic would read a number as a Unix timestamp; the API takes ISO 8601 text only.
    if not isinstance(value, str):
        raise ValueError("give the time as an ISO 8601 string, such as 2026-03-01T14:02:00Z")
    return value


def _date_text_only(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("give the date as a YYYY-MM-DD string")
    return value


def _day_in_years(day: dt.date) -> dt.date:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(f"give a date between the years {FIRST_YEAR} and {LAST_YEAR}")
    return day


Day = Annotated[dt.date, BeforeValidator(_date_text_only), AfterValidator(_day_in_years)]
Moment = Annotated[
    AwareDatetime,
    BeforeValidator(_text_only),
    AfterValidator(_in_years),
    Field(description="ISO 8601 time with a UTC offset, such as 2026-03-01T14:02:00+01:00."),
]


class Input(Schema):
    """A request body: unknown keys are rejected so that a misspelt key is not ignored."""

    model_config = ConfigDict(extra="forbid")


class Patch(Input):
    """A body of optional keys, where a left-out key keeps the stored value.

    Only the keys in `nullable` accept null, which clears the value. Null for another key is
    rejected, so the OpenAPI document types those keys without null.
    """

    nullable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _reject_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.nullable:
            raise ValueError(
                "must not be null: leave the key out to keep the current or default value"
            )
        return value

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        target = handler.resolve_ref_schema(schema)
        for name, prop in target.get("properties", {}).items():
            if name not in cls.nullable:
                _drop_null(prop)
        return schema


def _drop_null(prop: dict[str, Any]) -> None:
    """Turn {"anyOf": [X, {"type": "null"}], "default": null} into X."""
    prop.pop("default", None)
    variants = [v for v in prop.pop("anyOf", []) if v != {"type": "null"}]
    if len(variants) == 1:
        prop.update(variants[0])
    elif variants:
        prop["anyOf"] = variants


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None = None


# Pages


# The patterns and choices below only document the values in the OpenAPI document. The domain
# checks the values, because its error messages explain the fix.
COLOUR_PATTERN = r"^#[0-9a-fA-F]{6}$"
SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
LANGUAGE_CODES: list[JsonValue] = [code for code, _ in settings.LANGUAGES]


class PageSettings(Patch):
    nullable = frozenset({"custom_domain"})

    title: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    default_status_message: Annotated[str, Field(min_length=1, max_length=300)] | None = None
    time_zone: str | None = Field(None, description="IANA name, such as Europe/Zurich.")
    banner_color_rule: BannerColorRule | None = Field(
        None, description="Which open incident colours the banner: the first opened, or the worst."
    )
    theme: Theme | None = None
    language: str | None = Field(None, description="Language of the public page.",
                                 json_schema_extra={"enum": LANGUAGE_CODES})
    custom_domain: str | None = Field(
        None, description="Host name that serves the page, such as status.example.com; null "
        "removes it."
    )
    header_background: str | None = Field(None, description="Colour as #rrggbb.",
                                          json_schema_extra={"pattern": COLOUR_PATTERN})
    header_text_color: str | None = Field(None, description="Colour as #rrggbb.",
                                          json_schema_extra={"pattern": COLOUR_PATTERN})
    main_site_url: str | None = Field(None, description="http or https URL; empty removes it.")
    support_email: str | None = Field(None, description="E-mail address; empty removes it.")
    is_private: StrictBool | None = None
    auto_maintenance: StrictBool | None = Field(
        None, description="Start and complete maintenances at their window's times."
    )
    subscriptions_enabled: StrictBool | None = None


class PageCreate(PageSettings):
    slug: str = Field(description="DNS label: the page lives at <slug>.<domain>.",
                      json_schema_extra={"pattern": SLUG_PATTERN, "maxLength": 63})
    title: Annotated[str, Field(min_length=1, max_length=200)]


class PageUpdate(PageSettings):
    slug: str | None = Field(None, description="DNS label; changing it moves the public address.",
                      json_schema_extra={"pattern": SLUG_PATTERN, "maxLength": 63})


class PageOut(Schema):
    slug: str
    title: str
    default_status_message: str
    time_zone: str
    banner_color_rule: BannerColorRule
    theme: Theme
    language: str
    custom_domain: str | None
    header_background: str
    header_text_color: str
    main_site_url: str
    support_email: str
    is_private: bool
    auto_maintenance: bool
    subscriptions_enabled: bool
    public_url: str
    role: str
    created_at: dt.datetime
    updated_at: dt.datetime


class PageList(Schema):
    items: list[PageOut]
    next_cursor: str | None


# Services


class ServiceCreate(Input):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    description: Annotated[str, Field(max_length=2000)] = ""
    group: Annotated[str, Field(min_length=1, max_length=100)] | None = Field(
        None, description="Name of the group; created when missing."
    )
    position: Annotated[StrictInt, Field(ge=0, le=1_000_000)] | None = None
    start_date: Day | None = Field(
        None, description="First local day the service reports figures for (default: today)."
    )


class ServiceUpdate(Patch):
    nullable = frozenset({"description", "group"})

    name: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    description: Annotated[str, Field(max_length=2000)] | None = Field(
        None, description="Null or an empty string removes it."
    )
    group: Annotated[str, Field(max_length=100)] | None = Field(
        None, description="Name of the group, created when missing; null or an empty string "
        "removes the service from its group."
    )
    position: Annotated[StrictInt, Field(ge=0, le=1_000_000)] | None = None
    start_date: Day | None = Field(None, description="First local day the service reports "
                                       "figures for; days before it have no data.")


class ServiceOut(Schema):
    id: int
    name: str
    description: str
    group: str | None
    position: int
    start_date: dt.date
    state: DisplayState
    created_at: dt.datetime


class ServiceList(Schema):
    items: list[ServiceOut]
    next_cursor: str | None


# Incidents


class IncidentOpen(Input):
    title: Title
    text: Text
    state: State
    status: Status
    services: list[Id] = Field(default_factory=list, max_length=1000)
    at: Moment | None = Field(
        None, description="When it started, if earlier than now; with a UTC offset."
    )


class IncidentEventCreate(Input):
    text: Text
    state: State
    status: Status
    at: Moment | None = None
    services: list[Id] | None = Field(
        None, max_length=1000,
        description="The services this event concerns, when they differ from the incident's.",
    )


class IncidentClose(Input):
    text: Annotated[str, Field(max_length=20_000)] | None = None
    at: Moment | None = None


class IncidentUpdate(Input):
    title: Title | None = None
    services: list[Id] | None = Field(None, max_length=1000)
    post_mortem: Annotated[str, Field(max_length=100_000)] | None = None


class EventTextUpdate(Input):
    text: Text


class BackfillEvent(Input):
    at: Moment
    state: State | None = Field(None, description="Optional on the last, resolved event.")
    status: Status
    text: Text


class IncidentBackfill(Input):
    title: Title
    services: list[Id] = Field(default_factory=list, max_length=1000)
    events: list[BackfillEvent] = Field(min_length=1, max_length=1000,
                                        description="Oldest first; the last one resolved.")


class IncidentEventOut(Schema):
    id: int
    at: dt.datetime
    state: State
    status: Status
    text: str
    services: list[int]
    posted_at: dt.datetime
    edited_at: dt.datetime | None


class IncidentOut(Schema):
    id: int
    title: str
    state: State
    status: Status
    services: list[int]
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    backfilled: bool
    post_mortem: str | None
    events: list[IncidentEventOut] | None = Field(
        None, description="Newest first; on the detail view and after changes."
    )


class IncidentList(Schema):
    items: list[IncidentOut]
    next_cursor: str | None


# Maintenances


class MaintenanceCreate(Input):
    title: Title
    description: Annotated[str, Field(max_length=20_000)] = ""
    starts_at: Moment
    ends_at: Moment
    services: list[Id] = Field(default_factory=list, max_length=1000)
    auto_transition: StrictBool | None = Field(
        None, description="Start and complete on its own; null follows the page's setting."
    )


class MaintenanceUpdate(Input):
    title: Title | None = None
    description: Annotated[str, Field(max_length=20_000)] | None = None
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    services: list[Id] | None = Field(None, max_length=1000)
    auto_transition: StrictBool | None = None


class MaintenanceEventCreate(Input):
    text: Text
    status: MaintenanceStatus | None = Field(
        None, description="Default in_progress; completed closes the maintenance."
    )
    at: Moment | None = None


class MaintenanceClose(Input):
    text: Annotated[str, Field(max_length=20_000)] | None = None
    at: Moment | None = None


class MaintenanceEventOut(Schema):
    id: int
    at: dt.datetime
    status: MaintenanceStatus
    text: str


class MaintenanceOut(Schema):
    id: int
    title: str
    description: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: MaintenanceStatus
    services: list[int]
    auto_transition: bool | None
    started_at: dt.datetime | None
    completed_at: dt.datetime | None
    overdue: bool
    events: list[MaintenanceEventOut] | None = None


class MaintenanceList(Schema):
    items: list[MaintenanceOut]
    next_cursor: str | None


# Status and outage figures


class BannerOut(Schema):
    message: str
    state: DisplayState
    incidents: list[int]


class ServiceStateOut(Schema):
    id: int
    name: str
    group: str | None
    state: DisplayState


class OpenIncidentOut(Schema):
    id: int
    title: str
    state: State
    status: Status
    opened_at: dt.datetime
    services: list[int]
    latest_text: str


class StatusMaintenanceOut(Schema):
    id: int
    title: str
    status: MaintenanceStatus
    starts_at: dt.datetime
    ends_at: dt.datetime
    services: list[int]


class StatusOut(Schema):
    page: str
    time_zone: str
    banner: BannerOut
    services: list[ServiceStateOut]
    incidents: list[OpenIncidentOut]
    maintenances: list[StatusMaintenanceOut]
    updated_at: dt.datetime


class DayOut(Schema):
    date: dt.date
    minutes: int = Field(description="Length of the local day: 1440, or 1380/1500 on DST days.")
    degraded_performance: float
    partial_outage: float
    major_outage: float
    uptime: float | None = Field(description="1 - minutes down / minutes; null without data.")
    no_data: bool


class ServiceOutagesOut(Schema):
    id: int
    name: str
    start_date: dt.date
    uptime: float | None
    days: list[DayOut]


class OutagesOut(Schema):
    time_zone: str
    start: dt.date
    end: dt.date
    services: list[ServiceOutagesOut]


class AuditEntryOut(Schema):
    id: int
    at: dt.datetime
    actor: str
    action: str
    object_type: str
    object_id: int | None
    before: dict | None  # type: ignore[type-arg]
    after: dict | None  # type: ignore[type-arg]


class AuditList(Schema):
    items: list[AuditEntryOut]
    next_cursor: str | None
