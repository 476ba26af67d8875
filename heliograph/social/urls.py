from django.urls import path

from heliograph.social import views

urlpatterns = [
    path("social/", views.accounts, name="social"),
    path("social/x/authorize/", views.start_x, name="social-x-authorize"),
    path("social/mastodon/authorize/", views.start_mastodon, name="social-mastodon-authorize"),
    path("social/x/link/", views.link_x, name="social-link-x"),
    path("social/mastodon/link/", views.link_mastodon, name="social-link-mastodon"),
    path("social/<str:network>/unlink/", views.unlink, name="social-unlink"),
    path("social/count/", views.count, name="social-count"),
    path("social/<str:network>/reminder/", views.set_reminder, name="social-reminder"),
]
