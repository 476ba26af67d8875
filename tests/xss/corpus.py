"""Hostile values for every text field that a user can set, and the fields themselves.

`FIELDS` lists each user-set text field with the domain call that sets it. `NOT_USER_TEXT`
lists every other CharField and TextField of the models, with the reason no user writes them.
`tests/xss/test_fields.py` fails when a model gains a text field that is in neither table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from heliograph.accounts.models import User
from heliograph.api.models import ApiToken
from heliograph.console import invitations
from heliograph.domain import incidents, maintenances, pages
from heliograph.domain.audit import Actor
from heliograph.domain.errors import InvalidValue
from heliograph.domain.models import Incident, Maintenance, Page, Role, Service, ServiceGroup
from heliograph.domain.vocab import MaintenanceStatus, State, Status
from heliograph.notifications import subscribers, webhooks
from heliograph.runstatus.models import Credential
from heliograph.social import linking

# Each payload tries one way out of the text it is written in. Markers `M01`… are prefixed to
# them per field, so a check can tell which field a live element or a shown text came from.
PAYLOADS: dict[str, str] = {
    "script": "<script>alert(1)</script>",
    "script-src": "<SCRIPT SRC=https://evil.test/x.js></SCRIPT>",
    "img-onerror": "<img src=x onerror=alert(1)>",
    "attribute-breakout": '"><img src=x onerror=alert(1)>',
    "single-quote-breakout": "'><svg/onload=alert(1)>",
    "unquoted-breakout": " onmouseover=alert(1) x=",
    "svg-script": "<svg><script>alert(1)</script></svg>",
    "html-javascript-link": '<a href="javascript:alert(1)">x</a>',
    "md-javascript": "[x](javascript:alert(1))",
    "md-case": "[x](JaVaScRiPt:alert(1))",
    "md-entity": "[x](&#106;avascript:alert(1))",
    "md-hex-entity": "[x](&#x6A;avascript&#x3A;alert(1))",
    "md-tab-in-scheme": "[x](java\tscript:alert(1))",
    "md-newline-in-scheme": "[x](java\nscript:alert(1))",
    "md-vbscript": "[x](vbscript:msgbox(1))",
    "md-data": "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "md-image-javascript": "![x](javascript:alert(1))",
    "md-image-data-svg": "![x](data:image/svg+xml,<svg onload=alert(1)>)",
    "md-image-pixel": "![pixel](https://evil.test/pixel.png)",
    "md-link-title-breakout": '[x](https://example.com "a\\" onmouseover=\\"alert(1)")',
    "md-autolink": "<javascript:alert(1)>",
    "iframe": "<iframe src=https://evil.test/frame></iframe>",
    "style": "<style>body{background:url(https://evil.test/style)}</style>",
    "style-breakout": "</style><script>alert(1)</script>",
    "script-breakout": "</script><script>alert(1)</script>",
    "cdata-breakout": "]]><script>alert(1)</script>",
    "cdata": "<![CDATA[<script>alert(1)</script>]]>",
    "comment-breakout": "--><script>alert(1)</script><!--",
    "textarea-breakout": "</textarea><script>alert(1)</script>",
    "title-breakout": "</title><script>alert(1)</script>",
    "entities": "&lt;script&gt;alert(1)&lt;/script&gt;",
    "numeric-entities": "&#60;script&#62;alert(1)&#60;/script&#62;",
    "details-ontoggle": "<details open ontoggle=alert(1)>",
    "meta-refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "base": "<base href=https://evil.test/>",
    "template": "{{ 7|add:7 }} {% now 'Y' %} ${7*7} #{7*7}",
    "slack-mention": "<!channel> <@U123> <https://evil.test|click>",
    "quoted-email": '"<script>alert(1)</script>"@example.com',
    "long": "<img src=x onerror=alert(1)>" * 4000,
}
# The domain rejects these in every text; a row written past it must still render safely.
CONTROL_PAYLOADS: dict[str, str] = {
    "rtl-override": "abc\u202egnp.exe",
    "null-byte": "a\x00<script>alert(1)</script>",
    "escape": "a\x1b[31mred",
}

# Schemes and hosts that must never appear as a live link target or a request.
EVIL_HOST = "evil.test"
SCRIPT_SCHEMES = ("javascript:", "vbscript:", "data:")


@dataclass
class Built:
    """A page whose every user-set text field contains a hostile value, and what was rejected."""

    page: Page
    incident: Incident
    maintenance: Maintenance
    service: Service
    group: ServiceGroup | None = None
    values: dict[str, str] = field(default_factory=dict)
    rejected: dict[str, Exception] = field(default_factory=dict)
    # Values that raised something other than the domain's InvalidValue.
    crashed: dict[str, Exception] = field(default_factory=dict)


Setter = Callable[[Built, str, Actor], None]


@dataclass(frozen=True)
class TextField:
    """A user-set text field: the domain's length limit and the call that sets it."""

    key: str
    max_length: int
    setter: Setter
    # The field contains an address or a URL, which its check may reject outright.
    strict_form: bool = False


