"""A page's services, incidents and maintenances."""

from django.urls import path

from heliograph.console import (
    backfill_views,
    incident_views,
    maintenance_views,
    preview_views,
    service_views,
)

urlpatterns = [
    path("services/", service_views.service_list, name="services"),
    path("services/order/", service_views.service_order, name="service-order"),
    path("services/<int:service_id>/edit/", service_views.service_edit, name="service-edit"),
    path("services/<int:service_id>/move/", service_views.service_move, name="service-move"),
    path("services/<int:service_id>/remove/", service_views.service_remove,
         name="service-remove"),
    path("services/groups/<int:group_id>/remove/", service_views.group_remove,
         name="group-remove"),

    path("incidents/", incident_views.incident_list, name="incidents"),
    path("incidents/new/", incident_views.incident_new, name="incident-new"),
    path("incidents/backfill/", backfill_views.incident_backfill, name="incident-backfill"),
    path("incidents/<int:incident_id>/", incident_views.incident_detail, name="incident"),
    path("incidents/<int:incident_id>/events/", incident_views.incident_post_event,
         name="incident-event"),
    path("incidents/<int:incident_id>/close/", incident_views.incident_close,
         name="incident-close"),
    path("incidents/<int:incident_id>/edit/", incident_views.incident_edit,
         name="incident-edit"),
    path("incidents/<int:incident_id>/events/<int:event_id>/edit/", incident_views.event_edit,
         name="incident-event-edit"),
    path("incidents/<int:incident_id>/delete/", incident_views.incident_delete,
         name="incident-delete"),

    path("maintenances/", maintenance_views.maintenance_list, name="maintenances"),
    path("maintenances/new/", maintenance_views.maintenance_new, name="maintenance-new"),
    path("maintenances/<int:maintenance_id>/", maintenance_views.maintenance_detail,
         name="maintenance"),
    path("maintenances/<int:maintenance_id>/events/", maintenance_views.maintenance_post_event,
         name="maintenance-event"),
    path("maintenances/<int:maintenance_id>/close/", maintenance_views.maintenance_close,
         name="maintenance-close"),
    path("maintenances/<int:maintenance_id>/edit/", maintenance_views.maintenance_edit,
         name="maintenance-edit"),
    path("maintenances/<int:maintenance_id>/delete/", maintenance_views.maintenance_delete,
         name="maintenance-delete"),

    path("preview/", preview_views.preview, name="preview"),
]
