"""Pages, services, incidents and maintenances.

The models hold data and the constraints the database can enforce. Every state change goes
through the functions in `heliograph.domain.incidents`, `.maintenances` and `.pages`, which
apply the rules of the domain in one transaction each.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from heliograph.domain.vocab import (
    BannerColorRule,
    MaintenanceStatus,
    State,
    Status,
    Theme,
)


def _choices(enum: type[State] | type[Status] | type[MaintenanceStatus]) -> list[tuple[str, str]]:
    return [(member.value, member.label) for member in enum]


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    EDITOR = "editor", "Editor"
    VIEWER = "viewer", "Viewer"


class Page(models.Model):
    """One organisation's status page, and the unit of tenancy."""

    slug = models.CharField(max_length=63, unique=True)
    title = models.CharField(max_length=200)
    default_status_message = models.CharField(
        max_length=300, default="All systems operational"
    )
    time_zone = models.CharField(max_length=64, default="UTC")
    banner_color_rule = models.CharField(
        max_length=16,
        choices=[(rule.value, rule.value) for rule in BannerColorRule],
        default=BannerColorRule.FIRST_OPENED.value,
    )
    theme = models.CharField(
        max_length=8, choices=[(theme.value, theme.value) for theme in Theme], default="auto"
    )
    language = models.CharField(max_length=8, default="en")
    custom_domain = models.CharField(max_length=253, null=True, blank=True, unique=True)
    header_background = models.CharField(max_length=7, default="#ffffff")
    header_text_color = models.CharField(max_length=7, default="#1b1f24")
    main_site_url = models.URLField(blank=True)
    support_email = models.EmailField(blank=True)
    twitter_username = models.CharField(max_length=15, blank=True)
    logo = models.FileField(upload_to="logos/", blank=True)
    is_private = models.BooleanField(default=False)
    auto_maintenance = models.BooleanField(default=False)
    subscriptions_enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # Bumped by every change to the page or anything on it; public caches key on it.
    version = models.PositiveBigIntegerField(default=1)

    members: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="pages"
    )

    def __str__(self) -> str:
        return self.slug


class Membership(models.Model):
    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=8, choices=Role.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["page", "user"], name="membership_unique_user")
        ]


class ServiceGroup(models.Model):
    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="service_groups")
    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "page", name="service_group_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="services")
    group = models.ForeignKey(
        ServiceGroup,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="services",
    )
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    # The first local day the service reports figures for; days before it have no data.
    start_date = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    # When an incident or maintenance listing the service last changed (None: none lists it),
    # kept by `heliograph.domain.service_times`.
    changed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "page", name="service_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Incident(models.Model):
    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="incidents")
    title = models.CharField(max_length=300)
    services = models.ManyToManyField(Service, blank=True, related_name="incidents")
    # State and status of the latest event, kept by the domain functions for cheap listing.
    state = models.CharField(max_length=24, choices=_choices(State))
    status = models.CharField(max_length=16, choices=_choices(Status))
    latest_event = models.ForeignKey(
        "IncidentEvent", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    backfilled = models.BooleanField(default=False)
    post_mortem = models.TextField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["page", "closed_at"], name="incident_page_closed"),
            models.Index(fields=["page", "-opened_at"], name="incident_page_opened"),
            # The open incidents of a page, found without reading its closed history.
            models.Index(fields=["page", "opened_at"], condition=models.Q(closed_at__isnull=True),
                         name="incident_page_open"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class IncidentEvent(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    state = models.CharField(max_length=24, choices=_choices(State))
    status = models.CharField(max_length=16, choices=_choices(Status))
    text = models.TextField()
    # When `services_override` is false the event concerns the incident's services; when true
    # it concerns exactly `services` (a partial fix names what is still affected).
    services_override = models.BooleanField(default=False)
    services = models.ManyToManyField(Service, blank=True, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    posted_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["incident", "at", "id"], name="incident_event_order")]


class Maintenance(models.Model):
    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="maintenances")
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(
        max_length=16,
        choices=_choices(MaintenanceStatus),
        default=MaintenanceStatus.SCHEDULED.value,
    )
    services = models.ManyToManyField(Service, blank=True, related_name="maintenances")
    # None follows the page's `auto_maintenance` switch.
    auto_transition = models.BooleanField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["page", "status", "starts_at"], name="maintenance_page_status"),
            models.Index(fields=["status", "starts_at"], name="maintenance_due"),
            models.Index(fields=["page", "-starts_at"], name="maintenance_page_starts"),
        ]

    def __str__(self) -> str:
        return self.title

    def follows_window(self) -> bool:
        """Return whether the worker starts and completes this maintenance on its own."""
        if self.auto_transition is not None:
            return self.auto_transition
        return self.page.auto_maintenance

    def is_overdue(self, now: dt.datetime | None = None) -> bool:
        """Return whether the window has ended while the maintenance is still scheduled."""
        now = now or timezone.now()
        return self.status == MaintenanceStatus.SCHEDULED and self.ends_at <= now


class MaintenanceEvent(models.Model):
    maintenance = models.ForeignKey(Maintenance, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=_choices(MaintenanceStatus))
    text = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    posted_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["maintenance", "at", "id"], name="maintenance_event_order")
        ]


class AuditEntry(models.Model):
    """A record of one change to a page: its author, time, action, and values before and after."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="audit_entries")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # How the actor was identified ("alice@example.com via token hg_ab12…"), kept when the
    # user is deleted.
    actor_label = models.CharField(max_length=200)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=32)
    object_id = models.BigIntegerField(null=True)
    before = models.JSONField(null=True)
    after = models.JSONField(null=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["page", "-at"], name="audit_page_at")]


class DayFigure(models.Model):
    """The minutes of one local day in each bad state, for a service or (service None) the page.

    Rows exist only for days with some minutes in a bad state, and only up to the page's
    `FiguresWatermark.through`: a stored day without a row had no downtime. Later days are
    computed from the events on each read. `heliograph.domain.day_figures` keeps both up to date.
    """

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, null=True, related_name="+")
    date = models.DateField()
    degraded_performance = models.FloatField()
    partial_outage = models.FloatField()
    major_outage = models.FloatField()
    worst = models.CharField(max_length=24, choices=_choices(State))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["page", "service", "date"],
                                    name="day_figure_unique_service_day"),
            models.UniqueConstraint(fields=["page", "date"], condition=models.Q(service=None),
                                    name="day_figure_unique_page_day"),
        ]
        indexes = [models.Index(fields=["page", "date"], name="day_figure_page_date")]


class FiguresWatermark(models.Model):
    """The last local day whose figures `DayFigure` holds for a page, in the zone they used."""

    page = models.OneToOneField(Page, on_delete=models.CASCADE, related_name="+")
    through = models.DateField()
    time_zone = models.CharField(max_length=64)