def _page_setting(name: str) -> Setter:
    def set_value(built: Built, value: str, actor: Actor) -> None:
        pages.update_page(built.page, {name: value}, actor=actor)
    return set_value


def _group_name(built: Built, value: str, actor: Actor) -> None:
    built.group = pages.add_group(built.page, name=value, actor=actor)
    pages.update_service(built.service, {"group": built.group}, actor=actor)


def _service(name: str) -> Setter:
    def set_value(built: Built, value: str, actor: Actor) -> None:
        pages.update_service(built.service, {name: value}, actor=actor)
    return set_value


def _incident_title(built: Built, value: str, actor: Actor) -> None:
    incidents.update_incident(built.incident, title=value, actor=actor)


def _incident_text(built: Built, value: str, actor: Actor) -> None:
    incidents.post_event(built.incident, text=value, state=State.MAJOR_OUTAGE,
                         status=Status.IDENTIFIED, actor=actor)


def _post_mortem(built: Built, value: str, actor: Actor) -> None:
    incidents.update_incident(built.incident, post_mortem=value, actor=actor)


def _maintenance(name: str) -> Setter:
    def set_value(built: Built, value: str, actor: Actor) -> None:
        if name == "title":
            maintenances.update_maintenance(built.maintenance, title=value, actor=actor)
        else:
            maintenances.update_maintenance(built.maintenance, description=value, actor=actor)
    return set_value


def _maintenance_text(built: Built, value: str, actor: Actor) -> None:
    maintenances.post_event(built.maintenance, text=value, status=MaintenanceStatus.SCHEDULED,
                            actor=actor)


def _subscriber(built: Built, value: str, actor: Actor) -> None:
    subscribers.add_subscriber(built.page, email=value, services=None, actor=actor)


def _webhook(built: Built, value: str, actor: Actor) -> None:
    webhooks.add_webhook(built.page, url=value, flavour="json", services=None, actor=actor)


def _mastodon(name: str) -> Setter:
    def set_value(built: Built, value: str, actor: Actor) -> None:
        values = {"instance_url": "https://mastodon.example", "handle": "@status"}
        values[name] = value
        linking.link_mastodon(built.page, token="token", max_characters=None, actor=actor,
                              **values)
    return set_value


def _x_handle(built: Built, value: str, actor: Actor) -> None:
    linking.link_x(built.page, handle=value, token="token", secret="secret", actor=actor)


def _token_name(built: Built, value: str, actor: Actor) -> None:
    assert actor.user is not None
    ApiToken.issue(actor.user, [built.page], can_write=False, name=value[:100])


def _credential_name(built: Built, value: str, actor: Actor) -> None:
    assert actor.user is not None
    Credential.issue(actor.user, [built.page], name=value[:100])


def _invitation(built: Built, value: str, actor: Actor) -> None:
    invitations.invite(built.page, value, Role.EDITOR, inviter=actor.user, actor=actor)


def _member_email(built: Built, value: str, actor: Actor) -> None:
    try:
        validate_email(value)
    except ValidationError:
        raise InvalidValue("invalid_email", f"{value[:80]!r} is not an e-mail address.",
                           field="email") from None
    member = (User.objects.filter(email__iexact=value).first()
              or User.objects.create_user(value, "correct horse 42"))
    pages.set_member(built.page, member, Role.VIEWER, actor=actor)


