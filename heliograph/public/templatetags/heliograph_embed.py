"""The template tag that gives the console the badge and embed snippets of a page."""

from __future__ import annotations

from django import template

from heliograph.domain.models import Page, Service
from heliograph.public.badge import EmbedSnippets, embed_snippets

register = template.Library()


@register.simple_tag
def page_embed_snippets(page: Page) -> EmbedSnippets:
    """Return the page's badge and `<iframe>` snippets, and a badge URL per service."""
    services = list(Service.objects.filter(page=page).order_by("position", "id"))
    return embed_snippets(page, services)
