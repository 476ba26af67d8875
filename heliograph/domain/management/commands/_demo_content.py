"""The services, incidents and maintenances of the demo page, as plain data.

Times are given relative to a placement: an incident's updates in minutes after its first
event, and its first event as a number of days ago and a local time of day on the page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from heliograph.domain.vocab import State, Status

GROUPS: dict[str, tuple[str, ...]] = {
    "Customer-facing": ("Website", "API", "Dashboard"),
    "Infrastructure": ("Database", "Background jobs", "E-mail delivery"),
}

DESCRIPTIONS = {
    "Website": "The public website and sign-in pages.",
    "API": "The REST API at api.example.com, used by the mobile apps and integrations.",
    "Dashboard": "The web application where customers manage their accounts.",
    "Database": "The primary PostgreSQL cluster and its replicas.",
    "Background jobs": "Scheduled exports, webhooks and other deferred work.",
    "E-mail delivery": "Notification and transactional e-mail.",
}


@dataclass(frozen=True)
class Update:
    minutes: int
    status: Status
    state: State | None
    text: str


@dataclass(frozen=True)
class Story:
    """A past incident: what it affected and its updates, the last one resolved."""

    title: str
    services: tuple[str, ...]
    updates: tuple[Update, ...]
    post_mortem: str = ""

    @property
    def duration(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.updates[-1].minutes)


@dataclass(frozen=True)
class Placement:
    story: Story
    days_ago: int
    local_start: dt.time


INVESTIGATING, IDENTIFIED, MONITORING, RESOLVED = (
    Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING, Status.RESOLVED
)
DEGRADED, PARTIAL, MAJOR = State.DEGRADED_PERFORMANCE, State.PARTIAL_OUTAGE, State.MAJOR_OUTAGE

API_ERRORS = Story(
    "Elevated error rates on the API",
    ("API",),
    (
        Update(
            0, INVESTIGATING, DEGRADED,
            "We are seeing about 4% of API requests fail with `502 Bad Gateway`. Retried requests "
            "mostly succeed. We are investigating.",
        ),
        Update(
            25, IDENTIFIED, DEGRADED,
            "The errors come from one of the three load balancers, which is dropping connections "
            "to the application servers. We are taking it out of rotation.",
        ),
        Update(
            50, MONITORING, DEGRADED,
            "The faulty load balancer is out of rotation and the error rate is back below 0.1%. "
            "We are monitoring.",
        ),
        Update(
            95, RESOLVED, None,
            "The error rate has stayed normal for 45 minutes. The load balancer will be replaced "
            "before it goes back into service.",
        ),
    ),
)

API_SLOW = Story(
    "Slow responses from the API",
    ("API",),
    (
        Update(
            0, INVESTIGATING, DEGRADED,
            "API response times are about three times higher than usual. We are investigating.",
        ),
        Update(
            40, IDENTIFIED, DEGRADED,
            "A slow query on the **events** table causes the delay. We are adding an index.",
        ),
        Update(
            150, MONITORING, DEGRADED,
            "The index is being built; response times are improving as it fills.",
        ),
        Update(
            260, RESOLVED, None,
            "The index is in place and response times are back to normal.",
        ),
    ),
)

API_REGION_DOWN = Story(
    "API unavailable in the Frankfurt region",
    ("API",),
    (
        Update(
            0, INVESTIGATING, MAJOR,
            "Requests to the API in the Frankfurt region time out. Other regions are not "
            "affected. We are investigating.",
        ),
        Update(
            12, IDENTIFIED, MAJOR,
            "A configuration change to the regional firewall blocked traffic to the application "
            "servers. We are rolling it back.",
        ),
        Update(
            30, MONITORING, DEGRADED,
            "The rollback is complete and requests succeed again. Response times are still high "
            "while caches warm up.",
        ),
        Update(
            48, RESOLVED, None,
            "The API in Frankfurt works normally again.",
        ),
    ),
    post_mortem=(
        "## What happened\n\n"
        "A firewall rule meant for a staging network was applied to the production network of "
        "the Frankfurt region at 11:25 and blocked every connection from the load balancers to "
        "the application servers for 30 minutes.\n\n"
        "## What we are changing\n\n"
        "- Firewall changes now go through the same review and staged rollout as code.\n"
        "- An alert now fires when a region's request rate drops by half within five minutes.\n"
    ),
)

EMAIL_DELAYED = Story(
    "Delayed e-mail notifications",
    ("E-mail delivery",),
    (
        Update(
            0, INVESTIGATING, DEGRADED,
            "Notification e-mails arrive up to 40 minutes late. We are investigating.",
        ),
        Update(
            35, IDENTIFIED, DEGRADED,
            "Our e-mail provider is throttling us after a burst of messages from a nightly "
            "export. We have paused the export.",
        ),
        Update(
            110, MONITORING, DEGRADED,
            "The backlog is shrinking. New e-mails go out within two minutes.",
        ),
        Update(
            190, RESOLVED, None,
            "The backlog is cleared and e-mails go out without delay. Nightly exports now send at "
            "a limited rate.",
        ),
    ),
)

FAILOVER = Story(
    "Dashboard unavailable during a database failover",
    ("Dashboard", "Database"),
    (
        Update(
            0, INVESTIGATING, PARTIAL,
            "Some pages of the dashboard fail to load. We are investigating.",
        ),
        Update(
            10, IDENTIFIED, MAJOR,
            "The primary database server has failed and the dashboard cannot write. A replica is "
            "being promoted.",
        ),
        Update(
            38, MONITORING, PARTIAL,
            "The replica is now the primary. The dashboard works again; reports are still being "
            "rebuilt.",
        ),
        Update(
            65, RESOLVED, None,
            "All dashboard pages work normally. No data was lost.",
        ),
    ),
)

JOBS_STALLED = Story(
    "Background jobs stalled overnight",
    ("Background jobs",),
    (
        Update(
            0, INVESTIGATING, PARTIAL,
            "Scheduled exports and webhooks have not run for 20 minutes. We are investigating.",
        ),
        Update(
            45, IDENTIFIED, PARTIAL,
            "A long-running job holds a lock that every other job waits for. We are stopping it.",
        ),
        Update(
            120, MONITORING, DEGRADED,
            "Jobs are running again and working through the backlog of about 18,000 jobs.",
        ),
        Update(
            360, RESOLVED, None,
            "The backlog is cleared. Jobs now time out after 15 minutes so that one cannot block "
            "the others.",
        ),
    ),
)

ASSETS = Story(
    "Website images and styles failing to load",
    ("Website",),
    (
        Update(
            0, INVESTIGATING, PARTIAL,
            "The website loads without images or styles for many visitors. We are investigating.",
        ),
        Update(
            15, IDENTIFIED, PARTIAL,
            "Our content delivery network rejects requests after a certificate renewal. We are "
            "reissuing the certificate.",
        ),
        Update(
            40, RESOLVED, None,
            "The new certificate is live and the website loads normally.",
        ),
    ),
)

SEARCH = Story(
    "Incomplete search results in the dashboard",
    ("Dashboard",),
    (
        Update(
            0, INVESTIGATING, DEGRADED,
            "Searches in the dashboard miss records created since this morning. We are "
            "investigating.",
        ),
        Update(
            30, IDENTIFIED, DEGRADED,
            "The search index stopped receiving updates. We are re-indexing the missing records.",
        ),
        Update(
            80, MONITORING, DEGRADED,
            "Re-indexing is 70% done.",
        ),
        Update(
            120, RESOLVED, None,
            "Search results are complete again.",
        ),
    ),
)

LOGIN = Story(
    "Sign-in failures for some users",
    ("Website", "Dashboard"),
    (
        Update(
            0, INVESTIGATING, PARTIAL,
            "Some users cannot sign in and see *Your session has expired* right after entering "
            "their password. We are investigating.",
        ),
        Update(
            20, IDENTIFIED, PARTIAL,
            "A change to session cookies, released this morning, breaks sign-in in Safari. We are "
            "reverting it.",
        ),
        Update(
            40, MONITORING, DEGRADED,
            "The change is reverted. Users who still see the error can sign in after clearing the "
            "site's cookies.",
        ),
        Update(
            55, RESOLVED, None,
            "Sign-in works for everyone.",
        ),
    ),
)

WEBHOOKS = Story(
    "Webhook deliveries retried",
    ("Background jobs",),
    (
        Update(
            0, INVESTIGATING, DEGRADED,
            "About a third of webhook deliveries fail and are being retried. We are "
            "investigating.",
        ),
        Update(
            30, IDENTIFIED, DEGRADED,
            "A new worker host cannot resolve customer host names. We have removed it from the "
            "pool.",
        ),
        Update(
            70, RESOLVED, None,
            "Deliveries succeed again, and the failed ones were delivered on retry. No webhook "
            "was lost.",
        ),
    ),
)

DISK = Story(
    "Database storage running low",
    ("Database",),
    (
        Update(
            0, INVESTIGATING, DEGRADED,
            "Writes are slower because the database volume is 95% full. We are adding storage.",
        ),
        Update(
            20, MONITORING, DEGRADED,
            "The volume has been grown to 2 TB. Write times are recovering.",
        ),
        Update(
            35, RESOLVED, None,
            "Write times are back to normal.",
        ),
    ),
)

# Placed on the days when Europe/Zurich changes its clocks; the incident spans the change.
CLOCK_CHANGE_FALL = Story(
    "Duplicate nightly exports around the clock change",
    ("Background jobs",),
    (
        Update(
            0, INVESTIGATING, DEGRADED,
            "Nightly exports are taking longer than usual. We are investigating.",
        ),
        Update(
            60, IDENTIFIED, DEGRADED,
            "The clocks went back from 03:00 to 02:00, and the scheduler is starting the exports "
            "of 02:00 to 03:00 a second time. We have paused it.",
        ),
        Update(
            120, MONITORING, DEGRADED,
            "The scheduler now keeps its timetable in UTC and is running again.",
        ),
        Update(
            180, RESOLVED, None,
            "No more duplicate exports are being sent. Some customers received a second copy of "
            "last night's export: please ignore it.",
        ),
    ),
)

CLOCK_CHANGE_SPRING = Story(
    "Nightly exports skipped during the clock change",
    ("Background jobs",),
    (
        Update(
            0, INVESTIGATING, DEGRADED,
            "Nightly exports are queued but not starting. We are investigating.",
        ),
        Update(
            60, IDENTIFIED, DEGRADED,
            "The clocks went forward from 02:00 to 03:00, so the exports scheduled between 02:00 "
            "and 03:00 never started. We are starting them by hand.",
        ),
        Update(
            120, MONITORING, DEGRADED,
            "The missed exports are being sent, and the scheduler now keeps its timetable in UTC.",
        ),
        Update(
            180, RESOLVED, None,
            "Every missed export has been sent.",
        ),
    ),
)

PLACEMENTS = (
    Placement(ASSETS, 110, dt.time(14, 20)),
    Placement(API_ERRORS, 95, dt.time(10, 5)),
    Placement(SEARCH, 86, dt.time(16, 0)),
    Placement(EMAIL_DELAYED, 73, dt.time(22, 40)),  # crosses midnight
    Placement(DISK, 64, dt.time(5, 10)),
    Placement(JOBS_STALLED, 58, dt.time(21, 50)),  # crosses midnight
    # Two incidents on the API at once: the slow responses and, within them, the outage.
    Placement(API_SLOW, 42, dt.time(9, 10)),
    Placement(API_REGION_DOWN, 42, dt.time(11, 25)),
    Placement(LOGIN, 31, dt.time(8, 15)),
    Placement(FAILOVER, 17, dt.time(23, 35)),  # crosses midnight
    Placement(WEBHOOKS, 8, dt.time(13, 30)),
)

OPEN_INCIDENT_TITLE = "Delays in e-mail delivery to Outlook.com addresses"
OPEN_INCIDENT_SERVICES = ("E-mail delivery",)
OPEN_INCIDENT_UPDATES = (
    Update(
        -50, INVESTIGATING, DEGRADED,
        "E-mails to Outlook.com and Hotmail addresses arrive up to an hour late. Other providers "
        "are not affected. We are investigating.",
    ),
    Update(
        -20, IDENTIFIED, DEGRADED,
        "Microsoft is deferring part of our traffic. We have opened a case with them and are "
        "sending through a second IP address in the meantime.",
    ),
)


@dataclass(frozen=True)
class PlannedWork:
    """A maintenance window: days from today (negative in the past) and local start time."""

    title: str
    description: str
    services: tuple[str, ...]
    days_from_today: int
    local_start: dt.time
    minutes: int
    progress: tuple[str, ...] = ()
    closing: str = ""


COMPLETED_MAINTENANCES = (
    PlannedWork(
        "Database upgrade to PostgreSQL 17",
        "We are upgrading the primary database cluster. The dashboard will be read-only for "
        "up to **30 minutes** during the switch-over; the API keeps answering reads.",
        ("Database", "Dashboard"), -100, dt.time(6, 0), 90,
        progress=("The upgrade has started. Replicas are being upgraded first.",
                  "The replicas are upgraded; switching the primary over now."),
        closing="The upgrade is complete and the dashboard accepts changes again.",
    ),
    PlannedWork(
        "Network switch replacement",
        "A core network switch is being replaced. Short interruptions of a few seconds are "
        "possible.",
        ("Website", "API"), -66, dt.time(5, 0), 60,
        progress=("Work has started.",),
        closing="The new switch is in service. We saw no interruptions.",
    ),
    PlannedWork(
        "Move to a new e-mail provider",
        "We are moving notification e-mail to a new provider. Some e-mails may arrive a few "
        "minutes late during the move.\n\n- Sending addresses do not change.\n- No action is "
        "needed on your side.",
        ("E-mail delivery",), -38, dt.time(7, 0), 120,
        progress=("The move has started.", "Half of our traffic now goes through the new "
                  "provider."),
        closing="All e-mail now goes through the new provider.",
    ),
    PlannedWork(
        "Dashboard release: new reports",
        "We are releasing the new reports section. The dashboard may be slow for a few "
        "minutes.",
        ("Dashboard",), -12, dt.time(6, 30), 30,
        progress=("The release is rolling out.",),
        closing="The release is complete.",
    ),
)

IN_PROGRESS_MAINTENANCE = PlannedWork(
    "Background job queue migration",
    "We are moving the job queue to new servers. Exports and webhooks may be delayed by up to "
    "15 minutes; none will be lost.",
    ("Background jobs",), 0, dt.time(0, 0), 120,
    progress=("The migration has started. New jobs now go to the new servers.",
              "The old queue is draining: about 2,000 jobs left."),
)
# The in-progress window runs from 35 minutes ago to 85 minutes from now; its updates were
# posted 35 and 10 minutes ago.
IN_PROGRESS_STARTED_MINUTES_AGO = 35
IN_PROGRESS_UPDATE_MINUTES_AGO = (35, 10)

SCHEDULED_MAINTENANCE = PlannedWork(
    "API certificate rotation",
    "We are rotating the TLS certificates of `api.example.com`. Clients that pin the old "
    "certificate must update to the new one, which is published on our developer site.",
    ("API",), 3, dt.time(6, 0), 30,
)
