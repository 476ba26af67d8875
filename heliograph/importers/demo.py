"""The demo page `github`: real incident history, imported from the committed sample."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from heliograph.domain.audit import Actor
from heliograph.domain.errors import Conflict
from heliograph.domain.models import Page
from heliograph.importers.run import import_batch, read_source

GITHUB_SLUG = "github"
GITHUB_TITLE = "GitHub (sample)"
GITHUB_SAMPLE = Path(__file__).resolve().parent / "samples" / "github" / "incidents"


def create_github_page(owner: Any) -> Page | None:
    """Create the page `github`, owned by `owner`, from the GitHub sample; None if it exists."""
    if Page.objects.filter(slug=GITHUB_SLUG).exists():
        return None
    batch = read_source("statuspage", [str(GITHUB_SAMPLE)])
    try:
        page, _ = import_batch(
            batch, page=None, actor=Actor.of_user(owner, via="heliograph-admin demo"),
            create={"slug": GITHUB_SLUG, "owner": owner, "title": GITHUB_TITLE},
        )
    except Conflict as error:
        if error.field != "slug":
            raise
        # Another `demo` run created the page between the check above and this one.
        return None
    return page
