"""Compose social posts and count them the way X and Mastodon count them.

Both networks count every URL as a fixed 23 characters, whatever its length. X also counts
each code point outside a few ranges (Latin, Greek, Cyrillic, Hebrew, Arabic, general
punctuation...) as 2, and each emoji as 2. Its limit is 280. Mastodon counts each grapheme
cluster as 1 (not checked against a running instance), and its limit is 500 unless the
instance sets another one. A composed post ends with the link to the incident or
maintenance, which is never cut. The text before the link is cut at a grapheme boundary and
ends with an ellipsis when the post would be too long.

The module has no Django imports: callers pass labels and texts already rendered.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

ELLIPSIS = "\N{HORIZONTAL ELLIPSIS}"


@dataclass(frozen=True)
class Network:
    """A network's length rules: its limit, and the fixed weight of each URL."""

    name: str
    limit: int
    url_length: int = 23
    # X's weighted counting (wide code points and emoji as 2) and its URLs without a scheme.
    weighted: bool = False


X = Network("x", limit=280, weighted=True)
MASTODON = Network("mastodon", limit=500)


def mastodon(limit: int | None = None, url_length: int | None = None) -> Network:
    """Return Mastodon's rules, with the instance's own limits where it states them."""
    return Network(
        "mastodon",
        limit=limit if limit and limit > 0 else MASTODON.limit,
        url_length=url_length if url_length is not None and url_length >= 0 else 23,
    )


# twitter-text 3 counts the code points in these ranges as 1 and every other one as 2.
_X_LIGHT_RANGES = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))

_SCHEME_URL = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
# X links bare domains too. This pattern accepts any letters as a top-level domain, but X
# checks a list of real ones. So a word such as "setup.py" may count as a URL here, which
# cuts a post a little shorter than needed but never makes it too long.
_BARE_DOMAIN = re.compile(
    r"(?<![\w@./-])(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,}(?::\d+)?(?:/[^\s<>\"]*)?"
)
# Punctuation after a URL belongs to the sentence, as both networks read it.
_URL_TRAILING = ".,:;!?'\")]}" + ELLIPSIS


def _find_urls(text: str, network: Network) -> list[tuple[int, int]]:
    """Return the (start, end) spans of the URLs in `text`, as `network` recognises them."""
    spans: list[tuple[int, int]] = []
    patterns = [_SCHEME_URL, _BARE_DOMAIN] if network.weighted else [_SCHEME_URL]
    for pattern in patterns:
        # The spans of earlier patterns, sorted and disjoint, so one bisection finds the only
        # one that can overlap a new span. A scan of all spans made counting quadratic.
        earlier = sorted(spans)
        earlier_starts = [start for start, _ in earlier]
        for match in pattern.finditer(text):
            start, end = match.start(), match.end()
            while end > start and text[end - 1] in _URL_TRAILING:
                end -= 1
            # Marks after a URL belong to its last grapheme cluster, so a cut there keeps them.
            while start < end < len(text) and _is_extend(ord(text[end])):
                end += 1
            if end <= start:
                continue
            before = bisect.bisect_left(earlier_starts, end) - 1
            overlaps_earlier = before >= 0 and earlier[before][1] > start
            # Matches of one pattern come in order, so only the last one kept can overlap.
            overlaps_last = bool(spans) and spans[-1][0] < end and start < spans[-1][1]
            if not overlaps_earlier and not overlaps_last:
                spans.append((start, end))
    return sorted(spans)


# --- Grapheme clusters --------------------------------------------------------------------

_ZWJ = 0x200D


def _is_extend(cp: int) -> bool:
    """Tell whether code point `cp` attaches to the character before it."""
    if cp in (_ZWJ, 0x200C) or 0xFE00 <= cp <= 0xFE0F or 0xE0020 <= cp <= 0xE007F:
        return True
    if 0x1F3FB <= cp <= 0x1F3FF:  # emoji skin tone modifiers
        return True
    return unicodedata.category(chr(cp)) in ("Mn", "Me", "Mc")


def _hangul_kind(cp: int) -> str:
    if 0x1100 <= cp <= 0x115F or 0xA960 <= cp <= 0xA97C:
        return "L"
    if 0x1160 <= cp <= 0x11A7 or 0xD7B0 <= cp <= 0xD7C6:
        return "V"
    if 0x11A8 <= cp <= 0x11FF or 0xD7CB <= cp <= 0xD7FB:
        return "T"
    if 0xAC00 <= cp <= 0xD7A3:
        return "LV" if (cp - 0xAC00) % 28 == 0 else "LVT"
    return ""


def _is_regional_indicator(cp: int) -> bool:
    return 0x1F1E6 <= cp <= 0x1F1FF


def _joins(previous: str, current: str, regional_run: int) -> bool:
    """Tell whether `current` continues the cluster that ends with `previous`."""
    before, after = ord(previous), ord(current)
    if before == 0x0D and after == 0x0A:
        return True
    if previous in "\r\n" or current in "\r\n":
        return False
    if _is_extend(after):
        return True
    # An emoji ZWJ sequence: a pictograph after a zero-width joiner joins it.
    if before == _ZWJ and _is_pictograph(after):
        return True
    if _is_regional_indicator(before) and _is_regional_indicator(after):
        return regional_run % 2 == 1
    kind_before, kind_after = _hangul_kind(before), _hangul_kind(after)
    if kind_before == "L" and kind_after in ("L", "V", "LV", "LVT"):
        return True
    if kind_before in ("LV", "V") and kind_after in ("V", "T"):
        return True
    return kind_before in ("LVT", "T") and kind_after == "T"


