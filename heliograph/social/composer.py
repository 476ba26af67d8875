"""The post composer of the console forms that publish an incident event or a maintenance.

For each linked account the form shows the proposed post in an editable text area, its length
as the network counts it, and a "Skip this post" box. The submitted choices then apply to the
deliveries that the publishing transaction records:

- a skipped post loses its delivery before the transaction commits, so nothing is sent;
- an edited text is stored as the delivery's `SocialPost`, which the channel sends as is;
- a text left as proposed stores nothing, and the channel composes the post from the saved
  event when it sends it, so the text and link match what was published.

A hidden field carries the proposal the text area was filled with, so an edited text can be
told apart from an untouched one. An untouched proposal is composed again from the current
form values whenever the form is shown again (the preview, or an error).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import Q
from django.http import QueryDict

from heliograph.domain.errors import InvalidValue
from heliograph.domain.incidents import TEXT_MAX
from heliograph.domain.models import Page
from heliograph.domain.validation import check_text
from heliograph.notifications import post_text
from heliograph.notifications.channels import Kind
from heliograph.notifications.email import page_link
from heliograph.notifications.models import Delivery
from heliograph.social.models import Network, SocialAccount, SocialPost
from heliograph.social.proposals import network_rules

# Stand for the public path of an incident or maintenance that does not exist yet, in a
# proposal shown before it is published. Publishing replaces the address in an edited text,
# and both addresses count as one URL.
NEW_INCIDENT_TAIL = "incidents/new"
NEW_MAINTENANCE_TAIL = "maintenances/new"

Proposer = Callable[[post_text.Network], str]

# The longest post text accepted, in code points. A proposal holds an event text or a
# maintenance description (at most TEXT_MAX) with its headline and link, so it always fits,
# whatever limit the account's instance sets.
POST_TEXT_MAX = TEXT_MAX + 5_000


def _lines(text: str) -> str:
    """Return `text` with browser line endings (CR LF) as LF, as compared and stored."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def too_long_message(label: str, length: int, rules: post_text.Network) -> str:
    over = length - rules.limit
    return (f"The {label} post is {length} characters as {label} counts them, over its limit "
            f"of {rules.limit}: shorten it by {over}, or tick “Skip this post”.")


