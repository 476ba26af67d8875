"""Composing social posts and counting them by X's and Mastodon's rules."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heliograph.notifications import post_text
from heliograph.notifications.post_text import ELLIPSIS, MASTODON, X, compose, count, graphemes
from heliograph.social.oauth import MAX_CHARACTERS_RANGE

LINK = "https://status.example.com/p/acme/incidents/42"
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # man, woman, girl joined by ZWJ
FLAG_FR = "\U0001f1eb\U0001f1f7"


@pytest.mark.parametrize(
    ("text", "x_count", "mastodon_count"),
    [
        ("a" * 280, 280, 280),
        ("\u65e5\u672c", 4, 2),  # CJK code points weigh 2 on X
        ("\u00e9t\u00e9", 3, 3),
        ("e\u0301", 1, 1),  # X counts the NFC form; Mastodon counts one grapheme
        (FAMILY, 2, 1),
        (FLAG_FR + FLAG_FR, 4, 2),
        ("\u2014", 1, 1),  # em dash is in X's light punctuation range
        (ELLIPSIS, 2, 1),  # the horizontal ellipsis is not
        ("https://example.com/" + "a" * 200, 23, 23),
        ("see http://a.io.", 4 + 23 + 1, 4 + 23 + 1),
        ("example.com", 23, 11),  # X links bare domains; Mastodon needs a scheme
        ("\u05e9\u05dc\u05d5\u05dd", 4, 4),  # Hebrew is in the first light range
    ],
)
def test_count_examples(text: str, x_count: int, mastodon_count: int) -> None:
    assert count(text, X) == x_count
    assert count(text, MASTODON) == mastodon_count


def test_count_x_wide_limit() -> None:
    assert count("\u4e2d" * 140, X) == 280
    assert post_text.fits("\u4e2d" * 140, X)
    assert not post_text.fits("\u4e2d" * 141, X)


@pytest.mark.parametrize(
    ("text", "clusters"),
    [
        ("ab", ["a", "b"]),
        ("e\u0301x", ["e\u0301", "x"]),
        ("\r\nz", ["\r\n", "z"]),
        (FAMILY + "!", [FAMILY, "!"]),
        (FLAG_FR * 3, [FLAG_FR] * 3),
        ("\U0001f44d\U0001f3fd.", ["\U0001f44d\U0001f3fd", "."]),  # skin tone modifier
        ("\u1100\u1161\u11a8\u1100", ["\u1100\u1161\u11a8", "\u1100"]),  # Hangul jamo
        ("\u2764\ufe0f", ["\u2764\ufe0f"]),
    ],
)
def test_graphemes_examples(text: str, clusters: list[str]) -> None:
    assert list(graphemes(text)) == clusters


def test_compose_short_post_unchanged() -> None:
    post = compose(state="Investigating", title="API errors", status="Major outage",
                   text="We are looking into it.", link=LINK, network=X)
    assert post == f"[Investigating] API errors (Major outage)\n\nWe are looking into it.\n\n{LINK}"


def test_compose_without_status_or_text() -> None:
    post = compose(state="Scheduled maintenance", title="Database upgrade", status="",
                   text="  \n", link=LINK, network=MASTODON)
    assert post == f"[Scheduled maintenance] Database upgrade\n\n{LINK}"


def test_compose_cuts_long_text_x() -> None:
    post = compose(state="Identified", title="Slow logins", status="Degraded",
                   text="word " * 200, link=LINK, network=X)
    assert count(post, X) <= 280
    assert count(post, X) >= 270
    assert post.endswith(f"{ELLIPSIS}\n\n{LINK}")
    assert "word " * 10 in post


def test_compose_cuts_wide_text_x() -> None:
    post = compose(state="Monitoring", title="\u969c\u5bb3", status="",
                   text="\u4e2d" * 300, link=LINK, network=X)
    assert count(post, X) <= 280
    assert post.endswith(f"{ELLIPSIS}\n\n{LINK}")
    # 280 - 23 (link) - 2 (blank line) - 2 (ellipsis) leaves 253: the headline and 2-weight
    # characters fill it to within one weight.
    assert count(post, X) >= 279


def test_compose_mastodon_instance_limit() -> None:
    network = post_text.mastodon(limit=100)
    post = compose(state="Investigating", title="Errors", status="", text="x" * 500,
                   link=LINK, network=network)
    assert count(post, network) == 100
    assert post.endswith(f"{ELLIPSIS}\n\n{LINK}")


def test_mastodon_defaults_for_missing_values() -> None:
    assert post_text.mastodon(None).limit == 500
    assert post_text.mastodon(0).limit == 500
    assert post_text.mastodon(1000, 30) == post_text.Network("mastodon", 1000, 30)


def test_cut_never_splits_url() -> None:
    url = "https://example.com/" + "z" * 50
    text = "a" * 240 + " " + url + " tail"
    result = post_text.cut(text, 260, X)
    # The URL would end past the budget as text, and as a URL it weighs 23, which does not fit
    # after 241 characters: it is dropped whole.
    assert result == "a" * 240 + ELLIPSIS
    assert "https" not in result


def test_cut_keeps_url_that_fits() -> None:
    url = "https://example.com/" + "z" * 50
    text = "a" * 100 + " " + url + " " + "b" * 300
    result = post_text.cut(text, 200, X)
    assert url in result
    assert count(result, X) <= 200


def test_cut_keeps_combining_marks() -> None:
    text = "e\u0301" * 10
    result = post_text.cut(text, 5, MASTODON)
    assert result == "e\u0301" * 4 + ELLIPSIS


def test_cut_keeps_emoji_sequences() -> None:
    result = post_text.cut(FAMILY * 10, 7, X)
    assert result == FAMILY * 2 + ELLIPSIS  # 2 + 2 + ellipsis 2 = 6; a third would make 8
    assert count(result, X) == 6


def test_compose_rejects_bad_link() -> None:
    with pytest.raises(ValueError, match="not an http or https URL"):
        compose(state="s", title="t", status="", text="", link="status page", network=X)
    with pytest.raises(ValueError, match="cannot hold a link"):
        compose(state="s", title="t", status="", text="", link=LINK,
                network=post_text.Network("tiny", limit=10))


# --- Properties ---------------------------------------------------------------------------

# Letters from several scripts, combining marks, emoji parts, flags, Hangul jamo, URLs and
# bare domains: the pieces whose counting and cutting differ between the networks.
_pieces = st.one_of(
    st.text(min_size=1, max_size=20),
    st.sampled_from([
        " ", "\n", "\r\n", "\u0301", "\u200d", "\ufe0f", "\U0001f3fd", FAMILY, FLAG_FR,
        "\U0001f1eb", "\u1100", "\u1161", "\u11a8", "\uac00", "\u4e2d", ELLIPSIS,
        "https://example.com/x", " http://a.io/", "example.com", "setup.py", ".", "@",
        "\u05e9", "\u0627", "\u2764",
    ]),
)
_texts = st.lists(_pieces, max_size=80).map("".join)
_networks = st.one_of(
    st.sampled_from([X, MASTODON]),
    # From the smallest post length that Heliograph accepts from an instance.
    st.builds(post_text.mastodon, st.integers(min_value=MAX_CHARACTERS_RANGE[0], max_value=2000),
              st.integers(min_value=0, max_value=40)),
)
_links = st.builds(
    lambda path: f"https://status.example.com/p/acme/{path}",
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_/.%", max_size=200),
)


@settings(max_examples=400, deadline=None)
@given(state=_texts, title=_texts, status=_texts, text=_texts, link=_links, network=_networks)
def test_compose_never_over_limit(
    state: str, title: str, status: str, text: str, link: str, network: post_text.Network
) -> None:
    post = compose(state=state, title=title, status=status, text=text, link=link,
                   network=network)
    assert count(post, network) <= network.limit
    # The link is whole, last, and read as one URL by the network.
    assert post == link or post.endswith(f"\n\n{link}")
    urls = post_text._find_urls(post, network)
    assert urls[-1] == (len(post) - len(link), len(post)) or link[-1] in ".,:;!?'\")]}"


@settings(max_examples=400, deadline=None)
@given(text=_texts, budget=st.integers(min_value=0, max_value=300), network=_networks)
def test_cut_is_prefix_at_grapheme_boundary(
    text: str, budget: int, network: post_text.Network
) -> None:
    result = post_text.cut(text, budget, network)
    assert count(result, network) <= budget
    source = unicodedata.normalize("NFC", text) if network.weighted else text
    if result == source:
        return
    if result:
        assert result.endswith(ELLIPSIS)
        kept = result[: -len(ELLIPSIS)]
        assert source.startswith(kept)
        # The kept text ends where a grapheme cluster of the source ends.
        boundaries = {0}
        position = 0
        for cluster in graphemes(source):
            position += len(cluster)
            boundaries.add(position)
        assert len(kept) in boundaries


def test_many_urls_each_counted_once() -> None:
    """Thousands of bare domains and scheme URLs, mixed, each count as one 23-character URL."""
    text = "see https://a.example/x and b.example, " * 2000

    # Per repeat on X: "see " 4, the URL 23, " and " 5, the bare domain 23, ", " 2.
    assert count(text, post_text.X) == 2000 * (4 + 23 + 5 + 23 + 2)
    # Mastodon links only URLs with a scheme: 4 + 23 + 5 + 9 ("b.example") + 2.
    assert count(text, post_text.MASTODON) == 2000 * (4 + 23 + 5 + 9 + 2)
    assert len(post_text._find_urls(text, post_text.X)) == 4000