def graphemes(text: str) -> Iterator[str]:
    """Split `text` into extended grapheme clusters.

    NOTE: this implements the rules of Unicode's UAX #29 that occur in status texts (CR LF,
    combining marks, variation selectors, emoji modifiers, tags and ZWJ sequences, flag
    pairs, Hangul syllables) but not Prepend characters or the Indic conjunct rule. A
    cluster it splits there is counted as two on Mastodon and may be cut between them.
    """
    if not text:
        return
    start = 0
    regional_run = 1 if _is_regional_indicator(ord(text[0])) else 0
    for index in range(1, len(text)):
        previous, current = text[index - 1], text[index]
        if not _joins(previous, current, regional_run):
            yield text[start:index]
            start = index
            regional_run = 0
        if _is_regional_indicator(ord(current)):
            regional_run += 1
    yield text[start:]


# --- Counting -----------------------------------------------------------------------------

_EMOJI_RANGES = (
    (0x1F000, 0x1FAFF), (0x2300, 0x23FF), (0x2460, 0x24FF), (0x25A0, 0x27BF),
    (0x2900, 0x297F), (0x2B00, 0x2BFF), (0x3030, 0x3030), (0x303D, 0x303D),
    (0x3297, 0x3299),
)


def _is_pictograph(cp: int) -> bool:
    return any(low <= cp <= high for low, high in _EMOJI_RANGES)


def _is_emoji_cluster(cluster: str) -> bool:
    """Tell whether `cluster` is an emoji, which X counts as 2 whatever its code points.

    NOTE: decided by code point ranges, not by the list of emoji sequences that X's
    twitter-text library uses, so a sequence X does not know is still counted as 2 here.
    """
    if _is_pictograph(ord(cluster[0])):
        return True
    # A keycap (1️⃣) or a text character shown as emoji (©️).
    return len(cluster) > 1 and ("\u20e3" in cluster or "\ufe0f" in cluster)


def _x_code_point_weight(character: str) -> int:
    cp = ord(character)
    return 1 if any(low <= cp <= high for low, high in _X_LIGHT_RANGES) else 2


def _cluster_weight(cluster: str, network: Network) -> int:
    if not network.weighted:
        return 1
    if _is_emoji_cluster(cluster):
        return 2
    return sum(_x_code_point_weight(character) for character in cluster)


def _segments(text: str, network: Network) -> Iterator[tuple[str, int]]:
    """Split `text` into URLs and grapheme clusters, each with its weight on `network`."""
    position = 0
    for start, end in _find_urls(text, network):
        for cluster in graphemes(text[position:start]):
            yield cluster, _cluster_weight(cluster, network)
        yield text[start:end], network.url_length
        position = end
    for cluster in graphemes(text[position:]):
        yield cluster, _cluster_weight(cluster, network)


def _normalize(text: str, network: Network) -> str:
    # X counts the NFC form (a decomposed "é" counts as one character, not two).
    return unicodedata.normalize("NFC", text) if network.weighted else text


def count(text: str, network: Network) -> int:
    """Return the length of `text` as `network` counts it against its limit."""
    return sum(weight for _, weight in _segments(_normalize(text, network), network))


def fits(text: str, network: Network) -> bool:
    return count(text, network) <= network.limit


# --- Composing ----------------------------------------------------------------------------


def _clean(text: str) -> str:
    """Strip `text` and collapse runs of blank lines, which take room without saying more."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def cut(text: str, budget: int, network: Network) -> str:
    """Return `text`, or its longest start that fits in `budget` with an ellipsis added.

    The cut falls between grapheme clusters and never inside a URL.
    """
    text = _normalize(text, network)
    if count(text, network) <= budget:
        return text
    room = budget - count(ELLIPSIS, network)
    if room <= 0:
        return ""
    kept: list[str] = []
    used = 0
    for segment, weight in _segments(text, network):
        if used + weight > room:
            break
        kept.append(segment)
        used += weight
    # Dropping a piece can make the rest read differently (a cut word that looks like a domain
    # counts as a URL on X), so check the result and drop more until it fits.
    while kept:
        candidate = "".join(kept).rstrip() + ELLIPSIS
        if count(candidate, network) <= budget:
            return candidate
        kept.pop()
    return ""


def compose(
    *, state: str, title: str, status: str, text: str, link: str, network: Network
) -> str:
    """Compose a post: "[state] title (status)", the text, and the link on its own line.

    `state` and `status` are the labels shown on the public page (an incident's state and
    status, or "Scheduled maintenance" and its time); an empty `status` is left out. The
    headline and text are cut to fit `network`; the link is kept whole.
    """
    if not _SCHEME_URL.fullmatch(link):
        raise ValueError(f"link {link!r} is not an http or https URL without spaces")
    parts = [
        f"[{_one_line(state)}]" if _one_line(state) else "",
        _one_line(title),
        f"({_one_line(status)})" if _one_line(status) else "",
    ]
    headline = " ".join(part for part in parts if part)
    body = "\n\n".join(part for part in (headline, _clean(text)) if part)
    tail = f"\n\n{link}"
    if count(link, network) > network.limit:
        raise ValueError(f"a {network.name} post of {network.limit} characters cannot hold a link")
    budget = network.limit - count(tail, network)
    kept = cut(body, budget, network) if budget > 0 else ""
    return f"{kept}{tail}" if kept else link
