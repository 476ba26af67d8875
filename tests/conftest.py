"""Shared fixtures: a page with an owner, an editor, a viewer, and an outsider of another page."""

from __future__ import annotations

import datetime as dt
import os
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest

from heliograph.accounts.models import User
from heliograph.domain import pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import Page, Role, Service

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Chromium through Playwright, for the browser tests in any folder.
pytest_plugins = ["tests.browser.fixtures"]


@pytest.fixture(autouse=True)
def fast_test_settings(settings: Any) -> None:
    """Serve static source files and hash passwords cheaply in every test.

    Production's manifest storage needs `collectstatic`, and Argon2 costs about a second per
    user; the Argon2 setting itself is checked by a test of the settings.
    """
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None,
                                 tmp_path_factory: pytest.TempPathFactory) -> None:
    """Give each test process an SQLite test database in a file, as in production.

    An in-memory test database is shared between connections through SQLite's shared cache,
    whose table locks fail at once with "database table is locked" instead of waiting. The
    live server handles each request on its own connection, so a page read during an open API
    write failed. In a file, WAL lets readers go on and writers wait on the busy timeout.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        name = tmp_path_factory.mktemp("database") / "test.sqlite3"
        database.setdefault("TEST", {})["NAME"] = str(name)


class InFlight:
    """Counter of the requests the live server has accepted and not yet responded to.

    A request that outlives its test would read or write the next test's data, or meet the
    flush between them. A connection counts from its accept until the response to its first
    request, and each later request on it counts until its response. An idle keep-alive
    connection does not count.
    """

    def __init__(self, httpd: Any) -> None:
        self.count = 0
        self.changed = threading.Condition()
        self.waiting_first = threading.local()
        self.app = httpd.get_app()
        accept, serve = httpd.process_request, httpd.process_request_thread

        def process_request(request: Any, client_address: Any) -> None:
            self._add(1)
            try:
                accept(request, client_address)
            except BaseException:
                self._add(-1)
                raise

        def process_request_thread(request: Any, client_address: Any) -> None:
            self.waiting_first.value = True
            try:
                serve(request, client_address)
            finally:
                if self.waiting_first.value:
                    self._add(-1)

        httpd.process_request = process_request
        httpd.process_request_thread = process_request_thread
        httpd.set_app(self)

    def _add(self, step: int) -> None:
        with self.changed:
            self.count += step
            self.changed.notify_all()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if getattr(self.waiting_first, "value", False):
            self.waiting_first.value = False
        else:
            self._add(1)
        try:
            body = self.app(environ, start_response)
        except BaseException:
            self._add(-1)
            raise
        return _Closing(body, lambda: self._add(-1))

    def wait_idle(self, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.count == 0, timeout)


class _Closing:
    """A response body that calls `done` once, when the server closes it."""

    def __init__(self, body: Iterable[bytes], done: Callable[[], None]) -> None:
        self.body = body
        self.done: Callable[[], None] | None = done

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.body)

    def close(self) -> None:
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            done, self.done = self.done, None
            if done is not None:
                done()


@pytest.fixture(autouse=True)
def live_server_idle(request: pytest.FixtureRequest) -> Iterator[None]:
    """Before a test that used the live server flushes the database, let its requests end."""
    if "live_server" not in request.fixturenames:
        yield
        return
    # Asked for here so that this fixture ends before the flush does.
    request.getfixturevalue("transactional_db")
    httpd = request.getfixturevalue("live_server").thread.httpd
    in_flight = httpd.get_app()
    if not isinstance(in_flight, InFlight):
        in_flight = InFlight(httpd)
    yield
    if not in_flight.wait_idle(timeout=10):
        warnings.warn(f"the live server still answers {in_flight.count} request(s) after 10 s",
                      stacklevel=1)


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def make(email: str = "owner@example.com", password: str = "correct horse 42") -> User:
        return User.objects.create_user(email, password)

    return make


@pytest.fixture
def owner(make_user: Callable[..., User]) -> User:
    return make_user("owner@example.com")


@pytest.fixture
def make_page(owner: User) -> Callable[..., Page]:
    def make(slug: str = "acme", *, title: str = "Acme", time_zone: str = "UTC",
             **fields: Any) -> Page:
        return pages.create_page(slug, title=title, owner=owner, time_zone=time_zone,
                                 actor=Actor.of_user(owner), **fields)

    return make


@pytest.fixture
def page(make_page: Callable[..., Page]) -> Page:
    return make_page()


@pytest.fixture
def editor(make_user: Callable[..., User], page: Page, owner: User) -> User:
    user = make_user("editor@example.com")
    pages.set_member(page, user, Role.EDITOR, actor=Actor.of_user(owner))
    return user


@pytest.fixture
def viewer(make_user: Callable[..., User], page: Page, owner: User) -> User:
    user = make_user("viewer@example.com")
    pages.set_member(page, user, Role.VIEWER, actor=Actor.of_user(owner))
    return user


@pytest.fixture
def outsider(make_user: Callable[..., User]) -> User:
    """A user who owns another page and has no role on `page`."""
    user = make_user("outsider@example.com")
    pages.create_page("other", title="Other", owner=user, actor=Actor.of_user(user))
    return user


@pytest.fixture
def add_service(page: Page, owner: User) -> Callable[..., Service]:
    def add(name: str, *, on: Page | None = None, start_date: dt.date | None = None,
            **fields: Any) -> Service:
        return pages.add_service(on or page, name=name, start_date=start_date,
                                 actor=Actor.of_user(owner), **fields)

    return add


@pytest.fixture
def actor(owner: User) -> Actor:
    return Actor.of_user(owner)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Stop the run when DATABASE_URL or REDIS_URL names a server that rejects connections.

    Without this, each test would fail (or be skipped) on its own with a connection error.
    """
    problems = [problem for problem in (_database_problem(), _redis_problem()) if problem]
    if problems:
        raise pytest.UsageError("\n".join(problems))


def _database_problem() -> str | None:
    import dj_database_url
    import psycopg

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres", "pgsql")):
        return None
    config = dj_database_url.parse(url)
    try:
        # The tests run in a database that pytest-django creates through the server's
        # "postgres" database, so that is the one that must accept connections.
        psycopg.connect(
            host=config.get("HOST") or None, port=config.get("PORT") or None,
            user=config.get("USER") or None, password=config.get("PASSWORD") or None,
            dbname="postgres", connect_timeout=5,
        ).close()
    except psycopg.Error as error:
        where = f"{config.get('HOST') or 'localhost'}:{config.get('PORT') or 5432}"
        return f"PostgreSQL at {where} (DATABASE_URL) is not reachable: {error}".strip()
    return None


def _redis_problem() -> str | None:
    from urllib.parse import urlsplit

    import redis

    url = os.environ.get("REDIS_URL", "")
    if not url:
        return None
    try:
        redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5).ping()
    except redis.RedisError as error:
        parts = urlsplit(url)
        where = f"{parts.hostname or 'localhost'}:{parts.port or 6379}"
        return f"Redis at {where} (REDIS_URL) is not reachable: {error}"
    return None
