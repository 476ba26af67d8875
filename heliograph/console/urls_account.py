"""Console paths that belong to the user rather than to one page: new page, API tokens,
invitations."""

from django.urls import include, path

from heliograph.console import member_views, token_views, views

urlpatterns = [
    path("new/", views.new_page, name="new-page"),
    path("tokens/", token_views.tokens, name="tokens"),
    path("tokens/<int:token_id>/created/", token_views.token_created, name="token-created"),
    path("tokens/<int:token_id>/revoke/", token_views.revoke_token, name="token-revoke"),
    path("invitations/<str:token>/", member_views.accept_invitation, name="invitation"),
    path("runstatus-credentials/", include("heliograph.console.credential_views")),
]
