"""`heliograph-admin page dump` and `page load`: a page's data as one JSON document."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from heliograph.accounts.models import User
from heliograph.domain import incidents, pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import AuditEntry, Incident, IncidentEvent, Page
from heliograph.domain.portability import dump_page
from heliograph.domain.vocab import State, Status
from heliograph.notifications.models import Subscriber
from tests.backups.conftest import expect_ok, run_admin
from tests.backups.populate import populate


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def full_page(owner: User) -> Page:
    return _build_full_page(owner)


def _build_full_page(owner: User) -> Page:
    page = pages.create_page("acme", title="Acme", owner=owner, time_zone="Europe/Zurich",
                             actor=Actor.of_user(owner))
    # An event at a precise past instant, to check that times survive to the microsecond.
    incidents.backfill_incident(
        page, title="Night outage", services=[],
        events=[incidents.PastEvent(at=dt.datetime(2024, 3, 31, 0, 59, 59, 123456, dt.UTC),
                                    status=Status.INVESTIGATING, text="Down.",
                                    state=State.MAJOR_OUTAGE),
                incidents.PastEvent(at=dt.datetime(2024, 3, 31, 1, 30, 0, 654321, dt.UTC),
                                    status=Status.RESOLVED, text="Back.")],
        actor=Actor.of_user(owner),
    )
    return populate(page, owner, "acme").page


# The dump of `full_page`, made once for the malformed-document cases, which need only its text.
_DOCUMENT: dict[str, Any] = {}


@pytest.fixture
def page_document(owner: User) -> dict[str, Any]:
    """Return a deep copy of a dump of `full_page`; the page exists only on the first call."""
    if not _DOCUMENT:
        page = _build_full_page(owner)
        _DOCUMENT.update(dump_page(page))
    return copy.deepcopy(_DOCUMENT)


def run_page(*args: str) -> str:
    output = StringIO()
    call_command("page", *args, stdout=output, stderr=StringIO())
    return output.getvalue()


def dump_text(slug: str) -> dict[str, Any]:
    return json.loads(run_page("dump", slug))


def test_dump_load_round_trip(full_page: Page, tmp_path: Path) -> None:
    first = dump_text("acme")
    night = Incident.objects.get(page=full_page, title="Night outage")
    night_times = list(IncidentEvent.objects.filter(incident=night).values_list("at", flat=True))
    target = tmp_path / "acme.json"
    target.write_text(json.dumps(first))
    pages.delete_page(full_page)

    output = run_page("load", str(target))

    second = dump_text("acme")
    # Linked social accounts are listed but not loaded, because their tokens are left out.
    assert second["social_accounts"] == []
    assert {**second, "social_accounts": first["social_accounts"]} == first
    assert "Loaded page 'acme'" in output
    assert "2 subscribers" in output
    assert "Link the social accounts again in the console: x." in output
    loaded = Incident.objects.get(page__slug="acme", title="Night outage")
    assert list(loaded.events.values_list("at", flat=True)) == night_times
    assert loaded.latest_event == loaded.events.order_by("at").last()
    assert AuditEntry.objects.filter(page=loaded.page, action="page.load").count() == 1
    public = Client().get("/p/acme/history")
    assert public.status_code == 200
    assert "Night outage" in public.content.decode()


def test_dump_contents(full_page: Page) -> None:
    document = dump_text("acme")

    assert document["page"]["time_zone"] == "Europe/Zurich"
    assert document["page"]["logo"]["extension"] == "png"
    assert base64.b64decode(document["page"]["logo"]["base64"]).startswith(b"\x89PNG")
    assert {member["email"] for member in document["members"]} == {
        "owner@example.com", "editor-acme@example.com"}
    assert [service["name"] for service in document["services"]] == ["API", "Website"]
    assert document["services"][0]["group"] == document["groups"][0]["ref"]
    assert document["incidents"][0]["events"][0]["at"] == "2024-03-31T00:59:59.123456Z"
    assert {sub["email"] for sub in document["subscribers"]} == {
        "visitor-acme@subscriber.example", "added-acme@subscriber.example"}
    assert document["social_accounts"][0]["handle"] == "@acme_status"
    assert "id" not in document["incidents"][0]


def test_dump_leaves_out_social_tokens(full_page: Page) -> None:
    text = run_page("dump", "acme")

    assert "token-acme" not in text
    assert "secret-acme" not in text
    assert "sealed" not in text


def test_dump_to_file(full_page: Page, tmp_path: Path) -> None:
    target = tmp_path / "out.json"

    assert run_page("dump", "acme", "--output", str(target)) == ""
    assert json.loads(target.read_text())["page"]["slug"] == "acme"


def test_dump_unknown_slug_names_argument(db: None) -> None:
    with pytest.raises(CommandError) as raised:
        run_page("dump", "nope")

    assert str(raised.value).startswith("SLUG: no page has the slug 'nope'")


def test_load_copy_with_new_slug(full_page: Page, tmp_path: Path) -> None:
    target = tmp_path / "acme.json"
    target.write_text(run_page("dump", "acme"))
    original = dump_text("acme")

    output = run_page("load", str(target), "--slug", "acme-copy")

    copy_document = dump_text("acme-copy")
    assert dump_text("acme") == original
    assert copy_document["page"]["slug"] == "acme-copy"
    assert copy_document["incidents"] == original["incidents"]
    # Subscriber tokens are unique in an installation, so the copy's subscribers get new ones.
    assert "2 subscribers got new link tokens" in output
    assert Subscriber.objects.filter(page__slug="acme-copy").count() == 2


def test_load_taken_slug_names_option(full_page: Page, tmp_path: Path) -> None:
    target = tmp_path / "acme.json"
    target.write_text(run_page("dump", "acme"))
    count = Page.objects.count()

    with pytest.raises(CommandError) as taken:
        run_page("load", str(target))
    with pytest.raises(CommandError) as taken_option:
        run_page("load", str(target), "--slug", "acme")

    assert str(taken.value) == ("FILE: page.slug: The slug 'acme' is already taken: give "
                                "another one with --slug.")
    assert str(taken_option.value).startswith("--slug: The slug 'acme' is already taken")
    assert Page.objects.count() == count


def test_load_losing_a_slug_race_names_option(full_page: Page, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A load that finds the slug free, then loses it to another load, still fails cleanly."""
    target = tmp_path / "acme.json"
    target.write_text(run_page("dump", "acme"))
    count = Page.objects.count()
    # The check sees a free slug, as it would just before a concurrent load takes it.
    monkeypatch.setattr("django.db.models.QuerySet.exists", lambda self: False)

    with pytest.raises(CommandError) as taken:
        run_page("load", str(target))

    assert str(taken.value).startswith("FILE: page.slug: The slug 'acme' or the page's domain "
                                       "was taken while loading")
    assert Page.objects.count() == count


