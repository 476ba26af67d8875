"""Seed a fresh installation for the live-server tests and print what they need as JSON.

Run as `python -m tests.concurrency.seed` with the installation's environment, after
`heliograph-admin migrate`.
"""

from __future__ import annotations

import json
import os

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "heliograph.settings")
    django.setup()

    from heliograph.accounts.models import User
    from heliograph.api.models import ApiToken
    from heliograph.domain import incidents, pages
    from heliograph.domain.audit import Actor
    from heliograph.domain.models import Role
    from heliograph.domain.vocab import State, Status
    from heliograph.runstatus.models import Credential

    password = "correct horse 42"
    owner = User.objects.create_user("owner@example.com", password)
    editor = User.objects.create_user("editor@example.com", password)
    stranger = User.objects.create_user("stranger@example.com", password)
    actor = Actor.of_user(owner)

    acme = pages.create_page("acme", title="Acme", owner=owner, time_zone="Europe/Zurich",
                             actor=actor, custom_domain="status.acme.example")
    pages.set_member(acme, editor, Role.EDITOR, actor=actor)
    secret = pages.create_page("secret", title="Secret Works", owner=stranger, time_zone="UTC",
                               actor=Actor.of_user(stranger),
                               custom_domain="status.secret.example", is_private=True)
    other = pages.create_page("other", title="Other Corp", owner=stranger, time_zone="UTC",
                              actor=Actor.of_user(stranger))

    found: dict[str, object] = {"password": password}
    for page, title in ((acme, "Acme checkout errors"), (secret, "Secret vault outage"),
                        (other, "Other Corp login outage")):
        incident = incidents.open_incident(
            page, title=title, text=f"{title}: investigating.", state=State.MAJOR_OUTAGE,
            status=Status.INVESTIGATING, services=[], actor=Actor.of_user(owner if page is acme
                                                                          else stranger),
        )
        found[f"{page.slug}_incident"] = incident.pk
    found["owner_token"] = ApiToken.issue(owner, [acme], can_write=True)[1]
    found["editor_token"] = ApiToken.issue(editor, [acme], can_write=True)[1]
    credential, secret_value = Credential.issue(owner, None, name="live tests")
    found["runstatus_key"] = credential.key
    found["runstatus_secret"] = secret_value
    print(json.dumps(found))


if __name__ == "__main__":
    main()