class PostForm(forms.Form):
    """The post to one linked account: its text, the proposal it started from, and a skip box."""

    text = forms.CharField(required=False, strip=False, max_length=POST_TEXT_MAX,
                           widget=forms.Textarea(attrs={"rows": 5}))
    proposed = forms.CharField(required=False, strip=False, max_length=POST_TEXT_MAX,
                               widget=forms.HiddenInput)
    skip = forms.BooleanField(required=False, label="Skip this post")

    def __init__(self, *args: Any, account: SocialAccount, proposal: str,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account = account
        self.rules = network_rules(account)
        self.label = Network(account.network).label
        self.fields["text"].label = f"{self.label} post"
        self.fields["text"].widget.attrs.update({
            "data-post-network": account.network,
            "data-post-limit": str(self.rules.limit),
        })
        self.fields["skip"].label = f"Skip this {self.label} post"
        self.fields["text"].error_messages["max_length"] = (
            f"The {self.label} post is longer than {POST_TEXT_MAX:,} characters: shorten it, "
            "or tick “Skip this post”."
        )
        if not self.is_bound or not self.is_edited():
            self._refill(proposal)

    def _refill(self, proposal: str) -> None:
        """Show `proposal` in the text area, replacing an untouched older one."""
        if self.is_bound:
            data = self.data.copy() if isinstance(self.data, QueryDict) else dict(self.data)
            data[self.add_prefix("text")] = proposal
            data[self.add_prefix("proposed")] = proposal
            self.data = data
        else:
            self.initial = {"text": proposal, "proposed": proposal}

    def raw(self, name: str) -> str:
        if self.is_bound:
            return _lines(str(self.data.get(self.add_prefix(name), "")))
        return str(self.initial.get(name, ""))

    def is_edited(self) -> bool:
        return self.raw("text") != self.raw("proposed")

    @property
    def length(self) -> int:
        """The text's length as the network counts it against `rules.limit`."""
        return post_text.count(self.raw("text"), self.rules)

    @property
    def over_limit(self) -> bool:
        return self.length > self.rules.limit

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("skip"):
            return cleaned
        if "text" not in cleaned:
            # The field's own check failed (too long, or a NUL character), with its message.
            return cleaned
        text = _lines(cleaned["text"])
        cleaned["text"] = text
        try:
            # The same characters as in an incident's text are rejected: control characters
            # other than line breaks and tabs, and bidirectional overrides.
            check_text(text, field=f"The {self.label} post", max_length=POST_TEXT_MAX,
                       required=False)
        except InvalidValue as error:
            self.add_error("text", error.message)
            return cleaned
        if not _has_visible_character(text):
            self.add_error("text", f"The {self.label} post is empty: type its text, or tick "
                                   "“Skip this post”.")
        elif post_text.count(text, self.rules) > self.rules.limit:
            self.add_error("text", too_long_message(self.label, post_text.count(
                text, self.rules), self.rules))
        return cleaned


def _has_visible_character(text: str) -> bool:
    """Tell whether `text` contains more than spaces and invisible format characters (U+200B)."""
    return any(not character.isspace() and unicodedata.category(character) != "Cf"
               for character in text)


@dataclass
class Composer:
    """The post forms of one console form, one per linked account (none when none is linked)."""

    posts: list[PostForm]

    def is_valid(self) -> bool:
        # Every form is checked, so each one shows its own errors.
        return all([post.is_valid() for post in self.posts])

    @property
    def errors(self) -> list[tuple[PostForm, str]]:
        if not any(post.is_bound for post in self.posts):
            return []
        return [(post, str(error)) for post in self.posts for error in post.errors.get("text", [])]

    def apply(self, deliveries: Iterable[Delivery], *, placeholder_tail: str = "",
              real_tail: str = "") -> None:
        """Apply the choices to the recorded post deliveries, inside their transaction.

        In edited texts the public address ending in `placeholder_tail` becomes the one
        ending in `real_tail`.
        """
        by_channel = {delivery.channel: delivery for delivery in deliveries}
        for post in self.posts:
            delivery = by_channel.get(post.account.network)
            if delivery is None or delivery.recipient != str(post.account.pk):
                # The account was unlinked or replaced after the form was shown.
                continue
            if post.cleaned_data.get("skip"):
                delivery.delete()
                continue
            if post.is_edited():
                text = post.cleaned_data["text"]
                if placeholder_tail:
                    page = post.account.page
                    text = text.replace(page_link(page, placeholder_tail),
                                        page_link(page, real_tail))
                SocialPost.objects.create(delivery=delivery, text=text)


def composer_for(page: Page, data: Any, proposer: Proposer, *, prefix: str = "") -> Composer:
    """Build the post forms of `page`'s linked accounts, bound to `data` (None when shown)."""
    accounts = SocialAccount.objects.filter(page=page).select_related("page").order_by("network")
    posts = []
    for account in accounts:
        name = f"{prefix}-post-{account.network}" if prefix else f"post-{account.network}"
        rules = network_rules(account)
        try:
            proposal = proposer(rules)
        except ValueError:
            # compose() rejects a link it cannot use (HELIOGRAPH_BASE_URL without http or
            # https), so the text area starts empty and the editor types the post.
            proposal = ""
        posts.append(PostForm(data, account=account, proposal=proposal, prefix=name))
    return Composer(posts)


def post_deliveries(*, incident_event_id: int | None = None,
                    maintenance_id: int | None = None) -> list[Delivery]:
    """Return the X and Mastodon deliveries just recorded for an event or a new maintenance."""
    networks = [Network.X.value, Network.MASTODON.value]
    if incident_event_id is not None:
        match = Q(incident_event_id=incident_event_id)
    else:
        match = Q(maintenance_id=maintenance_id, maintenance_event__isnull=True,
                  kind=Kind.MAINTENANCE_SCHEDULED)
    return list(Delivery.objects.filter(match, channel__in=networks))


def form_value(form: forms.Form, name: str) -> Any:
    """Return a field's value for a proposal: cleaned when valid, else as first shown.

    A bound form is validated first (Django caches the result). A field that failed
    validation gives None.
    """
    if form.is_bound:
        form.is_valid()
        return getattr(form, "cleaned_data", {}).get(name)
    field = form.fields.get(name)
    return form.initial.get(name, field.initial if field is not None else None)


def raw_text(form: forms.Form, name: str) -> str:
    """Return a text field as typed, valid or not, so the proposal follows the editor."""
    if form.is_bound:
        return _lines(str(form.data.get(form.add_prefix(name), "")))
    return str(form.initial.get(name) or "")
