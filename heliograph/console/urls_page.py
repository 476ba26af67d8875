"""A page's settings, members and audit log."""

from django.urls import path

from heliograph.console import (
    audit_views,
    delivery_views,
    member_views,
    settings_views,
    webhook_views,
)

urlpatterns = [
    path("settings/", settings_views.page_settings, name="settings"),
    path("settings/logo/", settings_views.upload_logo, name="logo-upload"),
    path("settings/logo/remove/", settings_views.remove_logo, name="logo-remove"),
    path("settings/logo/file/", settings_views.logo_file, name="logo-file"),
    path("settings/delete/", settings_views.delete_page, name="delete-page"),
    path("members/", member_views.members, name="members"),
    path("members/invite/", member_views.invite, name="invite"),
    path("members/<int:membership_id>/role/", member_views.change_role, name="member-role"),
    path("members/<int:membership_id>/remove/", member_views.remove_member,
         name="member-remove"),
    path("invitations/<int:invitation_id>/revoke/", member_views.revoke_invitation,
         name="invitation-revoke"),
    path("audit/", audit_views.audit_log, name="audit"),
    path("deliveries/", delivery_views.delivery_list, name="deliveries"),
    path("deliveries/<int:delivery_id>/retry/", delivery_views.delivery_retry,
         name="delivery-retry"),
    path("deliveries/webhooks/", webhook_views.webhook_list, name="webhooks"),
    path("deliveries/webhooks/<int:webhook_id>/remove/", webhook_views.webhook_remove,
         name="webhook-remove"),
]
