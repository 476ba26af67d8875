"""Request and response bodies of the management API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Schema
from pydantic import AwareDatetime, ConfigDict, Field

from heliograph.domain.vocab import (
    BannerColorRule,
    DisplayState,
    MaintenanceStatus,
    State,
    Status,
    Theme,
)

# Ids fit a signed 64-bit integer in every database the project runs on.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
Title = Annotated[str, Field(min_length=1, max_length=300)]
Text = Annotated[str, Field(min_length=1, max_length=20_000)]


class Input(Schema):
    """A request body: unknown keys are rejected so that a misspelt key is not ignored."""

    model_config = ConfigDict(extra="forbid")


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None = None


# Pages


class PageSettings(Input):
    title: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    default_status_message: Annotated[str, Field(min_length=1, max_length=300)] | None = None
    time_zone: str | None = Field(None, description="IANA name, such as Europe/Zurich.")
    banner_color_rule: BannerColorRule | None = Field(
        None, description="Which open incident colours the banner: the first opened, or the worst."
    )
    theme: Theme | None = None
    language: str | None = Field(None, description="Language of the public page: en, fr or de.")
    custom_domain: str | None = None
    header_background: str | None = Field(None, description="Colour as #rrggbb.")
    header_text_color: str | None = Field(None, description="Colour as #rrggbb.")
    main_site_url: str | None = None
    support_email: str | None = None
    is_private: bool | None = None
    auto_maintenance: bool | None = Field(
        None, description="Start and complete maintenances at their window's times."
    )
    subscriptions_enabled: bool | None = None


class PageCreate(PageSettings):
    slug: str = Field(description="DNS label: the page lives at <slug>.<domain>.")
    title: Annotated[str, Field(min_length=1, max_length=200)]


class PageUpdate(PageSettings):
    slug: str | None = Field(None, description="Changing it moves the public address.")


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
    position: Annotated[int, Field(ge=0, le=1_000_000)] | None = None
    start_date: dt.date | None = Field(
        None, description="First local day the service reports figures for (default: today)."
    )


class ServiceUpdate(Input):
    name: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    description: Annotated[str, Field(max_length=2000)] | None = None
    group: Annotated[str, Field(max_length=100)] | None = Field(
        None, description="Name of the group; an empty string removes the service from it."
    )
    position: Annotated[int, Field(ge=0, le=1_000_000)] | None = None
    start_date: dt.date | None = None


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
    at: AwareDatetime | None = Field(
        None, description="When it started, if earlier than now; with a UTC offset."
    )


class IncidentEventCreate(Input):
    text: Text
    state: State
    status: Status
    at: AwareDatetime | None = None
    services: list[Id] | None = Field(
        None, max_length=1000,
        description="The services this event concerns, when they differ from the incident's.",
    )


class IncidentClose(Input):
    text: Annotated[str, Field(max_length=20_000)] | None = None
    at: AwareDatetime | None = None


class IncidentUpdate(Input):
    title: Title | None = None
    services: list[Id] | None = Field(None, max_length=1000)
    post_mortem: Annotated[str, Field(max_length=100_000)] | None = None


class EventTextUpdate(Input):
    text: Text


class BackfillEvent(Input):
    at: AwareDatetime
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
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    services: list[Id] = Field(default_factory=list, max_length=1000)
    auto_transition: bool | None = Field(
        None, description="Start and complete on its own; null follows the page's setting."
    )


class MaintenanceUpdate(Input):
    title: Title | None = None
    description: Annotated[str, Field(max_length=20_000)] | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    services: list[Id] | None = Field(None, max_length=1000)
    auto_transition: bool | None = None


class MaintenanceEventCreate(Input):
    text: Text
    status: MaintenanceStatus | None = Field(
        None, description="Default in_progress; completed closes the maintenance."
    )
    at: AwareDatetime | None = None


class MaintenanceClose(Input):
    text: Annotated[str, Field(max_length=20_000)] | None = None
    at: AwareDatetime | None = None


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