FIELDS: list[TextField] = [
    TextField("domain.Page.title", 200, _page_setting("title")),
    TextField("domain.Page.default_status_message", 300, _page_setting("default_status_message")),
    TextField("domain.Page.main_site_url", 200, _page_setting("main_site_url"), strict_form=True),
    TextField("domain.Page.support_email", 254, _page_setting("support_email"), strict_form=True),
    TextField("domain.Page.twitter_username", 15, _page_setting("twitter_username"),
              strict_form=True),
    TextField("domain.ServiceGroup.name", 100, _group_name),
    TextField("domain.Service.name", 100, _service("name")),
    TextField("domain.Service.description", 2000, _service("description")),
    TextField("domain.Incident.title", incidents.TITLE_MAX, _incident_title),
    TextField("domain.Incident.post_mortem", 100_000, _post_mortem),
    TextField("domain.IncidentEvent.text", incidents.TEXT_MAX, _incident_text),
    TextField("domain.Maintenance.title", maintenances.TITLE_MAX, _maintenance("title")),
    TextField("domain.Maintenance.description", maintenances.TEXT_MAX,
              _maintenance("description")),
    TextField("domain.MaintenanceEvent.text", maintenances.TEXT_MAX, _maintenance_text),
    TextField("notifications.Subscriber.email", 254, _subscriber, strict_form=True),
    TextField("notifications.WebhookSubscriber.url", 2000, _webhook, strict_form=True),
    TextField("social.SocialAccount.handle", 200, _x_handle),
    TextField("social.SocialAccount.instance_url", 200, _mastodon("instance_url"),
              strict_form=True),
    TextField("console.Invitation.email", 254, _invitation, strict_form=True),
    TextField("accounts.User.email", 254, _member_email, strict_form=True),
    TextField("api.ApiToken.name", 100, _token_name),
    TextField("runstatus.Credential.name", 100, _credential_name),
]

NOT_USER_TEXT: dict[str, str] = {
    "domain.Page.slug": "checked against a DNS label pattern",
    "domain.Page.time_zone": "checked against the IANA zone names",
    "domain.Page.banner_color_rule": "a choice",
    "domain.Page.theme": "a choice",
    "domain.Page.language": "a choice of the offered languages",
    "domain.Page.custom_domain": "checked as a host name",
    "domain.Page.header_background": "checked as a #rrggbb colour",
    "domain.Page.header_text_color": "checked as a #rrggbb colour",
    "domain.Page.logo": "a file name that the upload view generates",
    "domain.Membership.role": "a choice",
    "domain.Incident.state": "a choice",
    "domain.Incident.status": "a choice",
    "domain.IncidentEvent.state": "a choice",
    "domain.IncidentEvent.status": "a choice",
    "domain.Maintenance.status": "a choice",
    "domain.MaintenanceEvent.status": "a choice",
    "domain.DayFigure.worst": "a choice",
    "domain.FiguresWatermark.time_zone": "copied from the page's checked time zone",
    "domain.AuditEntry.actor_label": "the actor's e-mail address or a fixed label",
    "domain.AuditEntry.action": "a fixed action name",
    "domain.AuditEntry.object_type": "a fixed model name",
    "notifications.Delivery.channel": "a channel name",
    "notifications.Delivery.recipient": "an address copied from a subscriber or webhook",
    "notifications.Delivery.recipient_label": "an address copied from a subscriber or webhook",
    "notifications.Delivery.idempotency_key": "generated",
    "notifications.Delivery.kind": "a notice kind",
    "notifications.Delivery.status": "a choice",
    "notifications.Delivery.claim_token": "generated",
    "notifications.Delivery.last_error": "an error message of our own code or a receiver",
    "notifications.Attempt.outcome": "a choice",
    "notifications.Attempt.error": "an error message of our own code or a receiver",
    "notifications.Subscriber.token": "generated",
    "notifications.WebhookSubscriber.flavour": "a choice",
    "notifications.WebhookSubscriber.secret": "generated",
    "notifications.WebhookSubscriber.last_failure": "an error message of our own code",
    "notifications.WebhookSubscriber.disabled_reason": "an error message of our own code",
    "social.SocialAccount.network": "a choice",
    "social.SocialAccount.sealed_token": "sealed, never shown",
    "social.SocialAccount.sealed_secret": "sealed, never shown",
    "social.MastodonApp.instance_url": "copied from a linked account's checked instance address",
    "social.MastodonApp.redirect_uri": "built from HELIOGRAPH_BASE_URL",
    "social.MastodonApp.client_id": "issued by the instance, never shown",
    "social.MastodonApp.sealed_client_secret": "sealed, never shown",
    "social.SocialPost.text": "composed from the incident or maintenance texts above",
    "social.SocialPost.post_id": "returned by the network",
    "social.SocialPost.post_url": "returned by the network",
    "accounts.User.password": "a hash",
    "accounts.User.first_name": "not set or shown by any view",
    "accounts.User.last_name": "not set or shown by any view",
    "accounts.TOTPDevice.sealed_secret": "sealed, never shown",
    "accounts.RecoveryCode.code_hash": "a hash",
    "api.ApiToken.token_hash": "a hash",
    "api.ApiToken.hint": "generated",
    "runstatus.Credential.key": "generated",
    "runstatus.Credential.sealed_secret": "sealed, never shown",
    "runstatus.SeenSignature.signature": "a hash",
    "console.FormSubmission.token": "generated",
    "console.FormSubmission.digest": "a hash",
    "console.FormSubmission.result_url": "a path that the console builds",
    "console.Invitation.role": "a choice",
    "console.Invitation.nonce": "generated",
    "importers.ImportedObject.source": "a choice",
    "importers.ImportedObject.kind": "a choice",
    "importers.ImportedObject.external_id": "an id from the imported source, never shown",
}
# Apps whose models `test_fields` walks.
APPS = ("domain", "notifications", "social", "accounts", "api", "runstatus", "console",
        "importers")


