"""The live preview: a Markdown text rendered exactly as the public page renders it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from heliograph.console.access import console_view, member_page
from heliograph.console.form_common import TEXT_MAX
from heliograph.domain.models import Role
from heliograph.lib import markdown


@console_view
@require_POST
def preview(request: HttpRequest, slug: str) -> HttpResponse:
    """Return the sanitised HTML fragment of the posted `text`, for the preview script.

    Only editors write texts, so only they get previews; the fragment is never cached.
    """
    member_page(request, slug, need=Role.EDITOR)
    text = request.POST.get("text", "")
    if len(text) > TEXT_MAX:
        return HttpResponse(
            f"The text is {len(text)} characters long: the maximum is {TEXT_MAX}. Shorten it "
            "to see the preview.",
            status=400, content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(markdown.render(text), content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response
