"""The OAuth callbacks, outside any page's path because X and Mastodon need one fixed URL."""

from django.urls import path

from heliograph.social import views

urlpatterns = [
    path("social/x/callback/", views.x_callback, name="social-x-callback"),
    path("social/mastodon/callback/", views.mastodon_callback, name="social-mastodon-callback"),
]