def hostile(marker: str, payload: str, max_length: int) -> str:
    """Return `payload` behind `marker`, cut to `max_length` characters."""
    return f"{marker}{payload}"[:max_length]


def marker_of(index: int) -> str:
    return f"M{index:02d}"


ValueFor = Callable[[int, TextField], str]


def hostile_values(payload: str) -> ValueFor:
    """Return the value of each field: `payload` behind the field's marker, cut to its limit."""
    def value_for(index: int, text_field: TextField) -> str:
        return hostile(marker_of(index), payload, text_field.max_length)
    return value_for


def harmless_value(index: int, text_field: TextField) -> str:
    """Return a valid value of the field's form that carries the field's marker."""
    marker = marker_of(index)
    forms = {
        "domain.Page.main_site_url": f"https://example.com/{marker}",
        "domain.Page.support_email": f"{marker}@example.com",
        "domain.Page.twitter_username": f"{marker}status",
        "notifications.Subscriber.email": f"{marker}@example.com",
        "notifications.WebhookSubscriber.url": f"https://hooks.example.com/{marker}",
        "social.SocialAccount.instance_url": f"https://{marker.lower()}.example",
        "console.Invitation.email": f"{marker}@invited.example.com",
        "accounts.User.email": f"{marker}@member.example.com",
    }
    return forms.get(text_field.key,
                     f"{marker} Plain *words* and a [link](https://example.com/{marker}).")


def build(owner: Any, value_for: ValueFor, *, slug: str = "xss") -> Built:
    """Create page `slug` and set every field of `FIELDS` to `value_for(index, field)`.

    A value that the domain rejects is recorded in `Built.rejected`, and the field gets its
    harmless value instead, so the page has the same parts either way. The page also has a
    harmless confirmed subscriber.
    """
    actor = Actor.of_user(owner)
    now = timezone.now()
    page = pages.create_page(slug, title="Hostile", owner=owner, actor=actor,
                             time_zone="Europe/Zurich")
    service = pages.add_service(page, name="Service",
                                start_date=(now - dt.timedelta(days=5)).date(), actor=actor)
    incident = incidents.open_incident(
        page, title="Incident", text="Opened.", state=State.PARTIAL_OUTAGE,
        status=Status.INVESTIGATING, services=[service], actor=actor,
        at=now - dt.timedelta(hours=1))
    maintenance = maintenances.schedule_maintenance(
        page, title="Maintenance", description="Planned.", services=[service],
        starts_at=now + dt.timedelta(days=1), ends_at=now + dt.timedelta(days=1, hours=1),
        actor=actor)
    subscribers.add_subscriber(page, email="reader@example.com", services=None, actor=actor)
    built = Built(page, incident, maintenance, service)
    for index, text_field in enumerate(FIELDS):
        value = value_for(index, text_field)
        try:
            text_field.setter(built, value, actor)
        except InvalidValue as error:
            built.rejected[text_field.key] = error
            text_field.setter(built, harmless_value(index, text_field), actor)
        except Exception as error:
            built.crashed[text_field.key] = error
            text_field.setter(built, harmless_value(index, text_field), actor)
        else:
            built.values[text_field.key] = value
        built.page.refresh_from_db()
        built.incident.refresh_from_db()
        built.maintenance.refresh_from_db()
        built.service.refresh_from_db()
    return built
