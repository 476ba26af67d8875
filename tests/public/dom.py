"""A small HTML tree for the public page tests, built on the standard library's parser."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser

VOID_TAGS = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
})
_SPACES = re.compile(r"\s+")


class Node:
    def __init__(self, tag: str, attrs: dict[str, str], parent: Node | None) -> None:
        self.tag = tag
        self.attrs = attrs
        self.parent = parent
        self.children: list[Node | str] = []

    def __repr__(self) -> str:
        return f"<{self.tag} {self.attrs}>"

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    def iter(self) -> Iterator[Node]:
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.iter()

    def text(self) -> str:
        """Return the text of the node and its descendants, whitespace collapsed."""
        parts: list[str] = []

        def collect(node: Node) -> None:
            for child in node.children:
                if isinstance(child, str):
                    parts.append(child)
                else:
                    collect(child)

        collect(self)
        return _SPACES.sub(" ", "".join(parts)).strip()

    def find_all(self, tag: str | None = None, *, cls: str | None = None,
                 **attrs: str) -> list[Node]:
        found = []
        for node in self.iter():
            if tag is not None and node.tag != tag:
                continue
            if cls is not None and cls not in node.classes:
                continue
            expected_attrs = {name.replace("_", "-"): value for name, value in attrs.items()}
            if any(node.attrs.get(name) != value for name, value in expected_attrs.items()):
                continue
            found.append(node)
        return found

    def one(self, tag: str | None = None, *, cls: str | None = None, **attrs: str) -> Node:
        """Return the only matching descendant; fail when there are none or several."""
        found = self.find_all(tag, cls=cls, **attrs)
        assert len(found) == 1, f"expected one {tag or '*'}.{cls or ''} {attrs}, found {len(found)}"
        return found[0]


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {name: value or "" for name, value in attrs}, self.current)
        self.current.children.append(node)
        if tag not in VOID_TAGS:
            self.current = node

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {name: value or "" for name, value in attrs}, self.current)
        self.current.children.append(node)

    def handle_endtag(self, tag: str) -> None:
        node: Node | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse(html: str | bytes) -> Node:
    builder = _TreeBuilder()
    builder.feed(html.decode() if isinstance(html, bytes) else html)
    builder.close()
    return builder.root


def definitions(node: Node) -> dict[str, str]:
    """Return the terms and descriptions of a `<dl>` as a dict of their texts."""
    terms = node.find_all("dt")
    descriptions = node.find_all("dd")
    assert len(terms) == len(descriptions)
    return {term.text(): description.text() for term, description in zip(terms, descriptions,
                                                                          strict=True)}