def test_load_without_known_owner_needs_option(full_page: Page, tmp_path: Path,
                                               make_user: Callable[..., User]) -> None:
    document = dump_text("acme")
    document["members"] = [{"email": "gone@example.com", "role": "owner",
                            "created_at": "2024-01-01T00:00:00Z"}]
    target = tmp_path / "acme.json"
    target.write_text(json.dumps(document))
    make_user("new-owner@example.com")

    with pytest.raises(CommandError) as raised:
        run_page("load", str(target), "--slug", "orphan")
    output = run_page("load", str(target), "--slug", "adopted", "--owner",
                      "new-owner@example.com")

    assert str(raised.value).startswith("--owner: None of the page's owners has an account")
    assert "gone@example.com" in str(raised.value)
    assert not Page.objects.filter(slug="orphan").exists()
    assert "Not added, no account here: gone@example.com." in output
    adopted = Page.objects.get(slug="adopted")
    assert list(adopted.memberships.values_list("user__email", "role")) == [
        ("new-owner@example.com", "owner")]


def _set(document: dict[str, Any], path: list[Any], value: Any) -> None:
    target: Any = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


BAD_VALUES = [
    (["format"], "other", "format"),
    (["page", "time_zone"], "Mars/Olympus", "page.time_zone"),
    (["page", "title"], 42, "page.title"),
    (["page", "created_at"], "2024-01-01T00:00:00", "page.created_at"),
    (["page", "logo", "base64"], "not base64!", "page.logo.base64"),
    (["page", "logo", "base64"], base64.b64encode(b"<script>").decode(), "page.logo"),
    (["services", 0, "group"], 99, "services[0].group"),
    (["services", 1, "name"], "api", "services[1].name"),
    (["services", 0, "start_date"], "yesterday", "services[0].start_date"),
    (["incidents", 0, "state"], "on_fire", "incidents[0].state"),
    (["incidents", 0, "title"], "x" * 301, "incidents[0].title"),
    (["incidents", 1, "events", 0, "at"], "2024-13-01T00:00:00Z", "incidents[1].events[0].at"),
    (["incidents", 1, "events", 0, "text"], "nul\x00byte", "incidents[1].events[0].text"),
    (["incidents", 1, "services"], [7], "incidents[1].services"),
    (["incidents", 1, "latest_event"], 9, "incidents[1].latest_event"),
    (["incidents", 1, "events"], [], "incidents[1].events"),
    (["maintenances", 0, "ends_at"], "2000-01-01T00:00:00Z", "maintenances[0].ends_at"),
    (["subscribers", 0, "email"], "not an address", "subscribers[0].email"),
    (["webhook_subscribers", 0, "url"], "http://127.0.0.1/hook", "webhook_subscribers[0].url"),
    (["webhook_subscribers", 0, "flavour"], "xml", "webhook_subscribers[0].flavour"),
    (["members", 0, "role"], "admin", "members[0].role"),
    (["incidents"], {"not": "a list"}, "incidents"),
]


