"""Public paths of a page, at a host's root and under `/p/<slug>/` on the main host."""

from django.urls import include, path

from heliograph.notifications import public_views as subscription_views
from heliograph.public import format_views, statuspage_views, views
from heliograph.runstatus.summary import summary as runstatus_summary

page_paths = [
    path("", views.front, name="front"),
    path("incidents/<int:incident_id>", views.incident, name="incident"),
    path("maintenances/<int:maintenance_id>", views.maintenance, name="maintenance"),
    path("history", views.history, name="history"),
    path("maintenances", views.past_maintenances, name="past-maintenances"),
    path("live", views.live, name="live"),
    path("favicon.svg", views.favicon, name="favicon"),
    path("api.json", runstatus_summary, name="runstatus-summary"),
    path("history.atom", format_views.history_atom, name="history-atom"),
    path("history.rss", format_views.history_rss, name="history-rss"),
    path("maintenances.ics", format_views.maintenances_ics, name="maintenances-ics"),
    path("badge.svg", format_views.badge, name="badge"),
    path("subscribe", subscription_views.subscribe, name="subscribe"),
    path("subscription/<str:token>", subscription_views.manage, name="subscription"),
    path("subscription/<str:token>/confirm", subscription_views.confirm,
         name="subscription-confirm"),
    path("subscription/<str:token>/unsubscribe", subscription_views.unsubscribe,
         name="subscription-unsubscribe"),
    path("embed", format_views.embed, name="embed"),
    path("api/v2/summary.json", statuspage_views.summary, name="statuspage-summary"),
    path("api/v2/status.json", statuspage_views.status, name="statuspage-status"),
    path("api/v2/components.json", statuspage_views.components, name="statuspage-components"),
    path("api/v2/incidents.json", statuspage_views.incidents, name="statuspage-incidents"),
    path("api/v2/incidents/unresolved.json", statuspage_views.unresolved_incidents,
         name="statuspage-unresolved-incidents"),
    path("api/v2/scheduled-maintenances.json", statuspage_views.maintenances,
         name="statuspage-maintenances"),
    path("api/v2/scheduled-maintenances/upcoming.json", statuspage_views.upcoming_maintenances,
         name="statuspage-upcoming-maintenances"),
    path("api/v2/scheduled-maintenances/active.json", statuspage_views.active_maintenances,
         name="statuspage-active-maintenances"),
]

app_name = "public"
urlpatterns = [
    path("p/<slug:slug>/", include((page_paths, "public"), namespace="by-path")),
    *page_paths,
]
