"""Every URL pattern of the root URL configuration, found by walking the resolver."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

_GROUP = re.compile(r"\(\?P<(\w+)>")


@dataclass(frozen=True)
class Route:
    """One URL pattern: its namespaced name, its full route text and its parameter names."""

    namespace: str
    name: str
    route: str
    params: tuple[str, ...]
    pattern: URLPattern
    prefix: str

    @property
    def qualified(self) -> str:
        return f"{self.namespace}:{self.name}" if self.namespace else self.name or self.route

    def __str__(self) -> str:
        return self.qualified

    def path(self, values: dict[str, Any]) -> str:
        """Return the URL of this route with `values` in its parameters."""
        from django.urls import reverse

        return reverse(self.qualified, kwargs={name: values[name] for name in self.params})


def _params(pattern: Any) -> list[str]:
    if isinstance(pattern, RoutePattern):
        return list(pattern.converters)
    if isinstance(pattern, RegexPattern):
        return _GROUP.findall(str(pattern.regex.pattern))
    raise TypeError(f"unknown pattern type {type(pattern).__name__}")


def walk(resolver: URLResolver | None = None, *, prefix: str = "",
         namespace: tuple[str, ...] = (), params: tuple[str, ...] = ()) -> list[Route]:
    """Return every URL pattern under `resolver` (the root one by default), in order."""
    resolver = resolver or get_resolver()
    found: list[Route] = []
    for entry in resolver.url_patterns:
        text = prefix + str(entry.pattern)
        names = params + tuple(_params(entry.pattern))
        if isinstance(entry, URLResolver):
            inner = namespace + ((entry.namespace,) if entry.namespace else ())
            found += walk(entry, prefix=text, namespace=inner, params=names)
        else:
            found.append(Route(":".join(namespace), entry.name or "", text, names, entry,
                               prefix))
    return found
