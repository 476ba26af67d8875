from __future__ import annotations

from django import forms

from heliograph.social.reminders import REMINDER_MINUTES_MAX


class XLinkForm(forms.Form):
    handle = forms.CharField(label="Account name", max_length=200, required=False,
                             help_text="As the console shows it, for example @acme_status.")
    token = forms.CharField(label="Access token", max_length=2000, strip=True,
                            widget=forms.PasswordInput(render_value=False),
                            help_text="The account's OAuth 1.0a access token, from the X "
                                      "developer portal, or an OAuth 2.0 user access token "
                                      "with the tweet.write scope.")
    secret = forms.CharField(label="Access token secret", max_length=2000, required=False,
                             widget=forms.PasswordInput(render_value=False),
                             help_text="The OAuth 1.0a access token secret. Leave empty for "
                                       "an OAuth 2.0 user access token.")


class MastodonLinkForm(forms.Form):
    instance_url = forms.CharField(label="Instance", max_length=200,
                                   help_text="The server's address, for example "
                                             "https://mastodon.social.")
    handle = forms.CharField(label="Account name", max_length=200, required=False,
                             help_text="For example @acme@mastodon.social.")
    token = forms.CharField(label="Access token", max_length=2000,
                            widget=forms.PasswordInput(render_value=False),
                            help_text="From Preferences → Development → New application on "
                                      "the instance, with the write:statuses scope.")
    max_characters = forms.IntegerField(label="Post length limit", required=False,
                                        min_value=50, max_value=100_000,
                                        help_text="Characters per post on this instance. "
                                                  "Leave empty for 500.")


class MastodonStartForm(forms.Form):
    instance_url = forms.CharField(label="Instance", max_length=200,
                                   help_text="The server's address, for example "
                                             "https://mastodon.social. You approve the link "
                                             "on that server.")


class ReminderForm(forms.Form):
    minutes = forms.IntegerField(
        label="Reminder before a maintenance starts (minutes)", required=False, min_value=1,
        max_value=REMINDER_MINUTES_MAX,
        help_text="Posts a reminder this many minutes before each scheduled maintenance "
                  "starts, for example 60. Leave empty for no reminder.",
    )
