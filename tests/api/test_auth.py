"""Who may call what: tokens, scopes, members and roles, over every route of the OpenAPI document.

The routes come from the OpenAPI document, so a new route is checked here without listing it.
Only its request body sample and the role it needs must be added to the tables below.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.utils import timezone

from heliograph.accounts.models import User
from heliograph.api.models import ApiToken
from heliograph.domain import incidents, pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import AuditEntry, Page, Role
from heliograph.domain.vocab import State, Status
from tests.api.conftest import ApiClient
from tests.api.support import (
    BODIES,
    Objects,
    Route,
    all_routes,
    assert_error,
    body_for,
    call,
    fill,
    key,
    page_record,
)

pytestmark = pytest.mark.django_db

ROUTES = all_routes()
PAGE_ROUTES = [route for route in ROUTES if "{slug}" in route.template]
ID_ROUTES = [route for route in ROUTES if "_id}" in route.template]

# The minimum role each route needs on the page, or None for routes outside any page.
NEEDS: dict[str, Role | None] = {
    "GET /pages": None,
    "POST /pages": None,
    "GET /pages/{slug}": Role.VIEWER,
    "PATCH /pages/{slug}": Role.OWNER,
    "DELETE /pages/{slug}": Role.OWNER,
    "GET /pages/{slug}/audit": Role.OWNER,
    "GET /pages/{slug}/services": Role.VIEWER,
    "POST /pages/{slug}/services": Role.EDITOR,
    "GET /pages/{slug}/services/{service_id}": Role.VIEWER,
    "PATCH /pages/{slug}/services/{service_id}": Role.EDITOR,
    "DELETE /pages/{slug}/services/{service_id}": Role.EDITOR,
    "GET /pages/{slug}/incidents": Role.VIEWER,
    "POST /pages/{slug}/incidents": Role.EDITOR,
    "POST /pages/{slug}/incidents/backfill": Role.EDITOR,
    "GET /pages/{slug}/incidents/{incident_id}": Role.VIEWER,
    "PATCH /pages/{slug}/incidents/{incident_id}": Role.EDITOR,
    "DELETE /pages/{slug}/incidents/{incident_id}": Role.OWNER,
    "POST /pages/{slug}/incidents/{incident_id}/events": Role.EDITOR,
    "PATCH /pages/{slug}/incidents/{incident_id}/events/{event_id}": Role.EDITOR,
    "POST /pages/{slug}/incidents/{incident_id}/close": Role.EDITOR,
    "GET /pages/{slug}/incidents/{incident_id}/deliveries": Role.VIEWER,
    "GET /pages/{slug}/subscribers": Role.EDITOR,
    "POST /pages/{slug}/subscribers": Role.EDITOR,
    "DELETE /pages/{slug}/subscribers/{subscriber_id}": Role.EDITOR,
    "GET /pages/{slug}/maintenances": Role.VIEWER,
    "POST /pages/{slug}/maintenances": Role.EDITOR,
    "GET /pages/{slug}/maintenances/{maintenance_id}": Role.VIEWER,
    "PATCH /pages/{slug}/maintenances/{maintenance_id}": Role.EDITOR,
    "DELETE /pages/{slug}/maintenances/{maintenance_id}": Role.EDITOR,
    "POST /pages/{slug}/maintenances/{maintenance_id}/events": Role.EDITOR,
    "POST /pages/{slug}/maintenances/{maintenance_id}/close": Role.EDITOR,
    "GET /pages/{slug}/status": Role.VIEWER,
    "GET /pages/{slug}/outages": Role.VIEWER,
}

_RANK = {Role.VIEWER: 0, Role.EDITOR: 1, Role.OWNER: 2}


@pytest.fixture
def acme(page: Page, owner: User, editor: User, viewer: User) -> Objects:
    return fill(page, owner)


@pytest.fixture
def other(outsider: User) -> Objects:
    return fill(Page.objects.get(slug="other"), outsider)


# The tables


def test_tables_cover_every_route():
    documented = {key(route) for route in ROUTES}
    assert documented == set(NEEDS), "add the new route's role to NEEDS"
    with_body = {key(route) for route in ROUTES if route.has_body}
    assert with_body <= set(BODIES), "add a valid body for the new route to BODIES"


# 401: no usable token


def _revoked(user: User, page: Page) -> str:
    token, raw = ApiToken.issue(user, [page], can_write=True)
    token.revoked_at = timezone.now()
    token.save()
    return raw


def _inactive(user: User, page: Page) -> str:
    _, raw = ApiToken.issue(user, [page], can_write=True)
    user.is_active = False
    user.save()
    return raw


def _valid(user: User, page: Page) -> str:
    return ApiToken.issue(user, [page], can_write=True)[1]


UNUSABLE: dict[str, Callable[[User, Page], dict[str, str]]] = {
    "missing": lambda user, page: {},
    "unknown": lambda user, page: {"Authorization": "Bearer hg_not-a-real-token"},
    "empty": lambda user, page: {"Authorization": "Bearer "},
    "basic scheme": lambda user, page: {"Authorization": "Basic b3duZXI6cGFzcw=="},
    "revoked": lambda user, page: {"Authorization": f"Bearer {_revoked(user, page)}"},
    "inactive user": lambda user, page: {"Authorization": f"Bearer {_inactive(user, page)}"},
    "no scheme": lambda user, page: {"Authorization": _valid(user, page)},
    "too long": lambda user, page: {"Authorization": "Bearer " + "x" * 5000},
}


@pytest.mark.parametrize("kind", UNUSABLE)
def test_route_without_usable_token_is_401(kind, acme, owner, page):
    client = ApiClient(None)
    client.headers = UNUSABLE[kind](owner, page)
    before = page_record(page)

    for route in ROUTES:
        response = call(client, route, acme.url(route), body_for(route))

        body = assert_error(response, 401, "unauthorized", None)
        assert "Bearer" in body["message"], route
        assert response["WWW-Authenticate"] == 'Bearer realm="heliograph"', route
    assert page_record(page) == before


# 404: pages the token may not see


def _outsider_own_token(api_for, users, pages_by_slug):
    return api_for(users["outsider"], [pages_by_slug["other"]])


def _outsider_scoped_to_acme(api_for, users, pages_by_slug):
    """A token that lists the page although its user is not a member."""
    return api_for(users["outsider"], [pages_by_slug["acme"], pages_by_slug["other"]])


def _owner_scoped_elsewhere(api_for, users, pages_by_slug):
    second = pages.create_page("second", title="Second", owner=users["owner"],
                               actor=Actor.of_user(users["owner"]))
    return api_for(users["owner"], [second])


def _removed_editor(api_for, users, pages_by_slug):
    client = api_for(users["editor"], [pages_by_slug["acme"]])
    pages.remove_member(pages_by_slug["acme"], users["editor"],
                        actor=Actor.of_user(users["owner"]))
    return client


HIDDEN_FROM: dict[str, Callable[..., ApiClient]] = {
    "outsider": _outsider_own_token,
    "outsider listing the page": _outsider_scoped_to_acme,
    "token of another page": _owner_scoped_elsewhere,
    "removed member": _removed_editor,
}


@pytest.mark.parametrize("persona", HIDDEN_FROM)
def test_page_outside_token_is_404(persona, acme, other, api_for, owner, editor, outsider, page):
    users = {"owner": owner, "editor": editor, "outsider": outsider}
    pages_by_slug = {p.slug: p for p in Page.objects.all()}
    client = HIDDEN_FROM[persona](api_for, users, pages_by_slug)
    before = page_record(page)

    for route in PAGE_ROUTES:
        response = call(client, route, acme.url(route), body_for(route))

        assert response.status_code == 404, (str(route), response.content[:300])
        assert_error(response, 404, "not_found", None)
    assert page_record(page) == before


def test_unknown_slug_is_404_like_hidden_one(acme, other, api):
    """An unknown slug and a slug of another page get the same response, so slugs do not leak."""
    for route in PAGE_ROUTES:
        unknown = call(api, route, acme.url(route, slug="no-such-page"), body_for(route))
        hidden = call(api, route, acme.url(route, slug="other"), body_for(route))

        assert unknown.status_code == hidden.status_code == 404, str(route)
        assert unknown.json() == hidden.json() == {
            "code": "not_found", "message": "Not found.", "field": None}


def test_ids_of_another_page_are_404(acme, other, api, page):
    """The owner of acme names acme in the URL and ids of objects on the other page."""
    other_page = Page.objects.get(slug="other")
    before = page_record(other_page), page_record(page)

    for route in ID_ROUTES:
        url = route.url(slug="acme", service_id=other.service_id, incident_id=other.incident_id,
                        event_id=other.event_id, maintenance_id=other.maintenance_id,
                        subscriber_id=other.subscriber_id)
        response = call(api, route, url, body_for(route))

        assert response.status_code == 404, (str(route), response.content[:300])
        assert_error(response, 404, "not_found", None)
    assert (page_record(other_page), page_record(page)) == before


def test_event_of_another_incident_is_404(acme, api, page, owner):
    second = incidents.open_incident(
        page, title="Second", text="Also broken.", state=State.PARTIAL_OUTAGE,
        status=Status.INVESTIGATING, actor=Actor.of_user(owner),
    )
    assert second.latest_event is not None

    response = api.patch(f"/pages/acme/incidents/{acme.incident_id}/events/"
                         f"{second.latest_event.pk}", {"text": "Moved."})

    assert_error(response, 404, "not_found", None)


# 403 and success by role and by token access


PERSONAS = {
    "viewer read": ("viewer", False),
    "viewer write": ("viewer", True),
    "editor read": ("editor", False),
    "editor write": ("editor", True),
    "owner read": ("owner", False),
    "owner write": ("owner", True),
}
ROLE_OF = {"viewer": Role.VIEWER, "editor": Role.EDITOR, "owner": Role.OWNER}


def allowed(route: Route, role: Role, write: bool) -> bool:
    need = NEEDS[key(route)]
    if route.writes and not write:
        return False
    return need is None or _RANK[role] >= _RANK[need]


@pytest.mark.parametrize("route", ROUTES, ids=str)
@pytest.mark.parametrize("persona", PERSONAS)
def test_role_and_token_access(route, persona, acme, api_for, owner, editor, viewer, page):
    name, write = PERSONAS[persona]
    user = {"owner": owner, "editor": editor, "viewer": viewer}[name]
    # ApiToken.issue grants write even to a viewer: the role check must still hold.
    client = api_for(user, [page], write=write)
    before = page_record(page)
    audit_before = AuditEntry.objects.filter(page=page).count()

    response = call(client, route, acme.url(route), body_for(route))

    if not allowed(route, ROLE_OF[name], write):
        body = assert_error(response, 403, "forbidden", None)
        if route.writes and not write:
            assert "read-only" in body["message"]
        else:
            assert "role" in body["message"]
        assert page_record(page) == before
        return
    assert response.status_code == route.success, response.content[:500]
    if route.writes and key(route) not in {"POST /pages", "DELETE /pages/{slug}"}:
        assert AuditEntry.objects.filter(page=page).count() > audit_before


def test_write_routes_exist_for_every_role_check():
    """The role matrix above must test some route of each kind, or it proves little."""
    needs = {NEEDS[key(route)] for route in ROUTES if route.writes}
    assert {None, Role.EDITOR, Role.OWNER} <= needs


# Pages outside the URL


def test_page_list_shows_scoped_member_pages(owner, outsider, api_for, page):
    second = pages.create_page("second", title="Second", owner=owner, actor=Actor.of_user(owner))
    pages.create_page("third", title="Third", owner=owner, actor=Actor.of_user(owner))
    other_page = Page.objects.get(slug="other")
    client = api_for(owner, [page, second, other_page])

    listed = client.get("/pages").json()

    assert [item["slug"] for item in listed["items"]] == ["acme", "second"]
    assert {item["role"] for item in listed["items"]} == {"owner"}


def test_page_list_drops_page_after_removal(owner, editor, api_for, page):
    client = api_for(editor, [page])
    assert [item["slug"] for item in client.get("/pages").json()["items"]] == ["acme"]

    pages.remove_member(page, editor, actor=Actor.of_user(owner))

    assert client.get("/pages").json()["items"] == []


def test_token_last_use_is_recorded(owner, page, api_for):
    token, raw = ApiToken.issue(owner, [page], can_write=False)
    assert token.last_used_at is None

    assert ApiClient(raw).get("/pages/acme").status_code == 200

    token.refresh_from_db()
    assert token.last_used_at is not None


def test_created_page_joins_token_scope(api, owner):
    created = api.post("/pages", {"slug": "fresh", "title": "Fresh"})
    assert created.status_code == 201, created.content

    assert api.get("/pages/fresh").status_code == 200
    assert created.json()["role"] == "owner"
