"""Shared fixtures: a page with an owner, an editor, a viewer, and an outsider of another page."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from typing import Any

import pytest

from heliograph.accounts.models import User
from heliograph.domain import pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import Page, Role, Service

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


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