@pytest.mark.parametrize(("path", "value", "field"), BAD_VALUES,
                         ids=[case[2] + "=" + repr(case[1])[:20] for case in BAD_VALUES])
def test_load_malformed_names_field(page_document: dict[str, Any], tmp_path: Path,
                                    media_root: Path, path: list[Any], value: Any,
                                    field: str) -> None:
    document = page_document
    _set(document, path, value)
    target = tmp_path / "bad.json"
    target.write_text(json.dumps(document))
    pages_before = Page.objects.count()
    (media_root / "logos").mkdir(parents=True, exist_ok=True)
    logos_before = sorted((media_root / "logos").iterdir())

    with pytest.raises(CommandError) as raised:
        run_page("load", str(target), "--slug", "loaded")

    assert str(raised.value).startswith(f"FILE: {field}")
    assert Page.objects.count() == pages_before
    assert sorted((media_root / "logos").iterdir()) == logos_before


@pytest.mark.parametrize(("text", "expected"), [
    ("[1", "FILE: standard input is not valid JSON"),
    ("[]", "FILE: the document must be a JSON object"),
    ('{"format": "heliograph-page", "version": 1}', "FILE: page must be a JSON object"),
    ('{"format": "heliograph-page", "version": 1, "page": {"title": "T"}}',
     "FILE: page.slug is missing"),
])
def test_load_unusable_document(db: None, monkeypatch: pytest.MonkeyPatch, text: str,
                                expected: str) -> None:
    monkeypatch.setattr("sys.stdin", StringIO(text))

    with pytest.raises(CommandError) as raised:
        run_page("load", "-")

    assert str(raised.value).startswith(expected)
    assert not Page.objects.exists()


def test_page_moves_between_installations(new_installation: Callable[[str], Path],
                                          tmp_path: Path) -> None:
    source = new_installation("source")
    target = new_installation("target")
    expect_ok(run_admin(source, "demo"))
    dump = tmp_path / "demo.json"
    expect_ok(run_admin(source, "page", "dump", "demo", "--output", str(dump)))
    expect_ok(run_admin(target, "createuser", "--email", "demo@example.com",
                        "--password-stdin", input="long pass phrase 42\n"))

    loaded = run_admin(target, "page", "load", str(dump))
    again = run_admin(target, "page", "dump", "demo")
    twice = run_admin(target, "page", "load", str(dump))

    assert "Loaded page 'demo'" in expect_ok(loaded)
    assert json.loads(expect_ok(again)) == json.loads(dump.read_text())
    assert twice.returncode == 1
    assert twice.stderr.strip().endswith(
        "FILE: page.slug: The slug 'demo' is already taken: give another one with --slug.")
    assert "Traceback" not in twice.stderr
